package dev.peft4j.peft.merge;

import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.engine.io.SafetensorsWriter;
import dev.peft4j.engine.json.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A saved model or adapter as the merge tools see it: a directory holding {@code model.safetensors},
 * {@code adapter_model.safetensors} or a sharded {@code model.safetensors.index.json}, beside its config files
 * ({@code config.json}, {@code adapter_config.json}, tokenizer files ...), or a bare {@code .safetensors} file.
 * Merged weights are saved "like" such an input: the same weights file name, its config files copied.
 */
public final class WeightsDirectory {

    public static final String MODEL_FILE = "model.safetensors";
    public static final String ADAPTER_FILE = "adapter_model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    public static final String CONFIG_FILE = "config.json";
    public static final String ADAPTER_CONFIG_FILE = "adapter_config.json";

    // Weights in other formats would contradict the merged ones, so they are never copied.
    private static final List<String> WEIGHT_SUFFIXES = List.of(".safetensors", ".safetensors.index.json", ".bin",
            ".bin.index.json", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".gguf");

    private final Path path;
    private final Path dir;
    private final String weightsFileName;

    private WeightsDirectory(Path path, Path dir, String weightsFileName) {
        this.path = path;
        this.dir = dir;
        this.weightsFileName = weightsFileName;
    }

    /** Recognises {@code path} as a weights directory or file; anything else is an error naming what was looked for. */
    public static WeightsDirectory open(Path path) throws IOException {
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".safetensors")) {
            return new WeightsDirectory(path, path.toAbsolutePath().getParent(), path.getFileName().toString());
        }
        if (!Files.isDirectory(path)) {
            throw new IOException(path + ": no such directory or .safetensors file");
        }
        for (String name : List.of(MODEL_FILE, ADAPTER_FILE)) {
            if (Files.isRegularFile(path.resolve(name))) {
                return new WeightsDirectory(path, path, name);
            }
        }
        if (Files.isRegularFile(path.resolve(INDEX_FILE))) {
            return new WeightsDirectory(path, path, MODEL_FILE); // shards are merged into one file on save
        }
        throw new IOException(path + ": holds none of " + MODEL_FILE + ", " + ADAPTER_FILE + ", " + INDEX_FILE);
    }

    /** What was opened (directory or file). */
    public Path path() {
        return path;
    }

    /** The directory holding the weights and their config files. */
    public Path directory() {
        return dir;
    }

    /** The weights file name a save uses. */
    public String weightsFileName() {
        return weightsFileName;
    }

    /** Whether this is a PEFT adapter rather than a whole model. */
    public boolean isAdapter() {
        return weightsFileName.equals(ADAPTER_FILE);
    }

    /** The parsed {@code config.json} beside the weights, or an empty map when there is none. */
    public Map<String, Object> modelConfig() throws IOException {
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            return Map.of();
        }
        return Json.object(Json.parse(Files.readString(file), file.toString()), file.toString());
    }

    /** Reads every tensor as float32, in file order (shards in the order the index lists them). */
    public StateDict load() throws IOException {
        Path single = dir.resolve(weightsFileName);
        if (Files.isRegularFile(single)) {
            return new StateDict(single.toString(), SafetensorsReader.readAll(single));
        }
        Path index = dir.resolve(INDEX_FILE);
        Map<String, Object> weightMap = Json.object(Json.require(
                Json.object(Json.parse(Files.readString(index), index.toString()), index.toString()),
                "weight_map", index.toString()), index + " weight_map");
        Set<String> shards = new LinkedHashSet<>();
        for (Map.Entry<String, Object> e : weightMap.entrySet()) {
            shards.add(Json.string(e.getValue(), index + " weight_map \"" + e.getKey() + "\""));
        }
        List<HostTensor> tensors = new ArrayList<>();
        for (String shard : shards) {
            tensors.addAll(SafetensorsReader.readAll(dir.resolve(shard)).values());
        }
        return new StateDict(index.toString(), tensors);
    }

    /**
     * Writes {@code weights} to {@code outDir} under this input's weights file name and copies this input's
     * non-weight files (configs, tokenizer) beside it.
     *
     * @return the weights file written
     */
    public Path saveAlike(StateDict weights, Path outDir) throws IOException {
        Files.createDirectories(outDir);
        copyConfigFiles(outDir);
        Path out = outDir.resolve(weightsFileName);
        SafetensorsWriter.write(out, weights.tensors(), Map.of("format", "pt"));
        return out;
    }

    private void copyConfigFiles(Path outDir) throws IOException {
        if (!Files.isDirectory(path)) {
            return; // a bare .safetensors file brings no configs with it
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (!Files.isRegularFile(f) || name.startsWith(".") || isWeightsFile(name)) {
                    continue;
                }
                Path target = outDir.resolve(name);
                if (!Files.exists(target) || !Files.isSameFile(f, target)) {
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    static boolean isWeightsFile(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return WEIGHT_SUFFIXES.stream().anyMatch(lower::endsWith);
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
