package dev.peft4j.engine.nn;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsEntry;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.engine.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Moves a module's parameters to and from safetensors files by their dotted names, as
 * {@code load_state_dict}/{@code save_file} do. Loading overwrites parameter values in place, so
 * optimizers and adapters holding the tensors see the new values.
 */
public final class StateDict {

    private StateDict() {
    }

    /** What a load matched: parameters left without a value and file tensors nobody claimed. */
    public record LoadReport(List<String> missing, List<String> unexpected, int loaded) {
    }

    /**
     * Loads every parameter of {@code module} whose file name ({@code fileName.apply(paramName)}, e.g.
     * adding a {@code "transformer."} prefix) is in the file. With {@code strict}, any missing parameter
     * or unclaimed file tensor is an error listing them. A shape mismatch is always an error.
     */
    public static LoadReport load(Module module, SafetensorsReader reader, Function<String, String> fileName,
                                  boolean strict) {
        Set<String> unclaimed = new LinkedHashSet<>(reader.names());
        List<String> missing = new ArrayList<>();
        int loaded = 0;
        for (Map.Entry<String, Tensor> e : module.namedParameters().entrySet()) {
            String name = fileName.apply(e.getKey());
            if (!reader.contains(name)) {
                missing.add(name);
                continue;
            }
            Tensor param = e.getValue();
            SafetensorsEntry entry = reader.entry(name);
            if (!Arrays.equals(entry.shape(), param.shape())) {
                throw new IllegalArgumentException(reader.path() + ": tensor \"" + name + "\" has shape "
                        + Arrays.toString(entry.shape()) + " but parameter \"" + e.getKey() + "\" of "
                        + module.getClass().getSimpleName() + " is " + Arrays.toString(param.shape()));
            }
            float[] values = new float[param.numel()];
            reader.readInto(name, values, 0);
            param.copyFrom(values);
            unclaimed.remove(name);
            loaded++;
        }
        List<String> unexpected = List.copyOf(unclaimed);
        if (strict && (!missing.isEmpty() || !unexpected.isEmpty())) {
            throw new IllegalArgumentException(reader.path() + " does not match " + module.getClass().getSimpleName()
                    + ": missing " + missing + ", unexpected " + unexpected);
        }
        return new LoadReport(List.copyOf(missing), unexpected, loaded);
    }

    /** {@link #load(Module, SafetensorsReader, Function, boolean)} with names as they are. */
    public static LoadReport load(Module module, Path file, boolean strict) throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            return load(module, reader, Function.identity(), strict);
        }
    }

    /** Writes the parameters whose dotted name matches {@code include}, under {@code fileName(name)}. */
    public static void save(Module module, Path file, Predicate<String> include, Function<String, String> fileName,
                            Map<String, String> metadata) throws IOException {
        List<HostTensor> tensors = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : module.namedParameters().entrySet()) {
            if (include.test(e.getKey())) {
                tensors.add(HostTensor.of(fileName.apply(e.getKey()), e.getValue()));
            }
        }
        SafetensorsWriter.write(file, tensors, metadata);
    }

    /** Writes every parameter under its own name. */
    public static void save(Module module, Path file) throws IOException {
        save(module, file, name -> true, Function.identity(), Map.of());
    }
}
