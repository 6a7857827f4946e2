package dev.peft4j.peft.tuning;

import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.TargetModules;

import java.util.List;
import java.util.Map;

/**
 * BitFit (Ben Zaken et al. 2022), which HF PEFT has only as LoRA's {@code bias="all"}; here its own method
 * under {@code peft_type} "BITFIT": the biases of the {@code target_modules} train, nothing else. Every GPT-2
 * module with a bias is {@link #gpt2Default()} (c_attn, both c_proj, c_fc, every LayerNorm). Saved keys
 * are the modules' own ({@code base_model.model.<path>.bias}), as HF saves trained biases.
 */
public final class BitFitConfig extends AdapterConfig {

    public static final String PEFT_TYPE = "BITFIT";

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    @Override
    protected List<String> biasChoices() {
        return List.of("none");
    }

    public static BitFitConfig gpt2Default() {
        return new BitFitConfig().targetModules(TargetModules.names("c_attn", "c_proj", "c_fc", "ln_1", "ln_2", "ln_f"));
    }

    @Override
    protected void writeMethodFields(Map<String, Object> o) {
        SelectedParameters.dropNonHfDefaults(o);
    }

    public static BitFitConfig fromJson(Map<String, Object> o, String source) {
        BitFitConfig c = new BitFitConfig();
        c.readCommonFields(o, source);
        return c;
    }

    @Override
    public BitFitConfig copy() {
        return copyCommonInto(new BitFitConfig());
    }
}
