package dev.peft4j.peft.adapter;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Dropout;
import dev.peft4j.engine.nn.Linear;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.ModuleDict;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A module with a bottleneck adapter: {@code down} [r, d_in] + bias, a nonlinearity f, {@code up}
 * [d_out, r] + bias, scaled by s.
 * <ul>
 *   <li>series (Houlsby et al. 2019): {@code y = m(x); y + s·up(f(down(dropout(y))))} (d_in = d_out = m's output);</li>
 *   <li>parallel (He et al. 2022): {@code m(x) + s·up(f(down(dropout(x))))} (d_in = m's input).</li>
 * </ul>
 * {@code up} starts at zero, so a new adapter is exactly the identity; {@code down} has nn.Linear's init.
 * Names {@code adapter_down.<adapter>.weight/bias}, {@code adapter_up.<adapter>.weight/bias}; saved without
 * the adapter name. The nonlinearity makes the adapter unmergeable.
 */
public final class BottleneckLayer extends Module implements AdapterLayer {

    private static final String DOWN = "adapter_down";
    private static final String UP = "adapter_up";
    private static final String DROPOUT = "adapter_dropout";

    private record Adapter(Linear down, Linear up, Dropout dropout, String nonLinearity, float scaling,
                           boolean parallel) {
    }

    private final Module baseModule;
    private final ModuleWidths widths;
    private final String path;
    private final Map<String, Adapter> adapters = new LinkedHashMap<>();
    private String active;
    private boolean enabled = true;

    public BottleneckLayer(Module base, String path) {
        this.baseModule = base;
        this.widths = ModuleWidths.of(base, path);
        this.path = path;
        registerModule("base_layer", base);
        registerModule(DOWN, new ModuleDict<Linear>());
        registerModule(UP, new ModuleDict<Linear>());
        registerModule(DROPOUT, new ModuleDict<Dropout>());
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
    private <M extends Module> ModuleDict<M> dict(String name) {
        return child(name, ModuleDict.class);
    }

    @Override
    public void addAdapter(String name, AdapterConfig config, InjectionContext context) {
        if (!(config instanceof BottleneckConfig c)) {
            throw new IllegalArgumentException("bottleneck layer \"" + path + "\": config is " + config.peftType());
        }
        if (adapters.containsKey(name)) {
            throw new IllegalArgumentException("bottleneck layer \"" + path + "\" already has adapter \"" + name + "\"");
        }
        int in = c.useParallelAdapter() ? widths.in() : widths.out();
        int out = widths.out();
        int r = c.bottleneckSize();
        Rng rng = context.rng();
        Kernels k = context.kernels();
        double bound = 1.0 / Math.sqrt(in);
        Linear down = new Linear(Tensor.of(k, rng.kaimingUniform(in, Math.sqrt(5), r * in), r, in),
                Tensor.of(k, rng.uniform(r, -bound, bound), r));
        Linear up = new Linear(Tensor.zeros(k, out, r), Tensor.zeros(k, out));
        Dropout dropout = new Dropout(c.adapterDropout(), rng.nextLong());
        down.train(isTraining());
        up.train(isTraining());
        dropout.train(isTraining());
        this.<Linear>dict(DOWN).put(name, down);
        this.<Linear>dict(UP).put(name, up);
        this.<Dropout>dict(DROPOUT).put(name, dropout);
        adapters.put(name, new Adapter(down, up, dropout, c.nonLinearity(), (float) c.scaling(), c.useParallelAdapter()));
    }

    @Override
    public void deleteAdapter(String name) {
        adapter(name);
        replaceModule(DOWN, this.<Linear>dict(DOWN).without(name));
        replaceModule(UP, this.<Linear>dict(UP).without(name));
        replaceModule(DROPOUT, this.<Dropout>dict(DROPOUT).without(name));
        adapters.remove(name);
        if (name.equals(active)) {
            active = null;
        }
    }

    private Adapter adapter(String name) {
        Adapter a = adapters.get(name);
        if (a == null) {
            throw new IllegalArgumentException("bottleneck layer \"" + path + "\" has no adapter \"" + name
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
        return List.of(a.down.weight(), a.down.bias(), a.up.weight(), a.up.bias());
    }

    @Override
    public Map<String, Tensor> savedTensors(String name) {
        Adapter a = adapter(name);
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put(DOWN + ".weight", a.down.weight());
        out.put(DOWN + ".bias", a.down.bias());
        out.put(UP + ".weight", a.up.weight());
        out.put(UP + ".bias", a.up.bias());
        return out;
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor y = baseModule.forward(x);
        if (!enabled || active == null) {
            return y;
        }
        Adapter a = adapters.get(active);
        Tensor h = a.down.forward(a.dropout.forward(a.parallel ? x : y));
        h = switch (a.nonLinearity) {
            case "relu" -> h.relu();
            case "gelu" -> h.gelu();
            case "silu" -> h.silu();
            case "tanh" -> h.tanh();
            default -> throw new IllegalStateException("non_linearity " + a.nonLinearity);
        };
        Tensor delta = a.up.forward(h);
        return y.add(a.scaling == 1f ? delta : delta.mul(a.scaling));
    }

    @Override
    public void merge(String name) {
        adapter(name);
        throw new UnsupportedOperationException("bottleneck layer \"" + path + "\": an adapter with a nonlinearity"
                + " cannot be folded into the base weights; keep it unmerged");
    }

    @Override
    public void unmerge() {
        // never merged
    }

    @Override
    public List<String> mergedAdapters() {
        return List.of();
    }

    @Override
    public String toString() {
        return "BottleneckLayer(" + baseModule + ", adapters " + adapters.keySet() + ")";
    }
}
