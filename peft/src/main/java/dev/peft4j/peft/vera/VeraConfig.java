package dev.peft4j.peft.vera;

import dev.peft4j.engine.json.Json;
import dev.peft4j.peft.core.AdapterConfig;

import java.util.List;
import java.util.Map;

/**
 * HF PEFT's {@code VeraConfig}: rank r of the shared frozen random projections, {@code projection_prng_key}
 * (their seed), {@code save_projection}, {@code vera_dropout}, {@code d_initial} (λ_d's initial value).
 * Our generator is not torch's, so the same key gives other projections than Python: keep
 * {@code save_projection} true (the default) for adapters that travel.
 */
public final class VeraConfig extends AdapterConfig {

    public static final String PEFT_TYPE = "VERA";

    private int r = 256;
    private long projectionPrngKey;
    private boolean saveProjection = true;
    private float veraDropout;
    private double dInitial = 0.1;
    private boolean initWeights = true;

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    @Override
    protected List<String> biasChoices() {
        return List.of("none", "all", "vera_only");
    }

    public int r() {
        return r;
    }

    public VeraConfig r(int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("VeRA config: r must be a positive integer, got " + v);
        }
        r = v;
        return this;
    }

    public long projectionPrngKey() {
        return projectionPrngKey;
    }

    public VeraConfig projectionPrngKey(long v) {
        projectionPrngKey = v;
        return this;
    }

    public boolean saveProjection() {
        return saveProjection;
    }

    public VeraConfig saveProjection(boolean v) {
        saveProjection = v;
        return this;
    }

    public float veraDropout() {
        return veraDropout;
    }

    public VeraConfig veraDropout(float v) {
        if (!(v >= 0f && v < 1f)) {
            throw new IllegalArgumentException("VeRA config: vera_dropout must be in [0, 1), got " + v);
        }
        veraDropout = v;
        return this;
    }

    public double dInitial() {
        return dInitial;
    }

    public VeraConfig dInitial(double v) {
        dInitial = v;
        return this;
    }

    public boolean initWeights() {
        return initWeights;
    }

    public VeraConfig initWeights(boolean v) {
        initWeights = v;
        return this;
    }

    @Override
    protected void writeMethodFields(Map<String, Object> o) {
        o.put("r", (long) r);
        o.put("projection_prng_key", projectionPrngKey);
        o.put("save_projection", saveProjection);
        o.put("vera_dropout", (double) veraDropout);
        o.put("d_initial", dInitial);
        o.put("init_weights", initWeights);
    }

    public static VeraConfig fromJson(Map<String, Object> o, String source) {
        VeraConfig c = new VeraConfig();
        c.readCommonFields(o, source);
        if (o.get("r") != null) {
            c.r(Math.toIntExact(Json.integer(o.get("r"), source + " r")));
        }
        if (o.get("projection_prng_key") != null) {
            c.projectionPrngKey(Json.integer(o.get("projection_prng_key"), source + " projection_prng_key"));
        }
        if (o.get("save_projection") != null) {
            c.saveProjection(Json.bool(o.get("save_projection"), source + " save_projection"));
        }
        if (o.get("vera_dropout") != null) {
            c.veraDropout((float) Json.number(o.get("vera_dropout"), source + " vera_dropout"));
        }
        if (o.get("d_initial") != null) {
            c.dInitial(Json.number(o.get("d_initial"), source + " d_initial"));
        }
        if (o.get("init_weights") != null) {
            c.initWeights(Json.bool(o.get("init_weights"), source + " init_weights"));
        }
        return c;
    }

    @Override
    public VeraConfig copy() {
        VeraConfig c = copyCommonInto(new VeraConfig());
        c.r = r;
        c.projectionPrngKey = projectionPrngKey;
        c.saveProjection = saveProjection;
        c.veraDropout = veraDropout;
        c.dInitial = dInitial;
        c.initWeights = initWeights;
        return c;
    }
}
