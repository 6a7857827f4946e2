package dev.peft4j.peft.prompt;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Embedding;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.models.gpt2.VirtualTokens;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.AdapterSet;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.ParamDict;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The token embedding with prompt-learning adapters. It is still the model's {@link Embedding} (same table,
 * same lookup, so a tied head keeps working) and also the model's {@link VirtualTokens}: the active
 * adapter's virtual positions come first in every fresh sequence.
 * <ul>
 *   <li>prompt tuning: {@code prompt_encoder.<adapter>} [P, C] are input embeddings of P virtual tokens;</li>
 *   <li>prefix tuning: {@code prompt_encoder.<adapter>} [P, L·2·C] is HF's past_key_values table: row p holds,
 *       for layer l, the key at columns (2l)·C.. and the value at (2l+1)·C.., each split into H heads of D.</li>
 * </ul>
 * The tensor is saved once per model as HF's top-level key {@code prompt_embeddings} (it goes into the
 * adapter's shared tensors). Not mergeable: virtual positions are not a weight change.
 */
public final class VirtualTokenLayer extends Embedding implements AdapterLayer, VirtualTokens {

    static final String DICT = "prompt_encoder";
    /** HF's key in adapter_model.safetensors, for both prompt and prefix tuning. */
    public static final String SAVED_KEY = "prompt_embeddings";

    /** @param layers 0 for prompt tuning (embeddings), else the model's layer count (keys and values) */
    private record Adapter(Tensor table, int tokens, int layers) {
    }

    private final Embedding base;
    private final AdapterSet<Adapter> adapters;

    public VirtualTokenLayer(Embedding base, String path) {
        super(base.weight());
        this.base = base;
        this.adapters = new AdapterSet<>("prompt", path);
        registerModule("base_layer", base);
        registerModule(DICT, new ParamDict());
    }

    @Override
    public Module baseLayer() {
        return base;
    }

    @Override
    public Set<String> adapters() {
        return adapters.names();
    }

    @Override
    public void addAdapter(String name, AdapterConfig config, InjectionContext context) {
        adapters.requireNew(name);
        Adapter a = switch (config) {
            case PromptTuningConfig c -> new Adapter(
                    Tensor.of(context.kernels(), PromptInit.promptRows(c, base.weight(), context.rng()),
                            c.numVirtualTokens(), dim()), c.numVirtualTokens(), 0);
            case PrefixTuningConfig c -> {
                int width = c.numLayers() * 2 * dim();
                float[] init = c.inferenceMode() ? new float[c.numVirtualTokens() * width]
                        : context.rng().normal(c.numVirtualTokens() * width, 0, 1);
                yield new Adapter(Tensor.of(context.kernels(), init, c.numVirtualTokens(), width),
                        c.numVirtualTokens(), c.numLayers());
            }
            default -> throw new IllegalArgumentException(adapters.where() + ": config is " + config.peftType());
        };
        child(DICT, ParamDict.class).put(name, a.table);
        context.shared().put(SAVED_KEY, a.table);
        adapters.put(name, a);
    }

    @Override
    public void deleteAdapter(String name) {
        adapters.remove(name);
        replaceModule(DICT, child(DICT, ParamDict.class).without(name));
    }

    private Adapter adapter(String name) {
        return adapters.get(name);
    }

    @Override
    public void setActive(String name) {
        adapters.setActive(name);
    }

    @Override
    public void setEnabled(boolean on) {
        adapters.setEnabled(on);
    }

    @Override
    public List<Tensor> trainableTensors(String name) {
        return List.of(adapter(name).table);
    }

    /** Nothing per layer: the table is saved as the model-wide {@value #SAVED_KEY}. */
    @Override
    public Map<String, Tensor> savedTensors(String name) {
        adapter(name);
        return Map.of();
    }

    /** The trained table of {@code name}: [P, C] (prompt) or [P, L·2·C] (prefix). */
    public Tensor table(String name) {
        return adapter(name).table;
    }

    // ------------------------------------------------------------------ VirtualTokens

    @Override
    public int virtualTokenCount() {
        Adapter a = adapters.applied();
        return a == null ? 0 : a.tokens;
    }

    @Override
    public Tensor virtualEmbeddings(int batch) {
        Adapter a = adapters.applied();
        if (a == null || a.layers > 0) {
            return null;
        }
        return a.table.unsqueeze(0).expand(batch, a.tokens, dim());
    }

    @Override
    public Tensor[] virtualKeyValues(int layer, int batch, int heads, int headDim) {
        Adapter a = adapters.applied();
        if (a == null || a.layers == 0) {
            return null;
        }
        if (heads * headDim != dim() || layer < 0 || layer >= a.layers) {
            throw new IllegalArgumentException("prefix of adapter \"" + adapters.active() + "\" ([" + a.tokens + ", " + a.layers
                    + "·2·" + dim() + "]): the model asks for layer " + layer + " with " + heads + " heads of " + headDim);
        }
        // [P, L·2, H, D]: entry 2l is layer l's key, 2l + 1 its value (HF's permute([2, 0, 3, 1, 4]).split(2)).
        Tensor t = a.table.reshape(a.tokens, 2 * a.layers, heads, headDim);
        return new Tensor[] {perLayer(t, 2 * layer, batch), perLayer(t, 2 * layer + 1, batch)};
    }

    /** Entry {@code i} of [P, 2L, H, D] as [batch, H, P, D]. */
    private static Tensor perLayer(Tensor t, int i, int batch) {
        int p = t.dim(0);
        int h = t.dim(2);
        int d = t.dim(3);
        return t.slice(1, i, i + 1).reshape(p, h, d).permute(1, 0, 2).unsqueeze(0).expand(batch, h, p, d);
    }

    // ------------------------------------------------------------------ merge

    @Override
    public void merge(String name) {
        adapter(name);
        throw new UnsupportedOperationException(adapters.where() + ": virtual tokens are extra positions,"
                + " not a weight change, so they cannot be merged; keep the adapter loaded");
    }

    @Override
    public void unmerge() {
        // never merged
    }

    @Override
    public List<String> mergedAdapters() {
        return adapters.merged();
    }

    @Override
    public String toString() {
        return "VirtualTokenLayer(" + base + ", adapters " + adapters + ")";
    }
}
