package dev.peft4j.peft.core;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Kernels;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What layers share while one adapter is injected: the backend, the random source for initial values,
 * and model-wide tensors a method keeps outside the layers (VeRA's shared projections), keyed by their
 * saved name (e.g. {@code base_model.vera_A}).
 */
public final class InjectionContext {

    private final Kernels kernels;
    private final Rng rng;
    private final Map<String, Tensor> shared;
    private final Map<String, Object> scratch = new LinkedHashMap<>();

    public InjectionContext(Kernels kernels, Rng rng, Map<String, Tensor> shared) {
        this.kernels = kernels;
        this.rng = rng;
        this.shared = shared;
    }

    public Kernels kernels() {
        return kernels;
    }

    public Rng rng() {
        return rng;
    }

    /** The shared tensors of the adapter being injected (mutable: a tuner's {@code prepare} fills it). */
    public Map<String, Tensor> shared() {
        return shared;
    }

    /** Per-injection state a tuner hands from {@code prepare} to its layers without saving it. */
    public Map<String, Object> scratch() {
        return scratch;
    }

    public static Map<String, Tensor> newShared() {
        return new LinkedHashMap<>();
    }
}
