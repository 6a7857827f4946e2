package dev.peft4j.peft.adapter;

import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.Tuner;

import java.util.Map;

/**
 * Bottleneck adapters ({@code peft_type} "BOTTLENECK", series or parallel, see {@link BottleneckConfig}).
 * Saved keys {@code base_model.model.<path>.adapter_down.weight} [r, d_in], {@code .adapter_down.bias} [r],
 * {@code .adapter_up.weight} [d_out, r], {@code .adapter_up.bias} [d_out].
 */
public final class BottleneckTuner implements Tuner {

    @Override
    public String peftType() {
        return BottleneckConfig.PEFT_TYPE;
    }

    @Override
    public AdapterConfig parseConfig(Map<String, Object> json, String source) {
        return BottleneckConfig.fromJson(json, source);
    }

    @Override
    public AdapterLayer wrap(Module base, String path, AdapterConfig config) {
        return new BottleneckLayer(base, path);
    }

    @Override
    public boolean owns(AdapterLayer layer) {
        return layer instanceof BottleneckLayer;
    }

    @Override
    public long[] parameterCounts(AdapterConfig config, int inFeatures, int outFeatures) {
        BottleneckConfig c = (BottleneckConfig) config;
        long r = c.bottleneckSize();
        long in = c.useParallelAdapter() ? inFeatures : outFeatures;
        long n = r * in + r + outFeatures * r + outFeatures;
        return new long[] {n, n};
    }
}
