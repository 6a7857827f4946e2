package dev.peft4j.peft.ssf;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.AbstractAdapterLayer;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.LinearLayers;
import dev.peft4j.peft.core.ParamDict;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A module followed by SSF's channel-wise scale and shift, {@code y = base(x) ⊙ γ + β} with γ, β [width]
 * (a linear layer's outputs or a norm's channels). Parameter names {@code ssf_scale.<adapter>},
 * {@code ssf_shift.<adapter>}; saved as {@code ssf_scale} / {@code ssf_shift}. Merging folds them into
 * the module ({@link OutputChannels}).
 */
public final class SsfLayer extends AbstractAdapterLayer<SsfLayer.Adapter> {

    private static final String SCALE = "ssf_scale";
    private static final String SHIFT = "ssf_shift";

    record Adapter(Tensor scale, Tensor shift) {
    }

    private final OutputChannels channels;

    public SsfLayer(Module base, String path) {
        super(base, path, "SSF");
        this.channels = OutputChannels.of(base, path);
        registerAdapterDict(SCALE, new ParamDict());
        registerAdapterDict(SHIFT, new ParamDict());
    }

    @Override
    protected Adapter create(String name, AdapterConfig config, InjectionContext context) {
        SsfConfig c = config(config, SsfConfig.class);
        int n = channels.width();
        Rng rng = context.rng();
        float[] scale = c.initSsfWeights() ? filled(n, 1f) : rng.normal(n, 1, 0.02);
        float[] shift = c.initSsfWeights() ? new float[n] : rng.normal(n, 0, 0.02);
        Adapter a = new Adapter(Tensor.of(context.kernels(), scale, n), Tensor.of(context.kernels(), shift, n));
        paramDict(SCALE).put(name, a.scale);
        paramDict(SHIFT).put(name, a.shift);
        return a;
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @Override
    public List<Tensor> trainableTensors(String name) {
        Adapter a = adapter(name);
        return List.of(a.scale, a.shift);
    }

    @Override
    public Map<String, Tensor> savedTensors(String name) {
        Adapter a = adapter(name);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put(SCALE, a.scale);
        out.put(SHIFT, a.shift);
        return out;
    }

    @Override
    protected Tensor forwardWith(Tensor x, Adapter a) {
        if (baseModule instanceof LinearLayer l && l.plainAffine()
                && !(a.scale.requiresGrad() && Autograd.isGradEnabled())) {
            // Evaluation (or a frozen scale) on a linear layer: γ and β applied as the base GEMM stores y.
            return Functional.linearScaled(x, LinearLayers.weightOutIn(l), l.bias(), a.scale, a.shift);
        }
        return baseModule.forward(x).mul(a.scale).add(a.shift);
    }

    /** Folding rescales the module's own channels, so a second adapter cannot be folded on top. */
    @Override
    protected boolean mergesOneAtATime() {
        return true;
    }

    @Override
    protected void foldIn(Adapter a) {
        channels.fold(a.scale.toArray(), a.shift.toArray());
    }

    @Override
    protected void foldOut(Adapter a) {
        channels.unfold(a.scale.toArray(), a.shift.toArray());
    }
}
