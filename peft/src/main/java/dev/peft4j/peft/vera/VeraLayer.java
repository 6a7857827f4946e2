package dev.peft4j.peft.vera;

import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Dropout;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.AbstractAdapterLayer;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.LinearLayers;
import dev.peft4j.peft.core.ModuleDict;
import dev.peft4j.peft.core.ParamDict;
import dev.peft4j.peft.core.WeightMath;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A linear layer with VeRA adapters, HF's {@code vera.Linear}:
 * {@code y = base(x) + λ_b ⊙ (B_s · (λ_d ⊙ (A_s · dropout(x))))} with A_s = A[:r, :in] and B_s = B[:out, :r]
 * sliced from the shared projections (views, no copies). Parameter names: {@code vera_lambda_b.<adapter>},
 * {@code vera_lambda_d.<adapter>}.
 */
public final class VeraLayer extends AbstractAdapterLayer<VeraLayer.Adapter> {

    record Adapter(Tensor lambdaB, Tensor lambdaD, Tensor a, Tensor b, Dropout dropout, int r) {
    }

    private final LinearLayer base;

    public VeraLayer(Module base, String path) {
        super(base, path, "VeRA");
        this.base = LinearLayers.of(base, path);
        registerAdapterDict("vera_dropout", new ModuleDict<Dropout>());
        registerAdapterDict("vera_lambda_b", new ParamDict());
        registerAdapterDict("vera_lambda_d", new ParamDict());
    }

    @Override
    protected Adapter create(String name, AdapterConfig config, InjectionContext context) {
        VeraConfig c = config(config, VeraConfig.class);
        Tensor sharedA = (Tensor) context.scratch().get(VeraTuner.KEY_A);
        Tensor sharedB = (Tensor) context.scratch().get(VeraTuner.KEY_B);
        int in = base.inFeatures();
        int out = base.outFeatures();
        int r = c.r();
        if (sharedA == null || sharedA.dim(1) < in || sharedB.dim(0) < out) {
            throw new IllegalStateException(where() + " [" + in + " -> " + out
                    + "]: the shared projections are missing or too small");
        }
        Rng rng = context.rng();
        // HF: λ_b zeros and λ_d = d_initial, so the adapter starts as the identity; else random.
        float[] lb = c.initWeights() ? new float[out] : rng.normal(out, 0, 1);
        float[] ld = new float[r];
        if (c.initWeights()) {
            java.util.Arrays.fill(ld, (float) c.dInitial());
        } else {
            ld = rng.normal(r, 0, 1);
        }
        Tensor lambdaB = Tensor.of(context.kernels(), lb, out);
        Tensor lambdaD = Tensor.of(context.kernels(), ld, r);
        paramDict("vera_lambda_b").put(name, lambdaB);
        paramDict("vera_lambda_d").put(name, lambdaD);
        Dropout dropout = putModule("vera_dropout", name, new Dropout(c.veraDropout(), rng.nextLong()));
        return new Adapter(lambdaB, lambdaD, sharedA.slice(1, 0, in), sharedB.slice(0, 0, out), dropout, r);
    }

    @Override
    public List<Tensor> trainableTensors(String name) {
        Adapter a = adapter(name);
        return List.of(a.lambdaB, a.lambdaD);
    }

    @Override
    public Map<String, Tensor> savedTensors(String name) {
        Adapter a = adapter(name);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("vera_lambda_b", a.lambdaB);
        out.put("vera_lambda_d", a.lambdaD);
        return out;
    }

    public Tensor lambdaB(String name) {
        return adapter(name).lambdaB;
    }

    public Tensor lambdaD(String name) {
        return adapter(name).lambdaD;
    }

    @Override
    protected Tensor forwardWith(Tensor x, Adapter a) {
        Tensor result = baseModule.forward(x);
        Tensor h = Functional.linear(a.dropout.forward(x), a.a, null).mul(a.lambdaD);
        return result.add(Functional.linear(h, a.b, null).mul(a.lambdaB));
    }

    /** ΔW = (λ_b ⊙ B_s)·(λ_d ⊙ A_s) as [out, in], float64. */
    private double[] deltaWeight(Adapter a) {
        int out = base.outFeatures();
        int in = base.inFeatures();
        float[] lb = a.lambdaB.toArray();
        float[] ld = a.lambdaD.toArray();
        float[] bs = a.b.toArray(); // [out, r]
        float[] as = a.a.toArray(); // [r, in]
        float[] scaledB = new float[out * a.r];
        for (int o = 0; o < out; o++) {
            for (int k = 0; k < a.r; k++) {
                scaledB[o * a.r + k] = (float) ((double) lb[o] * bs[o * a.r + k] * ld[k]);
            }
        }
        return WeightMath.lowRank(scaledB, as, out, a.r, in, 1.0);
    }

    @Override
    protected void foldIn(Adapter a) {
        WeightMath.add(base, deltaWeight(a), 1);
    }

    @Override
    protected void foldOut(Adapter a) {
        WeightMath.add(base, deltaWeight(a), -1);
    }
}
