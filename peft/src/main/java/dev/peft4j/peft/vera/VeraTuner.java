package dev.peft4j.peft.vera;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.LinearLayers;
import dev.peft4j.peft.core.Tuner;

import java.util.Map;

/**
 * VeRA (HF {@code peft_type} VERA): one pair of frozen random projections A [r, max in] and
 * B [max out, r] shared by every adapted layer (each layer slices what it needs), and per layer two
 * trained vectors λ_b [out] and λ_d [r]. Saved keys: {@code base_model.vera_A}, {@code base_model.vera_B}
 * (when {@code save_projection}) and {@code ...vera_lambda_b} / {@code ...vera_lambda_d} per layer.
 */
public final class VeraTuner implements Tuner {

    public static final String KEY_A = "base_model.vera_A";
    public static final String KEY_B = "base_model.vera_B";

    @Override
    public String peftType() {
        return VeraConfig.PEFT_TYPE;
    }

    @Override
    public AdapterConfig parseConfig(Map<String, Object> json, String source) {
        return VeraConfig.fromJson(json, source);
    }

    /** Creates the shared projections sized by the largest target, as HF's {@code _find_dim}. */
    @Override
    public void prepare(AdapterConfig config, Map<String, Module> targets, InjectionContext context) {
        VeraConfig c = (VeraConfig) config;
        int maxIn = 0;
        int maxOut = 0;
        for (Map.Entry<String, Module> e : targets.entrySet()) {
            LinearLayer l = LinearLayers.of(e.getValue(), e.getKey());
            maxIn = Math.max(maxIn, l.inFeatures());
            maxOut = Math.max(maxOut, l.outFeatures());
        }
        // HF's _kaiming_init: uniform(±√(6 / fan_in)), fan_in = the tensor's second dimension.
        Rng rng = new Rng(c.projectionPrngKey());
        Tensor a = Tensor.of(context.kernels(), rng.kaimingUniform(maxIn, 0, c.r() * maxIn), c.r(), maxIn);
        Tensor b = Tensor.of(context.kernels(), rng.kaimingUniform(c.r(), 0, maxOut * c.r()), maxOut, c.r());
        context.scratch().put(KEY_A, a);
        context.scratch().put(KEY_B, b);
        if (c.saveProjection()) {
            context.shared().put(KEY_A, a);
            context.shared().put(KEY_B, b);
        }
    }

    @Override
    public AdapterLayer wrap(Module base, String path, AdapterConfig config) {
        return new VeraLayer(base, path);
    }

    @Override
    public boolean owns(AdapterLayer layer) {
        return layer instanceof VeraLayer;
    }

    @Override
    public long[] parameterCounts(AdapterConfig config, int inFeatures, int outFeatures) {
        long n = outFeatures + ((VeraConfig) config).r();
        return new long[] {n, n};
    }
}
