package dev.peft4j.engine.optim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One parameter's optimizer state, what a checkpoint needs to continue training exactly: the updates it
 * has taken and its buffers by PyTorch's names ({@code exp_avg}, {@code exp_avg_sq}, {@code momentum_buffer}).
 * Buffers are absent before a parameter's first update.
 */
public record ParamState(int steps, Map<String, float[]> buffers) {

    public ParamState {
        if (steps < 0) {
            throw new IllegalArgumentException("optimizer state: steps must be >= 0, got " + steps);
        }
        buffers = Map.copyOf(new LinkedHashMap<>(buffers));
    }

    /** The state of a parameter never updated. */
    public static ParamState fresh() {
        return new ParamState(0, Map.of());
    }

    /** Buffer {@code name}, checked to hold {@code n} values; {@code owner} names the optimizer in errors. */
    float[] buffer(String name, int n, String owner, int index) {
        float[] b = buffers.get(name);
        if (b == null || b.length != n) {
            throw new IllegalArgumentException(owner + ": state of parameter " + index + " needs buffer \"" + name
                    + "\" of " + n + " values, got " + (b == null ? "none (buffers " + buffers.keySet() + ")"
                    : b.length + " values"));
        }
        return b;
    }
}
