package dev.peft4j.peft.ia3;

import dev.peft4j.engine.json.Json;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.TargetModules;

import java.util.List;
import java.util.Map;

/**
 * HF PEFT's {@code IA3Config}: {@code target_modules}, {@code feedforward_modules} (a subset of the targets
 * whose INPUT is scaled; the others scale their output), {@code fan_in_fan_out}, {@code modules_to_save},
 * {@code init_ia3_weights} (true: ones, the identity; false: N(0, 1) as HF's {@code torch.randn}).
 * HF's GPT-2 default is targets {@code c_attn, mlp.c_proj} with feedforward {@code mlp.c_proj}
 * ({@link #gpt2Default()}).
 */
public final class Ia3Config extends AdapterConfig {

    public static final String PEFT_TYPE = "IA3";

    private TargetModules feedforwardModules;
    private boolean initIa3Weights = true;

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    @Override
    protected List<String> biasChoices() {
        return List.of("none");
    }

    /** HF's GPT-2 mapping: attention keys/values through c_attn, the MLP's intermediate through mlp.c_proj. */
    public static Ia3Config gpt2Default() {
        Ia3Config c = new Ia3Config();
        c.targetModules(TargetModules.names("c_attn", "mlp.c_proj"));
        return c.feedforwardModules(TargetModules.names("mlp.c_proj"));
    }

    /** Null means none: every target scales its output. */
    public TargetModules feedforwardModules() {
        return feedforwardModules;
    }

    public Ia3Config feedforwardModules(TargetModules v) {
        feedforwardModules = v;
        return this;
    }

    public boolean initIa3Weights() {
        return initIa3Weights;
    }

    public Ia3Config initIa3Weights(boolean v) {
        initIa3Weights = v;
        return this;
    }

    /**
     * Whether the module at {@code path} (our spelling, or HF's with its {@code transformer.} prefix) is a
     * feedforward module; names match by suffix as target_modules do, a regex must match the whole path.
     */
    public boolean isFeedforward(String path) {
        return feedforwardModules != null
                && (feedforwardModules.matches(path) || feedforwardModules.matches("transformer." + path));
    }

    @Override
    protected void writeMethodFields(Map<String, Object> o) {
        o.remove("bias"); // IA3Config has no bias field
        o.put("feedforward_modules", feedforwardModules == null ? null : feedforwardModules.toJson());
        o.put("init_ia3_weights", initIa3Weights);
    }

    public static Ia3Config fromJson(Map<String, Object> o, String source) {
        Ia3Config c = new Ia3Config();
        c.readCommonFields(o, source);
        c.feedforwardModules = TargetModules.fromJson(o.get("feedforward_modules"), source + " feedforward_modules");
        if (o.get("init_ia3_weights") != null) {
            c.initIa3Weights = Json.bool(o.get("init_ia3_weights"), source + " init_ia3_weights");
        }
        return c;
    }

    @Override
    public Ia3Config copy() {
        Ia3Config c = copyCommonInto(new Ia3Config());
        c.feedforwardModules = feedforwardModules;
        c.initIa3Weights = initIa3Weights;
        return c;
    }
}
