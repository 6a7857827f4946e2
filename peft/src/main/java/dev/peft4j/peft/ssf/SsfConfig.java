package dev.peft4j.peft.ssf;

import dev.peft4j.engine.json.Json;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.TargetModules;

import java.util.List;
import java.util.Map;

/**
 * SSF (Lian et al. 2022, "Scaling &amp; Shifting Your Features"), which HF PEFT lacks; written in the same
 * scheme under {@code peft_type} "SSF": the shared fields plus {@code init_ssf_weights} (true: γ = 1,
 * β = 0, the identity; false: the paper's γ ~ N(1, 0.02²), β ~ N(0, 0.02²)). Targets are linear layers
 * (Linear, GPT-2's Conv1D) and LayerNorm / RMSNorm modules. The paper's placement on GPT-2 is
 * {@link #gpt2Default()}: after c_attn, both c_proj, c_fc and every LayerNorm.
 */
public final class SsfConfig extends AdapterConfig {

    public static final String PEFT_TYPE = "SSF";

    private boolean initSsfWeights = true;

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    @Override
    protected List<String> biasChoices() {
        return List.of("none");
    }

    public static SsfConfig gpt2Default() {
        return new SsfConfig().targetModules(TargetModules.names("c_attn", "c_proj", "c_fc", "ln_1", "ln_2", "ln_f"));
    }

    public boolean initSsfWeights() {
        return initSsfWeights;
    }

    public SsfConfig initSsfWeights(boolean v) {
        initSsfWeights = v;
        return this;
    }

    @Override
    protected void writeMethodFields(Map<String, Object> o) {
        o.put("init_ssf_weights", initSsfWeights);
    }

    public static SsfConfig fromJson(Map<String, Object> o, String source) {
        SsfConfig c = new SsfConfig();
        c.readCommonFields(o, source);
        if (o.get("init_ssf_weights") != null) {
            c.initSsfWeights = Json.bool(o.get("init_ssf_weights"), source + " init_ssf_weights");
        }
        return c;
    }

    @Override
    public SsfConfig copy() {
        SsfConfig c = copyCommonInto(new SsfConfig());
        c.initSsfWeights = initSsfWeights;
        return c;
    }
}
