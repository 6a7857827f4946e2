package dev.peft4j.engine.optim;

import dev.peft4j.engine.Tensor;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** Argument checks shared by the optimizers; messages name the optimizer, parameter index and shapes. */
final class ParamChecks {

    private ParamChecks() {
    }

    /** Parameters must be distinct contiguous leaves: the kernels update their storage in place. */
    static void requireUpdatable(String who, List<Tensor> params) {
        Map<Tensor, Integer> seen = new IdentityHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            if (p == null) {
                throw new IllegalArgumentException(who + ": parameter " + i + " is null");
            }
            if (!p.isContiguous() || !p.isLeaf()) {
                throw new IllegalArgumentException(who + ": parameter " + i + " " + Arrays.toString(p.shape())
                        + " must be a contiguous leaf tensor");
            }
            Integer previous = seen.put(p, i);
            if (previous != null) {
                throw new IllegalArgumentException(who + ": parameters " + previous + " and " + i
                        + " are the same tensor; it would be updated twice per step");
            }
        }
    }

    static void requireMatchingGrad(String who, int index, Tensor p, Tensor g) {
        if (g.numel() != p.numel() || !g.isContiguous() || g.kernels() != p.kernels()) {
            throw new IllegalStateException(who + ": parameter " + index + " " + Arrays.toString(p.shape())
                    + " has a gradient " + Arrays.toString(g.shape()) + " that is not a contiguous tensor of the"
                    + " same size on the same backend");
        }
    }

    static void requireInRange(String who, String name, float value, float lo, float hi) {
        if (!(value >= lo && value <= hi)) {
            throw new IllegalArgumentException(who + ": " + name + " must be in [" + lo + ", " + hi + "], got " + value);
        }
    }
}
