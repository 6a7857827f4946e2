package dev.peft4j.peft.train;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.engine.io.SafetensorsWriter;
import dev.peft4j.engine.json.Json;
import dev.peft4j.engine.optim.Optimizer;
import dev.peft4j.engine.optim.ParamState;
import dev.peft4j.peft.core.AdapterFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Training checkpoints under one directory, one {@code step-NNNNNNNN} folder each: the trainable tensors
 * ({@code trainable.safetensors}), the optimizer's buffers ({@code optimizer.safetensors}, named
 * {@code <buffer>.<tensor>}, e.g. {@code exp_avg.<tensor>}), the dev-best tensors
 * ({@code best.safetensors}) and {@link TrainerState} ({@code trainer_state.json}). A folder is filled under
 * a temporary name and renamed into place, so a kill leaves either a whole checkpoint or none; the
 * {@value #KEEP} newest are kept.
 */
public final class Checkpoints {

    static final int KEEP = 2;
    static final String STATE = "trainer_state.json";
    private static final String PREFIX = "step-";

    private Checkpoints() {
    }

    /** What a checkpoint holds. */
    public record Saved(Path dir, TrainerState state, Map<String, float[]> params, Map<String, float[]> moments,
                        Map<String, float[]> best) {
    }

    /** Saves a checkpoint of {@code state.step}; {@code params} are in the optimizer's parameter order. */
    public static Path save(Path root, TrainerState state, Map<String, Tensor> params, Optimizer optimizer,
                            Map<String, float[]> best) throws IOException {
        Files.createDirectories(root);
        Path target = root.resolve(String.format("%s%08d", PREFIX, state.step));
        Path tmp = Files.createTempDirectory(root, ".tmp-" + target.getFileName() + "-");
        try {
            List<HostTensor> tensors = new ArrayList<>();
            params.forEach((name, t) -> tensors.add(HostTensor.of(name, t)));
            SafetensorsWriter.write(tmp.resolve("trainable.safetensors"), tensors);
            List<HostTensor> moments = new ArrayList<>();
            int[] steps = new int[params.size()];
            int i = 0;
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                ParamState ps = optimizer.state(i);
                steps[i++] = ps.steps();
                ps.buffers().forEach((buf, v) -> moments.add(new HostTensor(buf + "." + e.getKey(), e.getValue().shape(), v)));
            }
            state.optimizerSteps = steps;
            SafetensorsWriter.write(tmp.resolve("optimizer.safetensors"), moments);
            if (best != null) {
                List<HostTensor> b = new ArrayList<>();
                best.forEach((name, v) -> b.add(new HostTensor(name, params.get(name).shape(), v)));
                SafetensorsWriter.write(tmp.resolve("best.safetensors"), b);
            }
            AdapterFiles.writeAtomically(tmp.resolve(STATE), Json.writePretty(state.toJson()) + "\n");
            deleteTree(target); // a checkpoint of this step from an earlier, abandoned attempt
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
        List<Path> all = list(root);
        for (int i = 0; i < all.size() - KEEP; i++) {
            deleteTree(all.get(i));
        }
        return target;
    }

    /** The newest complete checkpoint under {@code root}, or null when there is none. */
    public static Path latest(Path root) throws IOException {
        List<Path> all = list(root);
        return all.isEmpty() ? null : all.getLast();
    }

    public static Saved load(Path dir) throws IOException {
        Path stateFile = dir.resolve(STATE);
        if (!Files.exists(stateFile)) {
            throw new IOException(dir + ": not a checkpoint (no " + STATE + ")");
        }
        String source = stateFile.toString();
        TrainerState state = TrainerState.fromJson(Json.object(Json.parse(Files.readString(stateFile), source), source),
                source);
        Path bestFile = dir.resolve("best.safetensors");
        return new Saved(dir, state, values(dir.resolve("trainable.safetensors")),
                values(dir.resolve("optimizer.safetensors")), Files.exists(bestFile) ? values(bestFile) : null);
    }

    private static Map<String, float[]> values(Path file) throws IOException {
        Map<String, float[]> out = new LinkedHashMap<>();
        SafetensorsReader.readAll(file).forEach((name, t) -> out.put(name, t.data()));
        return out;
    }

    /** Checkpoint folders, oldest first (temporary folders of interrupted saves are not listed). */
    private static List<Path> list(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.getFileName().toString().startsWith(PREFIX) && Files.exists(p.resolve(STATE)))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }

    /**
     * Puts a checkpoint back: its values into the live tensors (names and sizes checked) and each tensor's
     * optimizer state ({@code params} in the optimizer's parameter order).
     */
    static void restore(Map<String, Tensor> params, Saved saved, Optimizer optimizer) {
        Path source = saved.dir();
        if (!saved.params().keySet().equals(params.keySet())) {
            throw new IllegalArgumentException(source + ": the checkpoint's tensors " + saved.params().keySet()
                    + " are not the run's trainable tensors " + params.keySet());
        }
        int[] steps = saved.state().optimizerSteps;
        if (steps.length != params.size()) {
            throw new IllegalArgumentException(source + ": optimizer state for " + steps.length + " tensors, the run has "
                    + params.size());
        }
        int i = 0;
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            float[] v = saved.params().get(name);
            if (v.length != t.numel()) {
                throw new IllegalArgumentException(source + ": tensor " + name + " has " + v.length
                        + " values, the model " + Arrays.toString(t.shape()));
            }
            t.copyFrom(v);
            Map<String, float[]> buffers = new LinkedHashMap<>();
            String suffix = "." + name;
            saved.moments().forEach((key, b) -> {
                if (key.endsWith(suffix) && key.indexOf('.') == key.length() - suffix.length()) {
                    buffers.put(key.substring(0, key.length() - suffix.length()), b);
                }
            });
            optimizer.loadState(i, new ParamState(steps[i], buffers));
            i++;
        }
    }
}
