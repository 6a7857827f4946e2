package dev.peft4j.peft.prompt;

import dev.peft4j.engine.nn.Embedding;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.models.gpt2.Gpt2Checkpoint;
import dev.peft4j.models.gpt2.Gpt2Config;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.Tuner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Prompt tuning (HF PROMPT_TUNING, Lester et al. 2021) and prefix tuning (HF PREFIX_TUNING, Li &amp; Liang
 * 2021): virtual positions supplied by the token embedding ({@link VirtualTokenLayer}). Saved as HF does,
 * one top-level key {@code prompt_embeddings}: [P, C] or [P, L·2·C]. Like HF's
 * {@code _prepare_prompt_learning_config}, unset {@code token_dim}, {@code num_layers} and
 * {@code num_attention_heads} come from the model: the width from the embedding, the others from
 * {@code base_model_name_or_path}'s config.json (prefix tuning only needs them).
 */
public final class PromptTuner implements Tuner {

    private final String peftType;

    private PromptTuner(String peftType) {
        this.peftType = peftType;
    }

    public static Tuner promptTuning() {
        return new PromptTuner(PromptTuningConfig.PEFT_TYPE);
    }

    public static Tuner prefixTuning() {
        return new PromptTuner(PrefixTuningConfig.PEFT_TYPE);
    }

    @Override
    public String peftType() {
        return peftType;
    }

    @Override
    public AdapterConfig parseConfig(Map<String, Object> json, String source) {
        return peftType.equals(PromptTuningConfig.PEFT_TYPE) ? PromptTuningConfig.fromJson(json, source)
                : PrefixTuningConfig.fromJson(json, source);
    }

    @Override
    public void prepare(AdapterConfig config, Map<String, Module> targets, InjectionContext context) {
        PromptLearningConfig c = (PromptLearningConfig) config;
        if (targets.size() != 1 || !(targets.values().iterator().next() instanceof Embedding wte)) {
            throw new IllegalArgumentException(peftType + ": the virtual tokens need exactly one token embedding"
                    + " (wte), found targets " + targets.keySet());
        }
        if (c.tokenDim() != null && c.tokenDim() != wte.dim()) {
            throw new IllegalArgumentException(peftType + " config: token_dim " + c.tokenDim() + " but the model's"
                    + " embeddings are " + wte.dim() + " wide");
        }
        c.tokenDim(wte.dim());
        if (c instanceof PrefixTuningConfig && (c.numLayers() == null || c.numAttentionHeads() == null)) {
            Gpt2Config model = baseModelConfig(c);
            c.numLayers(c.numLayers() == null ? model.nLayer() : c.numLayers());
            c.numAttentionHeads(c.numAttentionHeads() == null ? model.nHead() : c.numAttentionHeads());
        }
    }

    private Gpt2Config baseModelConfig(PromptLearningConfig c) {
        String dir = c.baseModelNameOrPath();
        if (dir == null || !Files.isRegularFile(Path.of(dir, Gpt2Checkpoint.CONFIG_FILE))) {
            throw new IllegalArgumentException(peftType + " config: num_layers and num_attention_heads are unset and"
                    + " base_model_name_or_path (" + dir + ") is no checkpoint directory to read them from; set them");
        }
        try {
            return Gpt2Checkpoint.readConfig(Path.of(dir));
        } catch (IOException e) {
            throw new UncheckedIOException(peftType + ": cannot read " + dir + "/config.json: " + e.getMessage(), e);
        }
    }

    @Override
    public AdapterLayer wrap(Module base, String path, AdapterConfig config) {
        if (!(base instanceof Embedding e)) {
            throw new IllegalArgumentException(peftType + ": module \"" + path + "\" is a " + base.getClass().getSimpleName()
                    + ", not the token embedding");
        }
        return new VirtualTokenLayer(e, path);
    }

    @Override
    public boolean owns(AdapterLayer layer) {
        return layer instanceof VirtualTokenLayer;
    }

    /** Prompt methods add nothing to linear layers. */
    @Override
    public long[] parameterCounts(AdapterConfig config, int inFeatures, int outFeatures) {
        return new long[] {0, 0};
    }
}
