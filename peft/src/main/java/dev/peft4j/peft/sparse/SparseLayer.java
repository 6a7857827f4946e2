package dev.peft4j.peft.sparse;

import dev.peft4j.engine.SparseDeltaOp;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.LinearLayers;
import dev.peft4j.peft.core.ParamDict;
import dev.peft4j.peft.core.TensorSlot;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
public final class SparseLayer extends Module implements AdapterLayer {

    private static final class Adapter {
        SparseDeltaOp.Pattern pattern;
        Tensor values;

        Adapter(SparseDeltaOp.Pattern pattern, Tensor values) {
            this.pattern = pattern;
            this.values = values;
        }
    }

    /** What one merge wrote: the entries' stored positions, values before, and the delta added. */
    private record Merged(String adapter, int[] storage, float[] before, float[] delta) {
    }

    private final Module baseModule;
    private final LinearLayer base;
    private final String path;
    private final Map<String, Adapter> adapters = new LinkedHashMap<>();
    private final List<Merged> merged = new ArrayList<>();
    private String active;
    private boolean enabled = true;

    public SparseLayer(Module base, String path) {
        this.baseModule = base;
        this.base = LinearLayers.of(base, path);
        this.path = path;
        registerModule("base_layer", base);
        registerModule("sparse_values", new ParamDict());
    }

    @Override
    public Module baseLayer() {
        return baseModule;
    }

    @Override
    public Set<String> adapters() {
        return Set.copyOf(adapters.keySet());
    }

    @Override
    public void addAdapter(String name, AdapterConfig config, InjectionContext context) {
        if (!(config instanceof SparseConfig c)) {
            throw new IllegalArgumentException("sparse layer \"" + path + "\": config is " + config.peftType());
        }
        if (adapters.containsKey(name)) {
            throw new IllegalArgumentException("sparse layer \"" + path + "\" already has adapter \"" + name + "\"");
        }
        int[] indices = SparseTuner.chosenIndices(context, path);
        if (indices == null) {
            if (!c.indicesFromFile()) {
                throw new IllegalStateException("sparse layer \"" + path + "\": no entries were selected for it");
            }
            indices = new int[0]; // filled from the adapter file
        }
        SparseDeltaOp.Pattern pattern = pattern(indices, "sparse layer \"" + path + "\"");
        // Zero values: the adapted layer starts as the base layer.
        Tensor values = Tensor.zeros(context.kernels(), indices.length);
        child("sparse_values", ParamDict.class).put(name, values);
        adapters.put(name, new Adapter(pattern, values));
    }

    private SparseDeltaOp.Pattern pattern(int[] indices, String what) {
        return SparseDeltaOp.Pattern.of(base.outFeatures(), base.inFeatures(), base.fanInFanOut(), indices, what);
    }

    @Override
    public void deleteAdapter(String name) {
        adapter(name);
        if (merged.stream().anyMatch(m -> m.adapter.equals(name))) {
            throw new IllegalStateException("sparse layer \"" + path + "\": adapter \"" + name + "\" is merged; unmerge first");
        }
        replaceModule("sparse_values", child("sparse_values", ParamDict.class).without(name));
        adapters.remove(name);
        if (name.equals(active)) {
            active = null;
        }
    }

    private Adapter adapter(String name) {
        Adapter a = adapters.get(name);
        if (a == null) {
            throw new IllegalArgumentException("sparse layer \"" + path + "\" has no adapter \"" + name
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
                throw new IllegalArgumentException("sparse layer \"" + path + "\": sparse_indices must be an int32 tensor");
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
                    throw new IllegalArgumentException("sparse layer \"" + path + "\": sparse_values has " + values.length
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
        if (merged.stream().anyMatch(m -> m.adapter.equals(name))) {
            throw new IllegalStateException("sparse layer \"" + path + "\": adapter \"" + name + "\" is merged; unmerge first");
        }
        a.pattern = pattern(indices, "sparse layer \"" + path + "\" sparse_indices");
        if (a.values.numel() != indices.length) {
            boolean trainable = a.values.requiresGrad();
            Tensor fresh = Tensor.zeros(a.values.kernels(), indices.length);
            ParamDict dict = child("sparse_values", ParamDict.class).without(name);
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
    public Tensor forward(Tensor x) {
        if (!enabled || active == null || !merged.isEmpty()) {
            return baseModule.forward(x);
        }
        Adapter a = adapters.get(active);
        if (a.pattern.nnz() == 0) {
            return baseModule.forward(x);
        }
        return SparseDeltaOp.linear(x, base.weight(), base.bias(), a.pattern, a.values);
    }

    @Override
    public void merge(String name) {
        Adapter a = adapter(name);
        if (merged.stream().anyMatch(m -> m.adapter.equals(name))) {
            throw new IllegalStateException("sparse layer \"" + path + "\": adapter \"" + name + "\" is already merged");
        }
        int[] storage = a.pattern.storage();
        float[] delta = a.values.toArray();
        float[] w = base.weight().toArray();
        float[] before = new float[storage.length];
        for (int k = 0; k < storage.length; k++) {
            before[k] = w[storage[k]];
            w[storage[k]] = before[k] + delta[k]; // the float32 sum the unmerged forward scatters
        }
        base.weight().copyFrom(w);
        merged.add(new Merged(name, storage, before, delta));
    }

    @Override
    public void unmerge() {
        while (!merged.isEmpty()) {
            Merged m = merged.removeLast();
            float[] w = base.weight().toArray();
            for (int k = 0; k < m.storage.length; k++) {
                int s = m.storage[k];
                w[s] = w[s] == m.before[k] + m.delta[k] ? m.before[k] : w[s] - m.delta[k];
            }
            base.weight().copyFrom(w);
        }
    }

    @Override
    public List<String> mergedAdapters() {
        return merged.stream().map(Merged::adapter).toList();
    }

    @Override
    public String toString() {
        return "SparseLayer(" + baseModule + ", adapters " + adapters.keySet() + ")";
    }
}
