package dev.peft4j.peft.core;

import dev.peft4j.engine.io.HostIntTensor;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsDtype;
import dev.peft4j.engine.io.SafetensorsEntry;
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
import java.util.LinkedHashMap;
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

    /** A config and its tensors as read from a directory: float tensors, and integer ones (I32/I64) exactly. */
    public record Loaded(Path dir, AdapterConfig config, Map<String, HostTensor> tensors, Map<String, HostIntTensor> ints) {
    }

    public static void write(Path dir, AdapterConfig config, Map<String, TensorSlot> slots) throws IOException {
        Files.createDirectories(dir);
        List<HostTensor> tensors = new ArrayList<>();
        List<HostIntTensor> ints = new ArrayList<>();
        for (Map.Entry<String, TensorSlot> e : new TreeMap<>(slots).entrySet()) {
            if (e.getValue().isInt32()) {
                ints.add(new HostIntTensor(e.getKey(), e.getValue().shape(), e.getValue().intValues()));
            } else {
                tensors.add(new HostTensor(e.getKey(), e.getValue().shape(), e.getValue().values()));
            }
        }
        SafetensorsWriter.write(dir.resolve(WEIGHTS_FILE), tensors, ints, Map.of("format", "pt"));
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
        Map<String, HostTensor> floats = new LinkedHashMap<>();
        Map<String, HostIntTensor> ints = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(weights)) {
            for (SafetensorsEntry e : reader.entries()) {
                if (e.dtype() == SafetensorsDtype.I32 || e.dtype() == SafetensorsDtype.I64) {
                    ints.put(e.name(), reader.readInts(e.name()));
                } else {
                    floats.put(e.name(), reader.read(e.name()));
                }
            }
        }
        return new Loaded(dir, config, floats, ints);
    }

    /**
     * Copies the loaded tensors into {@code slots}. Every slot must be in the file and every file tensor
     * must have a slot, with equal shapes; otherwise the error lists the unmatched keys.
     */
    public static void copyInto(Loaded loaded, Map<String, TensorSlot> slots) {
        String file = loaded.dir().resolve(WEIGHTS_FILE).toString();
        Set<String> inFile = new LinkedHashSet<>(loaded.tensors().keySet());
        inFile.addAll(loaded.ints().keySet());
        Set<String> missing = new LinkedHashSet<>(slots.keySet());
        missing.removeAll(inFile);
        Set<String> unexpected = new LinkedHashSet<>(inFile);
        unexpected.removeAll(slots.keySet());
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException(file + " does not match the model: " + missing.size()
                    + " key(s) the config implies are missing " + abbreviate(missing) + ", " + unexpected.size()
                    + " key(s) in the file match no adapter tensor " + abbreviate(unexpected));
        }
        for (Map.Entry<String, TensorSlot> e : slots.entrySet()) {
            boolean isInt = loaded.ints().containsKey(e.getKey());
            if (isInt != e.getValue().isInt32()) {
                throw new IllegalArgumentException(file + ": tensor \"" + e.getKey() + "\" is "
                        + (isInt ? "an integer tensor" : "a float tensor") + " but the model expects "
                        + (isInt ? "floats" : "int32 values"));
            }
            int[] shape = isInt ? loaded.ints().get(e.getKey()).shape() : loaded.tensors().get(e.getKey()).shape();
            if (e.getValue().fixedShape() && !Arrays.equals(shape, e.getValue().shape())) {
                throw new IllegalArgumentException(file + ": tensor \"" + e.getKey() + "\" has shape "
                        + Arrays.toString(shape) + " but the model expects " + Arrays.toString(e.getValue().shape())
                        + " (check r and the base model)");
            }
        }
        for (Map.Entry<String, TensorSlot> e : slots.entrySet()) {
            if (e.getValue().isInt32()) {
                e.getValue().loadInts(loaded.ints().get(e.getKey()).data());
            } else {
                e.getValue().load(loaded.tensors().get(e.getKey()).data());
            }
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
