package dev.peft4j.peft.core;

import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.engine.io.SafetensorsWriter;
import dev.peft4j.engine.json.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The HF PEFT adapter directory: {@code adapter_config.json} and {@code adapter_model.safetensors}
 * (metadata {@code {"format": "pt"}}, keys sorted by name as the safetensors writer orders same-dtype
 * tensors). Both files appear atomically (temporary file, then rename).
 */
public final class AdapterFiles {

    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** HF's key prefix for tensors inside the wrapped model. */
    public static final String MODEL_PREFIX = "base_model.model.";

    private AdapterFiles() {
    }

    /** A config and its tensors as read from a directory. */
    public record Loaded(Path dir, AdapterConfig config, Map<String, HostTensor> tensors) {
    }

    public static void write(Path dir, AdapterConfig config, Map<String, TensorSlot> slots) throws IOException {
        Files.createDirectories(dir);
        List<HostTensor> tensors = new ArrayList<>();
        for (Map.Entry<String, TensorSlot> e : new TreeMap<>(slots).entrySet()) {
            tensors.add(new HostTensor(e.getKey(), e.getValue().shape(), e.getValue().values()));
        }
        SafetensorsWriter.write(dir.resolve(WEIGHTS_FILE), tensors, Map.of("format", "pt"));
        writeAtomically(dir.resolve(CONFIG_FILE), Json.writePretty(config.toJson()) + "\n");
    }

    public static Loaded read(Path dir) throws IOException {
        Path configFile = dir.resolve(CONFIG_FILE);
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.exists(configFile)) {
            throw new IOException(dir + ": no " + CONFIG_FILE + " (not an adapter directory)");
        }
        if (!Files.exists(weights)) {
            throw new IOException(dir + ": no " + WEIGHTS_FILE
                    + (Files.exists(dir.resolve("adapter_model.bin")) ? " (adapter_model.bin, PyTorch pickle, is not read here)" : ""));
        }
        String source = configFile.toString();
        Map<String, Object> json = Json.object(Json.parse(Files.readString(configFile), source), source);
        String type = Json.string(Json.require(json, "peft_type", source), source + " peft_type");
        AdapterConfig config = Tuners.forType(type, source).parseConfig(json, source);
        return new Loaded(dir, config, SafetensorsReader.readAll(weights));
    }

    /**
     * Copies the loaded tensors into {@code slots}. Every slot must be in the file and every file tensor
     * must have a slot, with equal shapes; otherwise the error lists the unmatched keys.
     */
    public static void copyInto(Loaded loaded, Map<String, TensorSlot> slots) {
        String file = loaded.dir().resolve(WEIGHTS_FILE).toString();
        Set<String> missing = new LinkedHashSet<>(slots.keySet());
        missing.removeAll(loaded.tensors().keySet());
        Set<String> unexpected = new LinkedHashSet<>(loaded.tensors().keySet());
        unexpected.removeAll(slots.keySet());
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException(file + " does not match the model: " + missing.size()
                    + " key(s) the config implies are missing " + abbreviate(missing) + ", " + unexpected.size()
                    + " key(s) in the file match no adapter tensor " + abbreviate(unexpected));
        }
        for (Map.Entry<String, TensorSlot> e : slots.entrySet()) {
            HostTensor t = loaded.tensors().get(e.getKey());
            if (!Arrays.equals(t.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException(file + ": tensor \"" + e.getKey() + "\" has shape "
                        + Arrays.toString(t.shape()) + " but the model expects " + Arrays.toString(e.getValue().shape())
                        + " (check r and the base model)");
            }
        }
        for (Map.Entry<String, TensorSlot> e : slots.entrySet()) {
            e.getValue().load(loaded.tensors().get(e.getKey()).data());
        }
    }

    /** Writes {@code text} to a temporary file beside {@code target}, then renames it over the target. */
    public static void writeAtomically(Path target, String text) throws IOException {
        Path abs = target.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    private static String abbreviate(Set<String> keys) {
        List<String> l = new ArrayList<>(keys);
        return l.size() <= 10 ? l.toString() : l.subList(0, 10) + " and " + (l.size() - 10) + " more";
    }
}
