package dev.peft4j.peft.core;

import dev.peft4j.engine.nn.Module;

import java.util.List;
import java.util.Map;

/**
 * One adapter method (HF PEFT's tuner): reads its config, prepares model-wide state, and wraps each
 * target module in its {@link AdapterLayer}. Register new methods with {@link Tuners#register}.
 */
public interface Tuner {

    /** HF's {@code peft_type} this tuner reads and writes. */
    String peftType();

    /** Parses {@code adapter_config.json}; {@code source} names the file in errors. */
    AdapterConfig parseConfig(Map<String, Object> json, String source);

    /**
     * Called once per adapter before any layer gets it, with every target (path -> module); a method
     * with model-wide tensors (VeRA) creates them in {@code context.shared()}.
     */
    default void prepare(AdapterConfig config, Map<String, Module> targets, InjectionContext context) {
    }

    /** A new, adapter-less wrapper around {@code base} (at {@code path}, named in errors). */
    AdapterLayer wrap(Module base, String path, AdapterConfig config);

    /** Whether {@code layer} is this tuner's wrapper (so a second adapter is added to it, not wrapped again). */
    boolean owns(AdapterLayer layer);

    /** The config to write for {@code adapter}: usually as given; methods that re-express themselves adjust it. */
    default AdapterConfig savedConfig(AdapterConfig config, List<AdapterLayer> layers, String adapter) {
        return config;
    }

    /** The number of parameters one target of [in, out] adds for {@code config}: trainable and total. */
    long[] parameterCounts(AdapterConfig config, int inFeatures, int outFeatures);
}
