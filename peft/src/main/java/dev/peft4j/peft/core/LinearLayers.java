package dev.peft4j.peft.core;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;

/** Finds the {@link LinearLayer} view of a module an adapter may wrap. */
public final class LinearLayers {

    private LinearLayers() {
    }

    /** Whether an adapter of the LoRA family can wrap {@code m}. */
    public static boolean isLinear(Module m) {
        return m instanceof LinearLayer;
    }

    /** The layer view of {@code m}; {@code path} names it in the error when it is not linear. */
    public static LinearLayer of(Module m, String path) {
        if (m instanceof LinearLayer l) {
            return l;
        }
        throw new IllegalArgumentException("module \"" + path + "\" is a " + m.getClass().getSimpleName()
                + ", not a linear layer (nn.Linear or a LinearLayer such as GPT-2's Conv1D); it cannot be targeted");
    }

    /** W as [out, in] (a transposed view for fan_in_fan_out storage). */
    public static Tensor weightOutIn(LinearLayer l) {
        return l.fanInFanOut() ? l.weight().t() : l.weight();
    }
}
