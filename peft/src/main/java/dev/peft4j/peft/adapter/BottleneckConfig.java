package dev.peft4j.peft.adapter;

import dev.peft4j.engine.json.Json;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.TargetModules;

import java.util.List;
import java.util.Map;

/**
 * Bottleneck adapters, which HF PEFT lacks; written under {@code peft_type} "BOTTLENECK" with the field
 * names of the LLM-Adapters fork of PEFT: {@code bottleneck_size}, {@code non_linearity} (tanh, that fork's
 * default, or relu, gelu, silu), {@code adapter_dropout}, {@code use_parallel_adapter} (false: Houlsby's series adapter after the
 * module; true: He et al.'s parallel adapter from the module's input), {@code scaling} (s in
 * {@code y + s·up(f(down(·)))}). GPT-2 defaults: series after both c_proj (the attention and MLP outputs),
 * parallel beside the whole MLP ({@link #gpt2Series()}, {@link #gpt2Parallel()}).
 */
public final class BottleneckConfig extends AdapterConfig {

    public static final String PEFT_TYPE = "BOTTLENECK";
    static final List<String> NON_LINEARITIES = List.of("relu", "gelu", "silu", "tanh");

    private int bottleneckSize = 64;
    private String nonLinearity = "tanh";
    private float adapterDropout;
    private boolean useParallelAdapter;
    private double scaling = 1.0;

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    @Override
    protected List<String> biasChoices() {
        return List.of("none");
    }

    /** Houlsby: after the attention output projection and after the MLP. */
    public static BottleneckConfig gpt2Series() {
        return new BottleneckConfig().targetModules(TargetModules.names("attn.c_proj", "mlp.c_proj"));
    }

    /** He et al.: beside the MLP (input ln_2(x), added to its output), scaled by 4 as in their best setting. */
    public static BottleneckConfig gpt2Parallel() {
        return new BottleneckConfig().useParallelAdapter(true).scaling(4.0).targetModules(TargetModules.names("mlp"));
    }

    public int bottleneckSize() {
        return bottleneckSize;
    }

    public BottleneckConfig bottleneckSize(int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("BOTTLENECK config: bottleneck_size must be positive, got " + v);
        }
        bottleneckSize = v;
        return this;
    }

    public String nonLinearity() {
        return nonLinearity;
    }

    public BottleneckConfig nonLinearity(String v) {
        if (!NON_LINEARITIES.contains(v)) {
            throw new IllegalArgumentException("BOTTLENECK config: non_linearity must be one of " + NON_LINEARITIES
                    + ", got \"" + v + "\"");
        }
        nonLinearity = v;
        return this;
    }

    public float adapterDropout() {
        return adapterDropout;
    }

    public BottleneckConfig adapterDropout(float v) {
        if (!(v >= 0f && v < 1f)) {
            throw new IllegalArgumentException("BOTTLENECK config: adapter_dropout must be in [0, 1), got " + v);
        }
        adapterDropout = v;
        return this;
    }

    public boolean useParallelAdapter() {
        return useParallelAdapter;
    }

    public BottleneckConfig useParallelAdapter(boolean v) {
        useParallelAdapter = v;
        return this;
    }

    public double scaling() {
        return scaling;
    }

    public BottleneckConfig scaling(double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("BOTTLENECK config: scaling must be finite, got " + v);
        }
        scaling = v;
        return this;
    }

    @Override
    protected void writeMethodFields(Map<String, Object> o) {
        o.put("bottleneck_size", (long) bottleneckSize);
        o.put("non_linearity", nonLinearity);
        o.put("adapter_dropout", (double) adapterDropout);
        o.put("use_parallel_adapter", useParallelAdapter);
        o.put("scaling", scaling);
    }

    public static BottleneckConfig fromJson(Map<String, Object> o, String source) {
        BottleneckConfig c = new BottleneckConfig();
        c.readCommonFields(o, source);
        if (o.get("bottleneck_size") != null) {
            c.bottleneckSize(Math.toIntExact(Json.integer(o.get("bottleneck_size"), source + " bottleneck_size")));
        }
        if (o.get("non_linearity") != null) {
            c.nonLinearity(Json.string(o.get("non_linearity"), source + " non_linearity"));
        }
        if (o.get("adapter_dropout") != null) {
            c.adapterDropout((float) Json.number(o.get("adapter_dropout"), source + " adapter_dropout"));
        }
        if (o.get("use_parallel_adapter") != null) {
            c.useParallelAdapter(Json.bool(o.get("use_parallel_adapter"), source + " use_parallel_adapter"));
        }
        if (o.get("scaling") != null) {
            c.scaling(Json.number(o.get("scaling"), source + " scaling"));
        }
        return c;
    }

    @Override
    public BottleneckConfig copy() {
        BottleneckConfig c = copyCommonInto(new BottleneckConfig());
        c.bottleneckSize = bottleneckSize;
        c.nonLinearity = nonLinearity;
        c.adapterDropout = adapterDropout;
        c.useParallelAdapter = useParallelAdapter;
        c.scaling = scaling;
        return c;
    }
}
