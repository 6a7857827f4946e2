package dev.peft4j.peft.prompt;

import dev.peft4j.engine.json.Json;

import java.util.List;
import java.util.Map;

/**
 * HF PEFT's {@code PromptTuningConfig} ({@code peft_type} PROMPT_TUNING): {@code prompt_tuning_init}
 * RANDOM (N(0, 1), nn.Embedding's init, as HF), SAMPLE_VOCAB (rows of the vocabulary at random ids) or
 * TEXT (rows of the ids of {@code prompt_tuning_init_text}, repeated or cut to num_virtual_tokens), and
 * {@code tokenizer_name_or_path}. TEXT takes its ids from {@link #initTokenIds} when set, else tokenizes
 * the text with the tokenizer in {@code tokenizer_name_or_path} or {@code base_model_name_or_path}.
 */
public final class PromptTuningConfig extends PromptLearningConfig {

    public static final String PEFT_TYPE = "PROMPT_TUNING";
    public static final List<String> INITS = List.of("RANDOM", "SAMPLE_VOCAB", "TEXT");

    private String promptTuningInit = "RANDOM";
    private String promptTuningInitText;
    private String tokenizerNameOrPath;
    private int[] initTokenIds;

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    public String promptTuningInit() {
        return promptTuningInit;
    }

    public PromptTuningConfig promptTuningInit(String v) {
        if (!INITS.contains(v)) {
            throw new IllegalArgumentException("PROMPT_TUNING config: prompt_tuning_init must be one of " + INITS
                    + ", got \"" + v + "\"");
        }
        promptTuningInit = v;
        return this;
    }

    public String promptTuningInitText() {
        return promptTuningInitText;
    }

    public PromptTuningConfig promptTuningInitText(String v) {
        promptTuningInitText = v;
        return this;
    }

    public String tokenizerNameOrPath() {
        return tokenizerNameOrPath;
    }

    public PromptTuningConfig tokenizerNameOrPath(String v) {
        tokenizerNameOrPath = v;
        return this;
    }

    /** The ids of the init text when the caller tokenized it (not saved); null to tokenize here. */
    public int[] initTokenIds() {
        return initTokenIds == null ? null : initTokenIds.clone();
    }

    public PromptTuningConfig initTokenIds(int[] ids) {
        initTokenIds = ids == null ? null : ids.clone();
        return this;
    }

    @Override
    protected void writePromptFields(Map<String, Object> o) {
        o.put("prompt_tuning_init", promptTuningInit);
        o.put("prompt_tuning_init_text", promptTuningInitText);
        o.put("tokenizer_name_or_path", tokenizerNameOrPath);
        o.put("tokenizer_kwargs", null);
    }

    public static PromptTuningConfig fromJson(Map<String, Object> o, String source) {
        PromptTuningConfig c = new PromptTuningConfig();
        c.readPromptLearningFields(o, source);
        if (o.get("prompt_tuning_init") != null) {
            c.promptTuningInit(Json.string(o.get("prompt_tuning_init"), source + " prompt_tuning_init"));
        }
        if (o.get("prompt_tuning_init_text") != null) {
            c.promptTuningInitText = Json.string(o.get("prompt_tuning_init_text"), source + " prompt_tuning_init_text");
        }
        if (o.get("tokenizer_name_or_path") != null) {
            c.tokenizerNameOrPath = Json.string(o.get("tokenizer_name_or_path"), source + " tokenizer_name_or_path");
        }
        return c;
    }

    @Override
    public PromptTuningConfig copy() {
        PromptTuningConfig c = copyPromptLearningInto(new PromptTuningConfig());
        c.promptTuningInit = promptTuningInit;
        c.promptTuningInitText = promptTuningInitText;
        c.tokenizerNameOrPath = tokenizerNameOrPath;
        c.initTokenIds = initTokenIds;
        return c;
    }
}
