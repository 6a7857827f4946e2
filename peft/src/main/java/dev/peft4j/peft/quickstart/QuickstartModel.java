package dev.peft4j.peft.quickstart;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The small GPT shipped inside the jar ({@code quickstart/model/} on the classpath, made by
 * {@link PretrainTinyGpt}), copied out to a directory so the ordinary checkpoint and tokenizer loaders read it.
 */
public final class QuickstartModel {

    static final String RESOURCE_DIR = "quickstart/model/";
    static final List<String> FILES = List.of("config.json", "model.safetensors", "vocab.json", "merges.txt");

    private QuickstartModel() {
    }

    /** Copies the shipped model into {@code dir} (created) and returns it. */
    public static Path extractTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        ClassLoader loader = QuickstartModel.class.getClassLoader();
        for (String f : FILES) {
            try (InputStream in = loader.getResourceAsStream(RESOURCE_DIR + f)) {
                if (in == null) {
                    throw new IOException("the quickstart model is missing from the classpath (" + RESOURCE_DIR + f
                            + "); regenerate it with tools/quickstart/pretrain.sh");
                }
                Path tmp = Files.createTempFile(dir, "." + f + ".", ".tmp");
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, dir.resolve(f), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }
}
