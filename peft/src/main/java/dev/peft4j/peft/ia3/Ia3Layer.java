package dev.peft4j.peft.ia3;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.peft.core.AbstractAdapterLayer;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.LinearLayers;
import dev.peft4j.peft.core.ParamDict;
import dev.peft4j.peft.core.WeightMath;

import java.util.List;
import java.util.Map;

/**
 * A linear layer with (IA)³ vectors, HF's {@code ia3.Linear}: {@code y = base(x) ⊙ l} with l [out, 1], or for
 * a feedforward module {@code y = base(x ⊙ l)} with l [1, in]. Saved as {@code ia3_l} in exactly those
 * shapes.
 *
 * <p>GPT-2's fused {@code c_attn} (out = 3·in, q|k|v along the output) is where (IA)³ scales keys and
 * values, so only its k and v thirds train: the trained parameter {@code ia3_l.<adapter>} is a [2·C, 1]
 * view of rows C..3C of the saved [3·C, 1] vector (same storage), and the q rows are a frozen view that stays
 * at its initial value (1, the identity; or what a loaded file holds, so HF adapters that trained q too
 * compute as in HF). HF itself scales the whole fused output; ours saved with q = 1 compute the same there.
 */
public final class Ia3Layer extends AbstractAdapterLayer<Ia3Layer.Adapter> {

    private static final String DICT = "ia3_l";

    /** @param full the saved vector; @param fixed its frozen leading rows (null: all of it trains) */
    record Adapter(Tensor full, Tensor trained, Tensor fixed, boolean feedforward) {
    }

    private final LinearLayer base;

    public Ia3Layer(Module base, String path) {
        super(base, path, "IA3");
        this.base = LinearLayers.of(base, path);
        registerAdapterDict(DICT, new ParamDict());
    }

    /** GPT-2's fused q|k|v projection: the k/v rows train, the q rows stay. */
    static boolean isFusedQkv(String path, LinearLayer l) {
        return (path.equals("c_attn") || path.endsWith(".c_attn")) && l.outFeatures() == 3 * l.inFeatures();
    }

    @Override
    protected Adapter create(String name, AdapterConfig config, InjectionContext context) {
        Ia3Config c = config(config, Ia3Config.class);
        boolean feedforward = c.isFeedforward(path);
        int n = feedforward ? base.inFeatures() : base.outFeatures();
        float[] init = c.initIa3Weights() ? ones(n) : context.rng().normal(n, 0, 1);
        Kernels k = context.kernels();
        Adapter a;
        if (!feedforward && isFusedQkv(path, base)) {
            int width = base.inFeatures();
            java.util.Arrays.fill(init, 0, width, 1f); // the q third is the identity whatever the init
            Tensor full = Tensor.of(k, init, n, 1);
            Tensor fixed = Tensor.wrap(k, full.buffer(), full.offset(), width, 1);
            Tensor trained = Tensor.wrap(k, full.buffer(), full.offset() + width, n - width, 1);
            a = new Adapter(full, trained, fixed, false);
        } else {
            Tensor full = feedforward ? Tensor.of(k, init, 1, n) : Tensor.of(k, init, n, 1);
            a = new Adapter(full, full, null, feedforward);
        }
        paramDict(DICT).put(name, a.trained);
        return a;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    @Override
    public List<Tensor> trainableTensors(String name) {
        return List.of(adapter(name).trained);
    }

    @Override
    public Map<String, Tensor> savedTensors(String name) {
        return Map.of("ia3_l", adapter(name).full);
    }

    /** The saved vector ([out, 1] or [1, in]) of {@code name}. */
    public Tensor vector(String name) {
        return adapter(name).full;
    }

    public boolean isFeedforward(String name) {
        return adapter(name).feedforward;
    }

    /** The scaling as a 1-D tensor in the autograd graph (the frozen rows joined to the trained ones). */
    private static Tensor scaling(Adapter a) {
        Tensor v = a.fixed == null ? a.full : Tensor.cat(0, a.fixed, a.trained);
        return v.reshape(a.full.numel());
    }

    @Override
    protected Tensor forwardWith(Tensor x, Adapter a) {
        if (a.feedforward) {
            return baseModule.forward(x.mul(scaling(a)));
        }
        Tensor l = scaling(a);
        if (base.plainAffine() && !(l.requiresGrad() && Autograd.isGradEnabled())) {
            // Evaluation (or frozen vectors): l scales each output as the base GEMM stores it.
            return Functional.linearScaled(x, LinearLayers.weightOutIn(base), base.bias(), l, null);
        }
        return baseModule.forward(x).mul(l);
    }

    @Override
    protected void foldIn(Adapter a) {
        scaleBase(a, false);
    }

    @Override
    protected void foldOut(Adapter a) {
        scaleBase(a, true);
    }

    /**
     * diag(l) folds into W: rows (and the bias) for an output scaling, columns for an input scaling; undone
     * by dividing, in float64 so a round trip costs one float32 rounding.
     */
    private void scaleBase(Adapter a, boolean divide) {
        float[] l = a.full.toArray();
        if (divide) {
            for (int i = 0; i < l.length; i++) {
                if (l[i] == 0f) {
                    throw new IllegalStateException(where() + ": ia3_l[" + i + "] is 0, so the merged"
                            + " weight cannot be unmerged");
                }
            }
        }
        int out = base.outFeatures();
        int in = base.inFeatures();
        double[] w = WeightMath.readOutIn(base);
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double s = a.feedforward ? l[i] : l[o];
                w[o * in + i] = divide ? w[o * in + i] / s : w[o * in + i] * s;
            }
        }
        WeightMath.writeOutIn(base, w);
        Tensor bias = base.bias();
        if (!a.feedforward && bias != null) {
            float[] b = bias.toArray();
            for (int o = 0; o < out; o++) {
                b[o] = (float) (divide ? (double) b[o] / l[o] : (double) b[o] * l[o]);
            }
            bias.copyFrom(b);
        }
    }
}
