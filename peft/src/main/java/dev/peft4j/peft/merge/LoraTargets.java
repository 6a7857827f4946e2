package dev.peft4j.peft.merge;

import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which tensors of a full model a LoRA can stand for, and how HF PEFT names and lays them out: 2-D
 * {@code *.weight} matrices of linear-like modules (embeddings and the LM head are left out: PEFT gives them
 * another adapter type), GPT-2's Conv1D modules stored [in, out] ({@code fan_in_fan_out}), and the module
 * path a PEFT-wrapped model uses.
 */
public final class LoraTargets {

    /** Module names whose weights are lookup tables or tied heads, not linear maps a LoRA wraps. */
    static final Set<String> NOT_LINEAR = Set.of("wte", "wpe", "embed_tokens", "embed_positions",
            "word_embeddings", "position_embeddings", "token_type_embeddings", "shared", "lm_head");

    // GPT-2's Conv1D layers store their weight transposed, [in_features, out_features].
    private static final Pattern CONV1D = Pattern.compile(".*\\.(c_attn|c_proj|c_fc)\\.weight");

    /** The key prefix PEFT's wrapped GPT2LMHeadModel gives every module. */
    public static final String GPT2_PREFIX = "transformer.";

    private LoraTargets() {
    }

    /** Whether a LoRA can represent the change of tensor {@code key} with this shape. */
    static boolean isTarget(String key, int[] shape) {
        return shape.length == 2 && key.endsWith(".weight") && !NOT_LINEAR.contains(moduleName(key));
    }

    static boolean isConv1D(String key) {
        return CONV1D.matcher(key).matches();
    }

    /** {@code h.0.attn.c_attn.weight} -> {@code c_attn}. */
    static String moduleName(String key) {
        String module = key.substring(0, key.length() - ".weight".length());
        return module.substring(module.lastIndexOf('.') + 1);
    }

    /** {@code h.0.attn.c_attn.weight} with prefix {@code transformer.} -> {@code transformer.h.0.attn.c_attn}. */
    static String modulePath(String key, String prefix) {
        String module = key.substring(0, key.length() - ".weight".length());
        return module.startsWith(prefix) ? module : prefix + module;
    }

    /**
     * The prefix PEFT's module paths need on top of the checkpoint's keys: {@code transformer.} for a GPT-2
     * checkpoint saved without it (as the hub's gpt2 is), else nothing.
     */
    public static String modulePrefixFor(StateDict weights, Map<String, Object> modelConfig) {
        boolean gpt2 = "gpt2".equals(modelConfig.get("model_type")) || weights.contains("wte.weight");
        boolean prefixed = weights.names().stream().anyMatch(n -> n.startsWith(GPT2_PREFIX));
        return gpt2 && !prefixed ? GPT2_PREFIX : "";
    }
}
