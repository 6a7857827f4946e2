package dev.peft4j.peft.vera;

import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Dropout;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.LinearLayers;
import dev.peft4j.peft.core.ModuleDict;
import dev.peft4j.peft.core.ParamDict;
import dev.peft4j.peft.core.WeightMath;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A linear layer with VeRA adapters, HF's {@code vera.Linear}:
 * {@code y = base(x) + λ_b ⊙ (B_s · (λ_d ⊙ (A_s · dropout(x))))} with A_s = A[:r, :in] and B_s = B[:out, :r]
 * sliced from the shared projections (views, no copies). Parameter names: {@code vera_lambda_b.<adapter>},
 * {@code vera_lambda_d.<adapter>}.
 */
public final class VeraLayer extends Module implements AdapterLayer {

    private record Adapter(Tensor lambdaB, Tensor lambdaD, Tensor a, Tensor b, Dropout dropout, int r) {
    }

    private final Module baseModule;
    private final LinearLayer base;
    private final String path;
    private final Map<String, Adapter> adapters = new LinkedHashMap<>();
    private final List<String> merged = new ArrayList<>();
    private String active;
    private boolean enabled = true;

    public VeraLayer(Module base, String path) {
        this.baseModule = base;
        this.base = LinearLayers.of(base, path);
        this.path = path;
        registerModule("base_layer", base);
        registerModule("vera_dropout", new ModuleDict<Dropout>());
        registerModule("vera_lambda_b", new ParamDict());
        registerModule("vera_lambda_d", new ParamDict());
    }

    @Override
    public Module baseLayer() {
        return baseModule;
    }

    @Override
    public Set<String> adapters() {
        return Set.copyOf(adapters.keySet());
    }

    @SuppressWarnings("unchecked")
    private ModuleDict<Dropout> dropouts() {
        return child("vera_dropout", ModuleDict.class);
    }

    @Override
    public void addAdapter(String name, AdapterConfig config, InjectionContext context) {
        if (!(config instanceof VeraConfig c)) {
            throw new IllegalArgumentException("VeRA layer \"" + path + "\": config is " + config.peftType());
        }
        if (adapters.containsKey(name)) {
            throw new IllegalArgumentException("VeRA layer \"" + path + "\" already has adapter \"" + name + "\"");
        }
        Tensor sharedA = (Tensor) context.scratch().get(VeraTuner.KEY_A);
        Tensor sharedB = (Tensor) context.scratch().get(VeraTuner.KEY_B);
        int in = base.inFeatures();
        int out = base.outFeatures();
        int r = c.r();
        if (sharedA == null || sharedA.dim(1) < in || sharedB.dim(0) < out) {
            throw new IllegalStateException("VeRA layer \"" + path + "\" [" + in + " -> " + out
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
        child("vera_lambda_b", ParamDict.class).put(name, lambdaB);
        child("vera_lambda_d", ParamDict.class).put(name, lambdaD);
        Dropout dropout = new Dropout(c.veraDropout(), rng.nextLong());
        dropout.train(isTraining());
        dropouts().put(name, dropout);
        adapters.put(name, new Adapter(lambdaB, lambdaD, sharedA.slice(1, 0, in), sharedB.slice(0, 0, out), dropout, r));
    }

    @Override
    public void deleteAdapter(String name) {
        adapter(name);
        if (merged.contains(name)) {
            throw new IllegalStateException("VeRA layer \"" + path + "\": adapter \"" + name + "\" is merged; unmerge first");
        }
        replaceModule("vera_lambda_b", child("vera_lambda_b", ParamDict.class).without(name));
        replaceModule("vera_lambda_d", child("vera_lambda_d", ParamDict.class).without(name));
        replaceModule("vera_dropout", dropouts().without(name));
        adapters.remove(name);
        if (name.equals(active)) {
            active = null;
        }
    }

    private Adapter adapter(String name) {
        Adapter a = adapters.get(name);
        if (a == null) {
            throw new IllegalArgumentException("VeRA layer \"" + path + "\" has no adapter \"" + name
                    + "\" (adapters: " + adapters.keySet() + ")");
        }
        return a;
    }

    @Override
    public void setActive(String name) {
        if (name != null) {
            adapter(name);
        }
        active = name;
    }

    @Override
    public void setEnabled(boolean on) {
        enabled = on;
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
    public Tensor forward(Tensor x) {
        Tensor result = baseModule.forward(x);
        if (!enabled || active == null || !merged.isEmpty()) {
            return result;
        }
        Adapter a = adapters.get(active);
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
    public void merge(String name) {
        Adapter a = adapter(name);
        if (merged.contains(name)) {
            throw new IllegalStateException("VeRA layer \"" + path + "\": adapter \"" + name + "\" is already merged");
        }
        WeightMath.add(base, deltaWeight(a), 1);
        merged.add(name);
    }

    @Override
    public void unmerge() {
        while (!merged.isEmpty()) {
            WeightMath.add(base, deltaWeight(adapters.get(merged.removeLast())), -1);
        }
    }

    @Override
    public List<String> mergedAdapters() {
        return List.copyOf(merged);
    }

    @Override
    public String toString() {
        return "VeraLayer(" + baseModule + ", adapters " + adapters.keySet() + ")";
    }
}
