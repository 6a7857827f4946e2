package dev.peft4j.peft.ssf;

import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.Tuner;

import java.util.Map;

/**
 * SSF ({@code peft_type} "SSF", not in HF PEFT): a learned per-channel scale γ and shift β after each target
 * module. Saved keys {@code base_model.model.<path>.ssf_scale} and {@code .ssf_shift}, both [width].
 */
public final class SsfTuner implements Tuner {

    @Override
    public String peftType() {
        return SsfConfig.PEFT_TYPE;
    }

    @Override
    public AdapterConfig parseConfig(Map<String, Object> json, String source) {
        return SsfConfig.fromJson(json, source);
    }

    @Override
    public AdapterLayer wrap(Module base, String path, AdapterConfig config) {
        return new SsfLayer(base, path);
    }

    @Override
    public boolean owns(AdapterLayer layer) {
        return layer instanceof SsfLayer;
    }

    @Override
    public long[] parameterCounts(AdapterConfig config, int inFeatures, int outFeatures) {
        return new long[] {2L * outFeatures, 2L * outFeatures};
    }
}
