package dev.peft4j.peft.prompt;

import dev.peft4j.engine.json.Json;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.TargetModules;

import java.util.List;
import java.util.Map;

/**
 * HF PEFT's {@code PromptLearningConfig}: {@code num_virtual_tokens}, {@code token_dim},
 * {@code num_transformer_submodules} (1 for a decoder), {@code num_attention_heads}, {@code num_layers}
 * (the last three filled from the base model when unset, as HF does). Prompt methods adapt no named
 * modules; here they live on the token embedding ({@code wte}), which the model asks for virtual
 * positions, so the LoRA-style fields are kept out of the saved file.
 */
public abstract class PromptLearningConfig extends AdapterConfig {

    /** The module the virtual tokens attach to. */
    static final TargetModules TOKEN_EMBEDDING = TargetModules.names("wte");

    private int numVirtualTokens = 8;
    private Integer tokenDim;
    private int numTransformerSubmodules = 1;
    private Integer numAttentionHeads;
    private Integer numLayers;

    protected PromptLearningConfig() {
        targetModules(TOKEN_EMBEDDING);
    }

    @Override
    protected List<String> biasChoices() {
        return List.of("none");
    }

    public int numVirtualTokens() {
        return numVirtualTokens;
    }

    @SuppressWarnings("unchecked")
    public <C extends PromptLearningConfig> C numVirtualTokens(int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(peftType() + " config: num_virtual_tokens must be positive, got " + v);
        }
        numVirtualTokens = v;
        return (C) this;
    }

    public Integer tokenDim() {
        return tokenDim;
    }

    @SuppressWarnings("unchecked")
    public <C extends PromptLearningConfig> C tokenDim(Integer v) {
        tokenDim = v;
        return (C) this;
    }

    public Integer numAttentionHeads() {
        return numAttentionHeads;
    }

    @SuppressWarnings("unchecked")
    public <C extends PromptLearningConfig> C numAttentionHeads(Integer v) {
        numAttentionHeads = v;
        return (C) this;
    }

    public Integer numLayers() {
        return numLayers;
    }

    @SuppressWarnings("unchecked")
    public <C extends PromptLearningConfig> C numLayers(Integer v) {
        numLayers = v;
        return (C) this;
    }

    @Override
    protected void writeMethodFields(Map<String, Object> o) {
        for (String k : new String[] {"target_modules", "exclude_modules", "layers_to_transform", "layers_pattern",
                "fan_in_fan_out", "bias"}) {
            o.remove(k);
        }
        o.put("num_virtual_tokens", (long) numVirtualTokens);
        o.put("token_dim", tokenDim == null ? null : (long) (int) tokenDim);
        o.put("num_transformer_submodules", (long) numTransformerSubmodules);
        o.put("num_attention_heads", numAttentionHeads == null ? null : (long) (int) numAttentionHeads);
        o.put("num_layers", numLayers == null ? null : (long) (int) numLayers);
        writePromptFields(o);
    }

    protected abstract void writePromptFields(Map<String, Object> o);

    /** Reads the shared and prompt-learning fields; the token embedding stays the target whatever the file says. */
    protected void readPromptLearningFields(Map<String, Object> o, String source) {
        readCommonFields(o, source);
        targetModules(TOKEN_EMBEDDING);
        if (o.get("num_virtual_tokens") != null) {
            numVirtualTokens(Math.toIntExact(Json.integer(o.get("num_virtual_tokens"), source + " num_virtual_tokens")));
        }
        tokenDim = optionalInt(o, "token_dim", source);
        numAttentionHeads = optionalInt(o, "num_attention_heads", source);
        numLayers = optionalInt(o, "num_layers", source);
        Integer submodules = optionalInt(o, "num_transformer_submodules", source);
        if (submodules != null && submodules != 1) {
            throw new IllegalArgumentException(source + ": num_transformer_submodules " + submodules
                    + " is for encoder-decoder models; only decoders (1) are supported");
        }
    }

    private static Integer optionalInt(Map<String, Object> o, String key, String source) {
        Object v = o.get(key);
        return v == null ? null : Math.toIntExact(Json.integer(v, source + " " + key));
    }

    protected <C extends PromptLearningConfig> C copyPromptLearningInto(C to) {
        copyCommonInto(to);
        PromptLearningConfig t = to;
        t.numVirtualTokens = numVirtualTokens;
        t.tokenDim = tokenDim;
        t.numTransformerSubmodules = numTransformerSubmodules;
        t.numAttentionHeads = numAttentionHeads;
        t.numLayers = numLayers;
        return to;
    }
}
