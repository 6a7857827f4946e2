package dev.peft4j.peft.lora;

import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Dropout;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.peft.core.AbstractAdapterLayer;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.LinearLayers;
import dev.peft4j.peft.core.ModuleDict;
import dev.peft4j.peft.core.WeightHolder;
import dev.peft4j.peft.core.WeightMath;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A linear layer with LoRA adapters, HF PEFT's {@code lora.Linear}: {@code y = base(x) + s·B·A·dropout(x)}
 * with A [r, in], B [out, r] and s = alpha/r (alpha/√r with rsLoRA), whatever the base weight's storage
 * (fan_in_fan_out only matters when merging). With DoRA the output is rescaled per row by
 * {@code m / ‖W + s·B·A‖} (norm detached), as HF's {@code DoraLinearLayer}.
 *
 * <p>Parameter names follow HF: {@code base_layer.weight}, {@code lora_A.<adapter>.weight},
 * {@code lora_B.<adapter>.weight}, {@code lora_magnitude_vector.<adapter>.weight}.
 */
public final class LoraLayer extends AbstractAdapterLayer<LoraAdapter> {

    private static final String DICT_A = "lora_A";
    private static final String DICT_B = "lora_B";
    private static final String DICT_MAGNITUDE = "lora_magnitude_vector";
    private static final String DICT_DROPOUT = "lora_dropout";

    private final LinearLayer base;
    private double[] baseNormsSquared; // DoRA's cache of ‖w_o‖²; dropped whenever the base weight changes
    private boolean freezeDoraNorms;
    private final Map<String, float[]> frozenDoraNorms = new LinkedHashMap<>();

    public LoraLayer(Module base, String path) {
        super(base, path, "LoRA");
        this.base = LinearLayers.of(base, path);
        registerAdapterDict(DICT_DROPOUT, new ModuleDict<Dropout>());
        registerAdapterDict(DICT_A, new ModuleDict<WeightHolder>());
        registerAdapterDict(DICT_B, new ModuleDict<WeightHolder>());
    }

    /** The wrapped layer's linear view. */
    public LinearLayer linear() {
        return base;
    }

    @Override
    protected LoraAdapter create(String name, AdapterConfig config, InjectionContext context) {
        LoraConfig c = config(config, LoraConfig.class);
        if (c.useDora() && c.isPissa()) {
            throw new IllegalArgumentException(where() + ": DoRA with PiSSA init is not supported");
        }
        int in = base.inFeatures();
        int out = base.outFeatures();
        int r = c.r();
        double scaling = c.scaling();
        Rng rng = context.rng();
        Kernels k = context.kernels();
        float[] a;
        float[] b;
        Object init = c.initLoraWeights();
        if (c.isPissa()) {
            PissaInit.Factors f = PissaInit.compute(base, r, scaling, path);
            a = f.a();
            b = f.b();
        } else if ("gaussian".equals(init)) {
            a = rng.normal(r * in, 0, 1.0 / r);
            b = new float[out * r];
        } else {
            // nn.Linear's own init for lora_A (kaiming_uniform, a=√5); B zero unless init is false.
            a = rng.kaimingUniform(in, Math.sqrt(5), r * in);
            b = Boolean.FALSE.equals(init) ? rng.kaimingUniform(r, Math.sqrt(5), out * r) : new float[out * r];
        }
        Tensor ta = Tensor.of(k, a, r, in);
        Tensor tb = Tensor.of(k, b, out, r);
        Dropout dropout = putModule(DICT_DROPOUT, name, new Dropout(c.loraDropout(), rng.nextLong()));
        putModule(DICT_A, name, new WeightHolder(ta));
        putModule(DICT_B, name, new WeightHolder(tb));
        Tensor magnitude = null;
        if (c.useDora()) {
            // HF initialises m to ‖W + s·B·A‖ so the adapted layer starts equal to the base.
            magnitude = Tensor.of(k, DoraNorm.rowNorms(base, normsSquared(), ta, tb, scaling), out);
            if (!hasChild(DICT_MAGNITUDE)) {
                registerAdapterDict(DICT_MAGNITUDE, new ModuleDict<WeightHolder>());
            }
            putModule(DICT_MAGNITUDE, name, new WeightHolder(magnitude));
        }
        LoraAdapter adapter = new LoraAdapter(r, scaling, c.useDora(), c.trainLoraA(), dropout, ta, tb, magnitude);
        if (c.isPissa()) {
            WeightMath.add(base, WeightMath.lowRank(b, a, out, r, in, scaling), -1);
            adapter.baseOffsets.add(new LoraAdapter.BaseOffset(a.clone(), b.clone(), r, -1));
            baseNormsSquared = null;
        }
        return adapter;
    }

    private boolean hasChild(String name) {
        return namedModules().containsKey(name);
    }

    @Override
    protected void deleted(LoraAdapter adapter) {
        undoBaseOffsets(adapter);
    }

    @Override
    public List<Tensor> trainableTensors(String name) {
        LoraAdapter a = adapter(name);
        List<Tensor> out = new ArrayList<>();
        if (a.trainA) {
            out.add(a.a);
        }
        out.add(a.b);
        if (a.magnitude != null) {
            out.add(a.magnitude);
        }
        return out;
    }

    public Tensor loraA(String name) {
        return adapter(name).a;
    }

    public Tensor loraB(String name) {
        return adapter(name).b;
    }

    /** DoRA's magnitude vector m [out], or null when the adapter does not use DoRA. */
    public Tensor magnitude(String name) {
        return adapter(name).magnitude;
    }

    public double scaling(String name) {
        return adapter(name).scaling;
    }

    /** The rank the saved form of {@code name} has: r plus the ranks of its base offsets. */
    int savedRank(String name) {
        LoraAdapter a = adapter(name);
        int r = a.r;
        for (LoraAdapter.BaseOffset o : a.baseOffsets) {
            r += o.rank();
        }
        return r;
    }

    @Override
    public Map<String, Tensor> savedTensors(String name) {
        LoraAdapter a = adapter(name);
        Map<String, Tensor> out = new LinkedHashMap<>();
        if (a.baseOffsets.isEmpty()) {
            out.put("lora_A.weight", a.a);
            out.put("lora_B.weight", a.b);
        } else {
            // Against the original weight the adapter is s·[B, c₁B₁, ...]·[A; A₁; ...] (HF's PiSSA conversion).
            int in = base.inFeatures();
            int out2 = base.outFeatures();
            int rank = savedRank(name);
            float[] ca = new float[rank * in];
            float[] cb = new float[out2 * rank];
            float[] a0 = a.a.toArray();
            float[] b0 = a.b.toArray();
            System.arraycopy(a0, 0, ca, 0, a0.length);
            int col = 0;
            col = putColumns(cb, b0, out2, a.r, rank, col, 1);
            int row = a.r;
            for (LoraAdapter.BaseOffset o : a.baseOffsets) {
                System.arraycopy(o.a(), 0, ca, row * in, o.a().length);
                row += o.rank();
                col = putColumns(cb, o.b(), out2, o.rank(), rank, col, o.coefficient());
            }
            Kernels k = a.a.kernels();
            out.put("lora_A.weight", Tensor.of(k, ca, rank, in));
            out.put("lora_B.weight", Tensor.of(k, cb, out2, rank));
        }
        if (a.magnitude != null) {
            out.put("lora_magnitude_vector", a.magnitude); // HF saves it without ".weight"
        }
        return out;
    }

    private static int putColumns(float[] dst, float[] src, int rows, int srcCols, int dstCols, int at, double sign) {
        for (int o = 0; o < rows; o++) {
            for (int k = 0; k < srcCols; k++) {
                dst[o * dstCols + at + k] = (float) (sign * src[o * srcCols + k]);
            }
        }
        return at + srcCols;
    }

    // ------------------------------------------------------------------ forward

    @Override
    protected Tensor forwardWith(Tensor x, LoraAdapter a) {
        Tensor xd = a.dropout.forward(x);
        if (!a.useDora) {
            // s·B(A x) as B(s·A x): the scaling touches the r-wide intermediate, not the out-wide output.
            Tensor h = Functional.linear(xd, a.a, null).mul((float) a.scaling);
            if (base.plainAffine()) {
                // One GEMM for base and update: B·h is added as the base GEMM stores y, not by a second GEMM
                // and an add over the out-wide output.
                return Functional.linearLowRank(x, LinearLayers.weightOutIn(base), base.bias(), h, a.b);
            }
            return baseModule.forward(x).add(Functional.linear(h, a.b, null));
        }
        Tensor result = baseModule.forward(x);
        Tensor lora = Functional.linear(Functional.linear(xd, a.a, null), a.b, null);
        // DoRA (HF DoraLinearLayer.forward): result + (m/‖W+sBA‖ - 1)·(x̃ W ᵀ) + (m/‖W+sBA‖)·s·B A x̃.
        Tensor norm = Tensor.of(x.kernels(), doraNorm(a), base.outFeatures());
        Tensor scale = a.magnitude.div(norm);
        Tensor baseNoBias;
        if (xd == x) {
            baseNoBias = base.bias() == null ? result : result.sub(base.bias());
        } else {
            baseNoBias = Functional.linear(xd, LinearLayers.weightOutIn(base), null);
        }
        return result.add(baseNoBias.mul(scale.add(-1f))).add(lora.mul(scale).mul((float) a.scaling));
    }

    private float[] doraNorm(LoraAdapter a) {
        if (freezeDoraNorms) {
            return frozenDoraNorms.computeIfAbsent(activeName(),
                    n -> DoraNorm.rowNorms(base, normsSquared(), a.a, a.b, a.scaling));
        }
        return DoraNorm.rowNorms(base, normsSquared(), a.a, a.b, a.scaling);
    }

    private double[] normsSquared() {
        if (baseNormsSquared == null) {
            baseNormsSquared = DoraNorm.baseRowNormsSquared(base);
        }
        return baseNormsSquared;
    }

    /**
     * Holds DoRA's (already detached) norm at its current value on later forwards, so a finite-difference
     * test can differentiate exactly the function autograd differentiates. Off again with false.
     */
    public void freezeDoraNorms(boolean on) {
        freezeDoraNorms = on;
        frozenDoraNorms.clear();
    }

    // ------------------------------------------------------------------ merge

    /** ΔW = s·B·A as [out, in], float64. */
    private double[] deltaWeight(LoraAdapter a) {
        return WeightMath.lowRank(a.b.toArray(), a.a.toArray(), base.outFeatures(), a.r, base.inFeatures(), a.scaling);
    }

    @Override
    protected void foldIn(LoraAdapter a) {
        double[] delta = deltaWeight(a);
        if (!a.useDora) {
            WeightMath.add(base, delta, 1);
        } else {
            // HF: W' = (m / ‖W + ΔW‖) ⊙ (W + ΔW), row-wise in [out, in]; the norm is kept for unmerge.
            int out = base.outFeatures();
            int in = base.inFeatures();
            double[] w = WeightMath.readOutIn(base);
            for (int j = 0; j < w.length; j++) {
                w[j] += delta[j];
            }
            double[] norms = WeightMath.rowNorms(w, out, in);
            float[] m = a.magnitude.toArray();
            a.mergedDoraNorm = new float[out];
            for (int o = 0; o < out; o++) {
                a.mergedDoraNorm[o] = (float) norms[o];
                double factor = m[o] / norms[o];
                for (int i = 0; i < in; i++) {
                    w[o * in + i] *= factor;
                }
            }
            WeightMath.writeOutIn(base, w);
        }
        baseNormsSquared = null;
    }

    @Override
    protected void foldOut(LoraAdapter a) {
        double[] delta = deltaWeight(a);
        if (!a.useDora) {
            WeightMath.add(base, delta, -1);
        } else {
            int out = base.outFeatures();
            int in = base.inFeatures();
            double[] w = WeightMath.readOutIn(base);
            float[] m = a.magnitude.toArray();
            for (int o = 0; o < out; o++) {
                double factor = m[o] / (double) a.mergedDoraNorm[o];
                for (int i = 0; i < in; i++) {
                    w[o * in + i] = w[o * in + i] / factor - delta[o * in + i];
                }
            }
            WeightMath.writeOutIn(base, w);
        }
        baseNormsSquared = null;
    }

    // ------------------------------------------------------------------ base offsets (PiSSA, Chain of LoRA)

    /**
     * Chain of LoRA's restart: folds adapter {@code name}'s current s·B·A into the base weight for good,
     * remembers it as a link (so the saved adapter still describes the whole chain), and starts A and B
     * afresh (A Kaiming-uniform, B zero) so the next link begins at zero.
     */
    public void foldAndRestart(String name, Rng rng) {
        LoraAdapter a = adapter(name);
        if (!mergedAdapters().isEmpty()) {
            throw new IllegalStateException(where() + ": cannot restart a chain while merged");
        }
        if (a.useDora) {
            throw new IllegalStateException(where() + ": Chain of LoRA with DoRA is not supported");
        }
        float[] av = a.a.toArray();
        float[] bv = a.b.toArray();
        WeightMath.add(base, WeightMath.lowRank(bv, av, base.outFeatures(), a.r, base.inFeatures(), a.scaling), 1);
        a.baseOffsets.add(new LoraAdapter.BaseOffset(av, bv, a.r, 1));
        baseNormsSquared = null;
        a.a.copyFrom(rng.kaimingUniform(base.inFeatures(), Math.sqrt(5), a.r * base.inFeatures()));
        a.b.fill(0f);
    }

    @Override
    public void restoreBase() {
        for (LoraAdapter a : allAdapters()) {
            undoBaseOffsets(a);
        }
    }

    private void undoBaseOffsets(LoraAdapter a) {
        for (int i = a.baseOffsets.size() - 1; i >= 0; i--) {
            LoraAdapter.BaseOffset o = a.baseOffsets.get(i);
            double[] d = WeightMath.lowRank(o.b(), o.a(), base.outFeatures(), o.rank(), base.inFeatures(), a.scaling);
            WeightMath.add(base, d, -o.coefficient());
        }
        a.baseOffsets.clear();
        baseNormsSquared = null;
    }
}
