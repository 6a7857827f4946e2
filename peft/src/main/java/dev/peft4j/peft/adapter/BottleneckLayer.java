package dev.peft4j.peft.adapter;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Dropout;
import dev.peft4j.engine.nn.Linear;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.peft.core.AbstractAdapterLayer;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.ModuleDict;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
public final class BottleneckLayer extends AbstractAdapterLayer<BottleneckLayer.Adapter> {

    private static final String DOWN = "adapter_down";
    private static final String UP = "adapter_up";
    private static final String DROPOUT = "adapter_dropout";

    record Adapter(Linear down, Linear up, Dropout dropout, String nonLinearity, float scaling,
                           boolean parallel) {
    }

    private final ModuleWidths widths;

    public BottleneckLayer(Module base, String path) {
        super(base, path, "bottleneck");
        this.widths = ModuleWidths.of(base, path);
        registerAdapterDict(DOWN, new ModuleDict<Linear>());
        registerAdapterDict(UP, new ModuleDict<Linear>());
        registerAdapterDict(DROPOUT, new ModuleDict<Dropout>());
    }

    @Override
    protected Adapter create(String name, AdapterConfig config, InjectionContext context) {
        BottleneckConfig c = config(config, BottleneckConfig.class);
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
        putModule(DOWN, name, down);
        putModule(UP, name, up);
        putModule(DROPOUT, name, dropout);
        return new Adapter(down, up, dropout, c.nonLinearity(), (float) c.scaling(), c.useParallelAdapter());
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
    protected Tensor forwardWith(Tensor x, Adapter a) {
        Tensor y = baseModule.forward(x);
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
    protected void foldIn(Adapter a) {
        throw new UnsupportedOperationException(where() + ": an adapter with a nonlinearity"
                + " cannot be folded into the base weights; keep it unmerged");
    }

    @Override
    protected void foldOut(Adapter a) {
        // never merged
    }
}
