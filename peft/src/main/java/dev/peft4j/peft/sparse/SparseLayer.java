package dev.peft4j.peft.sparse;

import dev.peft4j.engine.SparseDeltaOp;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.AbstractAdapterLayer;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.LinearLayers;
import dev.peft4j.peft.core.ParamDict;
import dev.peft4j.peft.core.TensorSlot;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A linear layer with sparse-delta adapters: {@code y = x · (W + scatter(indices, values))ᵀ + b}, computed
 * by {@link SparseDeltaOp} (the values' gradient only at their indices). Parameter names:
 * {@code sparse_values.<adapter>}; the indices are data, not parameters. Saved per adapter:
 * {@code sparse_indices} (I32) and {@code sparse_values} (F32), both [nnz].
 *
 * <p>Merge writes {@code W + v} at the entries and keeps the nnz entries it overwrote, so unmerge puts the
 * exact original back (in float32, {@code (w + v) - v} need not be {@code w}); an entry changed while
 * merged is unmerged by subtraction instead.
 */
public final class SparseLayer extends AbstractAdapterLayer<SparseLayer.Adapter> {

    static final class Adapter {
        SparseDeltaOp.Pattern pattern;
        Tensor values;
        Merged merged; // while merged: what the merge wrote

        Adapter(SparseDeltaOp.Pattern pattern, Tensor values) {
            this.pattern = pattern;
            this.values = values;
        }
    }

    /** What one merge wrote: the entries' stored positions, values before, and the delta added. */
    private record Merged(int[] storage, float[] before, float[] delta) {
    }

    private final LinearLayer base;

    public SparseLayer(Module base, String path) {
        super(base, path, "sparse");
        this.base = LinearLayers.of(base, path);
        registerAdapterDict("sparse_values", new ParamDict());
    }

    @Override
    protected Adapter create(String name, AdapterConfig config, InjectionContext context) {
        SparseConfig c = config(config, SparseConfig.class);
        int[] indices = SparseTuner.chosenIndices(context, path);
        if (indices == null) {
            if (!c.indicesFromFile()) {
                throw new IllegalStateException(where() + ": no entries were selected for it");
            }
            indices = new int[0]; // filled from the adapter file
        }
        SparseDeltaOp.Pattern pattern = pattern(indices, where());
        // Zero values: the adapted layer starts as the base layer.
        Tensor values = Tensor.zeros(context.kernels(), indices.length);
        paramDict("sparse_values").put(name, values);
        return new Adapter(pattern, values);
    }

    private SparseDeltaOp.Pattern pattern(int[] indices, String what) {
        return SparseDeltaOp.Pattern.of(base.outFeatures(), base.inFeatures(), base.fanInFanOut(), indices, what);
    }

    @Override
    public List<Tensor> trainableTensors(String name) {
        return List.of(adapter(name).values);
    }

    @Override
    public Map<String, Tensor> savedTensors(String name) {
        return Map.of("sparse_values", adapter(name).values);
    }

    /**
     * {@code sparse_indices} (I32) then {@code sparse_values} (F32). Both take their size from the file: the
     * indices are loaded first (checked ascending and inside the weight) and resize the values, whose
     * count must then match.
     */
    @Override
    public Map<String, TensorSlot> savedSlots(String name) {
        Adapter a = adapter(name);
        Map<String, TensorSlot> out = new LinkedHashMap<>();
        out.put("sparse_indices", new TensorSlot() {
            public int[] shape() {
                return new int[] {a.pattern.nnz()};
            }

            public float[] values() {
                int[] idx = a.pattern.indices();
                float[] f = new float[idx.length];
                for (int j = 0; j < idx.length; j++) {
                    f[j] = idx[j];
                }
                return f;
            }

            public void load(float[] values) {
                throw new IllegalArgumentException(where() + ": sparse_indices must be an int32 tensor");
            }

            public boolean isInt32() {
                return true;
            }

            public int[] intValues() {
                return a.pattern.indices();
            }

            public void loadInts(int[] values) {
                setIndices(name, values);
            }

            public boolean fixedShape() {
                return false;
            }
        });
        out.put("sparse_values", new TensorSlot() {
            public int[] shape() {
                return a.values.shape();
            }

            public float[] values() {
                return a.values.toArray();
            }

            public void load(float[] values) {
                if (values.length != a.pattern.nnz()) {
                    throw new IllegalArgumentException(where() + ": sparse_values has " + values.length
                            + " entries but sparse_indices has " + a.pattern.nnz());
                }
                a.values.copyFrom(values);
            }

            public boolean fixedShape() {
                return false;
            }
        });
        return out;
    }

    /** Replaces adapter {@code name}'s entries (values restart at zero when their count changes). */
    void setIndices(String name, int[] indices) {
        Adapter a = adapter(name);
        requireUnmerged(name);
        a.pattern = pattern(indices, where() + " sparse_indices");
        if (a.values.numel() != indices.length) {
            boolean trainable = a.values.requiresGrad();
            Tensor fresh = Tensor.zeros(a.values.kernels(), indices.length);
            ParamDict dict = paramDict("sparse_values").without(name);
            dict.put(name, fresh);
            fresh.requiresGrad(trainable);
            replaceModule("sparse_values", dict);
            a.values = fresh;
        }
    }

    /** The ascending flat [out, in] positions of adapter {@code name}'s entries. */
    public int[] indices(String name) {
        return adapter(name).pattern.indices();
    }

    public Tensor values(String name) {
        return adapter(name).values;
    }

    @Override
    protected Tensor forwardWith(Tensor x, Adapter a) {
        if (a.pattern.nnz() == 0) {
            return baseModule.forward(x);
        }
        return SparseDeltaOp.linear(x, base.weight(), base.bias(), a.pattern, a.values);
    }

    @Override
    protected void foldIn(Adapter a) {
        int[] storage = a.pattern.storage();
        float[] delta = a.values.toArray();
        float[] w = base.weight().toArray();
        float[] before = new float[storage.length];
        for (int k = 0; k < storage.length; k++) {
            before[k] = w[storage[k]];
            w[storage[k]] = before[k] + delta[k]; // the float32 sum the unmerged forward scatters
        }
        base.weight().copyFrom(w);
        a.merged = new Merged(storage, before, delta);
    }

    @Override
    protected void foldOut(Adapter a) {
        Merged m = a.merged;
        a.merged = null;
        float[] w = base.weight().toArray();
        for (int k = 0; k < m.storage.length; k++) {
            int s = m.storage[k];
            w[s] = w[s] == m.before[k] + m.delta[k] ? m.before[k] : w[s] - m.delta[k];
        }
        base.weight().copyFrom(w);
    }
}
