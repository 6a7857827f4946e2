package dev.peft4j.peft.lora;

import dev.peft4j.engine.json.Json;
import dev.peft4j.peft.core.AdapterConfig;

import java.util.List;
import java.util.Map;

/**
 * HF PEFT's {@code LoraConfig}: rank {@code r}, {@code lora_alpha}, {@code lora_dropout},
 * {@code use_rslora} (scaling alpha/√r), {@code use_dora} (magnitude vector), {@code init_lora_weights}
 * (true: Kaiming A and zero B; false; "gaussian"; "pissa"). {@link #trainLoraA} is ours and not saved:
 * false gives asymmetric LoRA (A random and frozen, only B trains), which saves as a plain LoRA.
 */
public final class LoraConfig extends AdapterConfig {

    public static final String PEFT_TYPE = "LORA";

    private int r = 8;
    private double loraAlpha = 8;
    private float loraDropout;
    private boolean useRslora;
    private boolean useDora;
    private Object initLoraWeights = Boolean.TRUE;
    private boolean trainLoraA = true;

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    @Override
    protected List<String> biasChoices() {
        return List.of("none", "all", "lora_only");
    }

    public int r() {
        return r;
    }

    public LoraConfig r(int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("LoRA config: r must be a positive integer, got " + v);
        }
        r = v;
        return this;
    }

    public double loraAlpha() {
        return loraAlpha;
    }

    public LoraConfig loraAlpha(double v) {
        loraAlpha = v;
        return this;
    }

    public float loraDropout() {
        return loraDropout;
    }

    public LoraConfig loraDropout(float v) {
        if (!(v >= 0f && v < 1f)) {
            throw new IllegalArgumentException("LoRA config: lora_dropout must be in [0, 1), got " + v);
        }
        loraDropout = v;
        return this;
    }

    public boolean useRslora() {
        return useRslora;
    }

    public LoraConfig useRslora(boolean v) {
        useRslora = v;
        return this;
    }

    public boolean useDora() {
        return useDora;
    }

    public LoraConfig useDora(boolean v) {
        useDora = v;
        return this;
    }

    /** Boolean.TRUE, Boolean.FALSE, "gaussian" or "pissa". */
    public Object initLoraWeights() {
        return initLoraWeights;
    }

    public LoraConfig initLoraWeights(Object v) {
        if (!(v instanceof Boolean) && !"gaussian".equals(v) && !"pissa".equals(v)) {
            throw new IllegalArgumentException("LoRA config: init_lora_weights " + v
                    + " is not supported here (true, false, \"gaussian\", \"pissa\")");
        }
        initLoraWeights = v;
        return this;
    }

    public boolean isPissa() {
        return "pissa".equals(initLoraWeights);
    }

    public boolean trainLoraA() {
        return trainLoraA;
    }

    public LoraConfig trainLoraA(boolean v) {
        trainLoraA = v;
        return this;
    }

    /** alpha/r, or alpha/√r with rsLoRA (HF lora/layer.py). */
    public double scaling() {
        return useRslora ? loraAlpha / Math.sqrt(r) : loraAlpha / r;
    }

    /** The alpha that gives {@code scaling} at rank {@code rank} under this config's rule. */
    double alphaFor(double scaling, int rank) {
        return useRslora ? scaling * Math.sqrt(rank) : scaling * rank;
    }

    @Override
    protected void writeMethodFields(Map<String, Object> o) {
        o.put("r", (long) r);
        o.put("lora_alpha", loraAlpha == Math.rint(loraAlpha) ? (Object) (long) loraAlpha : (Object) loraAlpha);
        o.put("lora_dropout", (double) loraDropout);
        o.put("use_rslora", useRslora);
        o.put("use_dora", useDora);
        o.put("init_lora_weights", initLoraWeights);
        o.put("rank_pattern", Json.newObject());
        o.put("alpha_pattern", Json.newObject());
        o.put("lora_bias", false);
    }

    public static LoraConfig fromJson(Map<String, Object> o, String source) {
        LoraConfig c = new LoraConfig();
        c.readCommonFields(o, source);
        if (o.get("r") != null) {
            c.r(Math.toIntExact(Json.integer(o.get("r"), source + " r")));
        }
        if (o.get("lora_alpha") != null) {
            c.loraAlpha(Json.number(o.get("lora_alpha"), source + " lora_alpha"));
        }
        if (o.get("lora_dropout") != null) {
            c.loraDropout((float) Json.number(o.get("lora_dropout"), source + " lora_dropout"));
        }
        if (o.get("use_rslora") != null) {
            c.useRslora(Json.bool(o.get("use_rslora"), source + " use_rslora"));
        }
        if (o.get("use_dora") != null) {
            c.useDora(Json.bool(o.get("use_dora"), source + " use_dora"));
        }
        if (o.get("init_lora_weights") != null) {
            c.initLoraWeights(o.get("init_lora_weights"));
        }
        requireEmpty(o, "rank_pattern", source);
        requireEmpty(o, "alpha_pattern", source);
        if (Boolean.TRUE.equals(o.get("lora_bias"))) {
            throw new IllegalArgumentException(source + ": lora_bias = true is not supported here");
        }
        return c;
    }

    /** Per-module overrides would change shapes; refusing them beats loading wrong ranks silently. */
    private static void requireEmpty(Map<String, Object> o, String key, String source) {
        Object v = o.get(key);
        if (v != null && !Json.object(v, source + " " + key).isEmpty()) {
            throw new IllegalArgumentException(source + ": " + key + " " + Json.write(v) + " is not supported here");
        }
    }

    @Override
    public LoraConfig copy() {
        LoraConfig c = copyCommonInto(new LoraConfig());
        c.r = r;
        c.loraAlpha = loraAlpha;
        c.loraDropout = loraDropout;
        c.useRslora = useRslora;
        c.useDora = useDora;
        c.initLoraWeights = initLoraWeights;
        c.trainLoraA = trainLoraA;
        return c;
    }
}
