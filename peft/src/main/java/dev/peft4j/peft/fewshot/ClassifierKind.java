package dev.peft4j.peft.fewshot;

import java.util.Arrays;

/**
 * How a causal LM classifies: {@code prompt} reads the LM's next-token scores of one label word per class
 * after a prompt template (LM-BFF); {@code head} puts a new linear head on the last token's hidden state,
 * trained as a {@code modules_to_save} module; {@code label-embeddings} scores the last hidden state
 * against one learned vector per class, no verbalizer (PERFECT).
 */
public enum ClassifierKind {
    PROMPT("prompt"), HEAD("head"), LABEL_EMBEDDINGS("label-embeddings");

    private final String cliName;

    ClassifierKind(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** The module a head kind adds to the model (also its {@code modules_to_save} name), or null. */
    public String moduleName() {
        return switch (this) {
            case PROMPT -> null;
            case HEAD -> "score";
            case LABEL_EMBEDDINGS -> "label_embeddings";
        };
    }

    public static ClassifierKind parse(String name) {
        for (ClassifierKind k : values()) {
            if (k.cliName.equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown classifier \"" + name + "\" (choices: "
                + Arrays.stream(values()).map(ClassifierKind::cliName).toList() + ")");
    }
}
