package dev.peft4j.peft.ia3;

import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.Tuner;

import java.util.Map;

/**
 * (IA)³ (HF {@code peft_type} IA3, Liu et al. 2022 "T-Few"): one learned vector per target that rescales
 * its output, or its input for {@code feedforward_modules}; initialised to ones and mergeable
 * (diag(l) folds into W). Saved key: {@code base_model.model.<path>.ia3_l}.
 */
public final class Ia3Tuner implements Tuner {

    @Override
    public String peftType() {
        return Ia3Config.PEFT_TYPE;
    }

    @Override
    public AdapterConfig parseConfig(Map<String, Object> json, String source) {
        return Ia3Config.fromJson(json, source);
    }

    @Override
    public AdapterLayer wrap(Module base, String path, AdapterConfig config) {
        return new Ia3Layer(base, path);
    }

    @Override
    public boolean owns(AdapterLayer layer) {
        return layer instanceof Ia3Layer;
    }

    /** The output scaling's size (a feedforward target adds {@code inFeatures} instead). */
    @Override
    public long[] parameterCounts(AdapterConfig config, int inFeatures, int outFeatures) {
        return new long[] {outFeatures, outFeatures};
    }
}
