package dev.peft4j.peft.sparse;

import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.LinearLayers;
import dev.peft4j.peft.core.Tuner;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sparse fine-tuning ({@code peft_type} SPARSE): {@link #prepare} chooses every target's entries at once
 * (global budgets and data passes need all targets together) and hands them to the layers through the
 * injection context; a config read from a file skips selection and its layers load their entries.
 */
public final class SparseTuner implements Tuner {

    private static final String KEY = "sparse.indices";

    @Override
    public String peftType() {
        return SparseConfig.PEFT_TYPE;
    }

    @Override
    public AdapterConfig parseConfig(Map<String, Object> json, String source) {
        return SparseConfig.fromJson(json, source);
    }

    @Override
    public void prepare(AdapterConfig config, Map<String, Module> targets, InjectionContext context) {
        SparseConfig c = (SparseConfig) config;
        if (c.indicesFromFile()) {
            return;
        }
        Map<String, LinearLayer> layers = new LinkedHashMap<>();
        targets.forEach((path, m) -> layers.put(path, LinearLayers.of(m, path)));
        context.scratch().put(KEY, IndexSelection.select(c, layers));
    }

    /** The entries {@link #prepare} chose for {@code path}, or null. */
    @SuppressWarnings("unchecked")
    static int[] chosenIndices(InjectionContext context, String path) {
        Map<String, int[]> chosen = (Map<String, int[]>) context.scratch().get(KEY);
        return chosen == null ? null : chosen.get(path);
    }

    @Override
    public AdapterLayer wrap(Module base, String path, AdapterConfig config) {
        return new SparseLayer(base, path);
    }

    @Override
    public boolean owns(AdapterLayer layer) {
        return layer instanceof SparseLayer;
    }

    /** Trainable values per target; global selections spread their budget unevenly, so theirs is the average. */
    @Override
    public long[] parameterCounts(AdapterConfig config, int inFeatures, int outFeatures) {
        SparseConfig c = (SparseConfig) config;
        double d = c.density();
        long n = switch (c.selection()) {
            case SCT -> (long) RandomIndices.count(d, inFeatures) * outFeatures;
            case HFT -> (long) RandomIndices.count(d, outFeatures) * inFeatures;
            default -> RandomIndices.count(d, (long) inFeatures * outFeatures);
        };
        return new long[] {n, n};
    }
}
