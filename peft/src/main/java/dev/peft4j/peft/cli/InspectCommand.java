package dev.peft4j.peft.cli;

import dev.peft4j.engine.io.SafetensorsEntry;
import dev.peft4j.engine.io.SafetensorsReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code peft4j inspect}: prints a safetensors file's tensors (name, dtype, shape, count) and metadata, or
 * for a directory (an adapter, a checkpoint) its JSON configs and every safetensors file in it.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Print the tensors and config of a safetensors file, adapter or model directory.")
public final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "A .safetensors file or a directory holding some.")
    Path path;

    @Override
    public Integer call() throws IOException {
        inspect(path, System.out);
        return 0;
    }

    public static void inspect(Path path, PrintStream out) throws IOException {
        if (Files.isDirectory(path)) {
            List<Path> files;
            try (Stream<Path> s = Files.list(path)) {
                files = s.sorted().toList();
            }
            boolean any = false;
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.endsWith(".json") && !name.equals("vocab.json") && !name.equals("tokenizer.json")) {
                    out.println("== " + f);
                    out.println(Files.readString(f).strip());
                    any = true;
                }
            }
            for (Path f : files) {
                if (f.getFileName().toString().endsWith(".safetensors")) {
                    tensors(f, out);
                    any = true;
                }
            }
            if (!any) {
                throw new IOException(path + ": no .json config or .safetensors file in this directory");
            }
        } else if (Files.isRegularFile(path)) {
            tensors(path, out);
        } else {
            throw new IOException(path + ": no such file or directory");
        }
    }

    private static void tensors(Path file, PrintStream out) throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            out.println("== " + file + " (" + Files.size(file) + " bytes)");
            if (!r.metadata().isEmpty()) {
                out.println("metadata: " + r.metadata());
            }
            long total = 0;
            int width = 0;
            for (SafetensorsEntry e : r.entries()) {
                width = Math.max(width, e.name().length());
            }
            for (SafetensorsEntry e : r.entries()) {
                long n = 1;
                for (int d : e.shape()) {
                    n *= d;
                }
                total += n;
                out.printf("%-" + width + "s  %-4s  %-16s  %,d%n", e.name(), e.dtype(), Arrays.toString(e.shape()), n);
            }
            out.printf("%d tensors, %,d values%n", r.entries().size(), total);
        }
    }
}
