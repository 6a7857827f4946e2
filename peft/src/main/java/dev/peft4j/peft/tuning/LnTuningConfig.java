package dev.peft4j.peft.tuning;

import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.TargetModules;

import java.util.List;
import java.util.Map;

/**
 * HF PEFT's {@code LNTuningConfig} ({@code peft_type} LN_TUNING): {@code target_modules} (HF's GPT-2 default
 * {@code ln_1, ln_2, ln_f}, {@link #gpt2Default()}), {@code exclude_modules}, {@code modules_to_save}.
 * The fields HF's class lacks are left out of the saved file while they hold their defaults.
 */
public final class LnTuningConfig extends AdapterConfig {

    public static final String PEFT_TYPE = "LN_TUNING";

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    @Override
    protected List<String> biasChoices() {
        return List.of("none");
    }

    public static LnTuningConfig gpt2Default() {
        return new LnTuningConfig().targetModules(TargetModules.names("ln_1", "ln_2", "ln_f"));
    }

    @Override
    protected void writeMethodFields(Map<String, Object> o) {
        SelectedParameters.dropNonHfDefaults(o);
    }

    public static LnTuningConfig fromJson(Map<String, Object> o, String source) {
        LnTuningConfig c = new LnTuningConfig();
        c.readCommonFields(o, source);
        return c;
    }

    @Override
    public LnTuningConfig copy() {
        return copyCommonInto(new LnTuningConfig());
    }
}
