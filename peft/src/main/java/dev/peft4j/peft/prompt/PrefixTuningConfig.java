package dev.peft4j.peft.prompt;

import dev.peft4j.engine.json.Json;

import java.util.Map;

/**
 * HF PEFT's {@code PrefixTuningConfig} ({@code peft_type} PREFIX_TUNING) without the reparameterisation:
 * {@code prefix_projection} must be false, so the trained tensor is HF's {@code past_key_values} table
 * [num_virtual_tokens, num_layers·2·token_dim] itself (init N(0, 1), nn.Embedding's, as HF).
 * {@code encoder_hidden_size} is kept for the file's sake.
 */
public final class PrefixTuningConfig extends PromptLearningConfig {

    public static final String PEFT_TYPE = "PREFIX_TUNING";

    private Integer encoderHiddenSize;

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    public Integer encoderHiddenSize() {
        return encoderHiddenSize;
    }

    public PrefixTuningConfig encoderHiddenSize(Integer v) {
        encoderHiddenSize = v;
        return this;
    }

    @Override
    protected void writePromptFields(Map<String, Object> o) {
        o.put("encoder_hidden_size", encoderHiddenSize == null ? null : (long) (int) encoderHiddenSize);
        o.put("prefix_projection", false);
    }

    public static PrefixTuningConfig fromJson(Map<String, Object> o, String source) {
        PrefixTuningConfig c = new PrefixTuningConfig();
        c.readPromptLearningFields(o, source);
        if (o.get("prefix_projection") != null && Json.bool(o.get("prefix_projection"), source + " prefix_projection")) {
            throw new IllegalArgumentException(source + ": prefix_projection true (an MLP reparameterisation of the"
                    + " prefix) is not supported; only the plain prefix table");
        }
        if (o.get("encoder_hidden_size") != null) {
            c.encoderHiddenSize = Math.toIntExact(Json.integer(o.get("encoder_hidden_size"), source + " encoder_hidden_size"));
        }
        return c;
    }

    @Override
    public PrefixTuningConfig copy() {
        PrefixTuningConfig c = copyPromptLearningInto(new PrefixTuningConfig());
        c.encoderHiddenSize = encoderHiddenSize;
        return c;
    }
}
