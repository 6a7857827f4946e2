package dev.peft4j.peft.ssf;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.ParamDict;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A module followed by SSF's channel-wise scale and shift, {@code y = base(x) ⊙ γ + β} with γ, β [width]
 * (a linear layer's outputs or a norm's channels). Parameter names {@code ssf_scale.<adapter>},
 * {@code ssf_shift.<adapter>}; saved as {@code ssf_scale} / {@code ssf_shift}. Merging folds them into
 * the module ({@link OutputChannels}).
 */
public final class SsfLayer extends Module implements AdapterLayer {

    private static final String SCALE = "ssf_scale";
    private static final String SHIFT = "ssf_shift";

    private record Adapter(Tensor scale, Tensor shift) {
    }

    private final Module baseModule;
    private final OutputChannels channels;
    private final String path;
    private final Map<String, Adapter> adapters = new LinkedHashMap<>();
    private final List<String> merged = new ArrayList<>();
    private String active;
    private boolean enabled = true;

    public SsfLayer(Module base, String path) {
        this.baseModule = base;
        this.channels = OutputChannels.of(base, path);
        this.path = path;
        registerModule("base_layer", base);
        registerModule(SCALE, new ParamDict());
        registerModule(SHIFT, new ParamDict());
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
        if (!(config instanceof SsfConfig c)) {
            throw new IllegalArgumentException("SSF layer \"" + path + "\": config is " + config.peftType());
        }
        if (adapters.containsKey(name)) {
            throw new IllegalArgumentException("SSF layer \"" + path + "\" already has adapter \"" + name + "\"");
        }
        int n = channels.width();
        Rng rng = context.rng();
        float[] scale = c.initSsfWeights() ? filled(n, 1f) : rng.normal(n, 1, 0.02);
        float[] shift = c.initSsfWeights() ? new float[n] : rng.normal(n, 0, 0.02);
        Adapter a = new Adapter(Tensor.of(context.kernels(), scale, n), Tensor.of(context.kernels(), shift, n));
        child(SCALE, ParamDict.class).put(name, a.scale);
        child(SHIFT, ParamDict.class).put(name, a.shift);
        adapters.put(name, a);
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @Override
    public void deleteAdapter(String name) {
        adapter(name);
        if (merged.contains(name)) {
            throw new IllegalStateException("SSF layer \"" + path + "\": adapter \"" + name + "\" is merged; unmerge first");
        }
        replaceModule(SCALE, child(SCALE, ParamDict.class).without(name));
        replaceModule(SHIFT, child(SHIFT, ParamDict.class).without(name));
        adapters.remove(name);
        if (name.equals(active)) {
            active = null;
        }
    }

    private Adapter adapter(String name) {
        Adapter a = adapters.get(name);
        if (a == null) {
            throw new IllegalArgumentException("SSF layer \"" + path + "\" has no adapter \"" + name
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
    public Tensor forward(Tensor x) {
        Tensor y = baseModule.forward(x);
        if (!enabled || active == null || !merged.isEmpty()) {
            return y;
        }
        Adapter a = adapters.get(active);
        return y.mul(a.scale).add(a.shift);
    }

    @Override
    public void merge(String name) {
        Adapter a = adapter(name);
        if (!merged.isEmpty()) {
            throw new IllegalStateException("SSF layer \"" + path + "\": adapter \"" + merged.getFirst() + "\" is already merged");
        }
        channels.fold(a.scale.toArray(), a.shift.toArray());
        merged.add(name);
    }

    @Override
    public void unmerge() {
        while (!merged.isEmpty()) {
            Adapter a = adapters.get(merged.removeLast());
            channels.unfold(a.scale.toArray(), a.shift.toArray());
        }
    }

    @Override
    public List<String> mergedAdapters() {
        return List.copyOf(merged);
    }

    @Override
    public String toString() {
        return "SsfLayer(" + baseModule + ", adapters " + adapters.keySet() + ")";
    }
}
