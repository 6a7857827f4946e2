package dev.peft4j.models.gpt2;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.StepScope;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.nn.Dropout;
import dev.peft4j.engine.nn.Embedding;
import dev.peft4j.engine.nn.LayerNorm;
import dev.peft4j.engine.nn.Linear;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.engine.nn.ModuleList;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.models.generate.CausalLanguageModel;
import dev.peft4j.models.generate.KvCache;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * GPT-2 (Hugging Face {@code GPT2LMHeadModel}) with HF's parameter names: {@code wte}, {@code wpe},
 * {@code h.N.ln_1 / attn.c_attn / attn.c_proj / ln_2 / mlp.c_fc / mlp.c_proj}, {@code ln_f}, and
 * {@code lm_head.weight} only when the head is not tied to {@code wte}. Dropout acts only in training
 * mode ({@link #train}); the model starts in eval mode.
 */
public final class Gpt2Model extends Module implements CausalLanguageModel {

    /** HF's label that excludes a position from the loss. */
    public static final int IGNORE_INDEX = -100;

    private final Gpt2Config config;
    private String checkpointPrefix = "";

    /**
     * A freshly initialised model, as HF's {@code _init_weights}: N(0, 0.02), c_proj scaled by 1/√(2·n_layer),
     * zero biases, unit LayerNorm gains; {@code rng} also seeds the dropout masks.
     */
    public Gpt2Model(Gpt2Config config, Kernels kernels, Rng rng) {
        this.config = config;
        // A model about to be loaded (rng == null) still needs distinct dropout seeds per module.
        Rng seeds = rng != null ? rng : new Rng(0x6A09E667F3BCC908L);
        int d = config.nEmbd();
        float std = 0.02f;
        float projStd = (float) (std / Math.sqrt(2.0 * config.nLayer()));
        registerModule("wte", new Embedding(normal(kernels, rng, std, config.vocabSize(), d)));
        registerModule("wpe", new Embedding(normal(kernels, rng, std, config.nPositions(), d)));
        registerModule("drop", new Dropout(config.embdPdrop(), seeds.nextLong()));
        ModuleList h = registerModule("h", new ModuleList());
        for (int i = 0; i < config.nLayer(); i++) {
            Gpt2Attention attn = new Gpt2Attention(
                    conv(kernels, rng, d, 3 * d, std), conv(kernels, rng, d, d, projStd), config.nHead(),
                    config.attnPdrop(), config.residPdrop(), seeds.nextLong());
            Gpt2Mlp mlp = new Gpt2Mlp(conv(kernels, rng, d, config.nInner(), std),
                    conv(kernels, rng, config.nInner(), d, projStd), config.residPdrop(), seeds.nextLong());
            h.add(new Gpt2Block(i, layerNorm(kernels, config), attn, layerNorm(kernels, config), mlp));
        }
        registerModule("ln_f", layerNorm(kernels, config));
        if (!config.tieWordEmbeddings()) {
            registerModule("lm_head", new Linear(normal(kernels, rng, std, config.vocabSize(), d), null));
        }
        eval();
    }

    /** Loads {@code config.json} and the weights of a HF GPT-2 checkpoint directory (see {@link Gpt2Checkpoint}). */
    public static Gpt2Model fromPretrained(Path dir, Kernels kernels) throws IOException {
        Gpt2Config config = Gpt2Checkpoint.readConfig(dir);
        Gpt2Model model = new Gpt2Model(config, kernels, null); // zeros: every value is overwritten below
        Map<String, Tensor> params = model.namedParameters();
        model.checkpointPrefix = Gpt2Checkpoint.readWeights(dir, config,
                (name, t) -> params.get(name).copyFrom(t.data()));
        return model;
    }

    /** Writes {@code config.json} and {@code model.safetensors}, with the key prefix this model was loaded with. */
    public void save(Path dir) throws IOException {
        List<HostTensor> tensors = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : namedParameters().entrySet()) {
            tensors.add(new HostTensor(e.getKey(), e.getValue().shape(), e.getValue().toArray()));
        }
        Gpt2Checkpoint.write(dir, config, tensors, checkpointPrefix);
    }

    public Gpt2Config config() {
        return config;
    }

    /** "" or "transformer.": the key spelling of the checkpoint this model came from, kept on save. */
    public String checkpointPrefix() {
        return checkpointPrefix;
    }

    public void checkpointPrefix(String prefix) {
        if (!prefix.isEmpty() && !prefix.equals(Gpt2Checkpoint.PREFIX)) {
            throw new IllegalArgumentException("checkpoint prefix must be \"\" or \"" + Gpt2Checkpoint.PREFIX
                    + "\", found \"" + prefix + "\"");
        }
        checkpointPrefix = prefix;
    }

    /** Logits [batch, seq, vocab] for row-major token ids [batch, seq]. */
    public Tensor forward(int[] ids, int batch, int seq) {
        return forward(ids, batch, seq, null);
    }

    @Override
    public Tensor forward(int[] ids, int batch, int seq, KvCache cache) {
        Tensor h = hiddenStates(ids, batch, seq, cache == null ? null : gpt2Cache(cache, batch));
        return config.tieWordEmbeddings()
                ? Functional.linear(h, child("wte", Embedding.class).weight(), null)
                : child("lm_head", Module.class).forward(h);
    }

    /**
     * The final hidden states [batch, seq, n_embd], after {@code ln_f}. When the token embedding supplies
     * {@link VirtualTokens} and the sequence is fresh (no cache or an empty one), they come first: virtual
     * embeddings add n leading positions to the result, virtual keys/values only shift the input's position
     * ids to n..n+seq-1.
     */
    public Tensor hiddenStates(int[] ids, int batch, int seq, Gpt2KvCache cache) {
        checkIds(ids, batch, seq);
        int past = cache == null ? 0 : cache.length();
        Embedding wte = child("wte", Embedding.class);
        VirtualTokens virtual = past == 0 && wte instanceof VirtualTokens v && v.virtualTokenCount() > 0 ? v : null;
        int n = virtual == null ? 0 : virtual.virtualTokenCount();
        if (past + n + seq > config.nPositions()) {
            throw new IllegalArgumentException("GPT-2: " + past + " cached + " + (n > 0 ? n + " virtual + " : "") + seq
                    + " new positions exceed n_positions " + config.nPositions());
        }
        Tensor x = wte.forward(ids, batch, seq);
        Tensor virtualEmbeds = virtual == null ? null : virtual.virtualEmbeddings(batch);
        if (virtualEmbeds != null) {
            requireShape("virtual embeddings", virtualEmbeds, batch, n, config.nEmbd());
            x = Tensor.cat(1, virtualEmbeds, x);
        }
        int length = x.dim(1);
        int start = past + n + seq - length; // key/value prefixes occupy positions 0..n-1 without being rows of x
        int[] positions = new int[length];
        for (int t = 0; t < length; t++) {
            positions[t] = start + t;
        }
        Tensor wpe = child("wpe", Embedding.class).forward(positions, length);
        Tensor summed = x.add(wpe);
        StepScope.release(x, wpe); // the step's first activations; neither the sum nor a lookup reads them back
        x = child("drop", Dropout.class).forwardLast(summed);
        int heads = config.nHead();
        int headDim = config.nEmbd() / heads;
        for (Module block : child("h", ModuleList.class)) {
            Gpt2Block b = (Gpt2Block) block;
            Tensor[] prefix = null;
            if (virtual != null && virtualEmbeds == null) {
                prefix = virtual.virtualKeyValues(b.index(), batch, heads, headDim);
                if (prefix == null || prefix.length != 2) {
                    throw new IllegalStateException("GPT-2 layer " + b.index() + ": virtual tokens supplied neither"
                            + " embeddings nor a {keys, values} pair");
                }
                requireShape("layer " + b.index() + " virtual keys", prefix[0], batch, heads, n, headDim);
                requireShape("layer " + b.index() + " virtual values", prefix[1], batch, heads, n, headDim);
            }
            Tensor next = b.forward(x, cache, prefix);
            StepScope.release(x); // stays when the block's first norm recorded a backward (which reads it)
            x = next;
        }
        if (cache != null) {
            cache.advance(n + seq);
        }
        return child("ln_f", Module.class).forward(x);
    }

    private static void requireShape(String what, Tensor t, int... expected) {
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException("GPT-2: " + what + " have shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(expected));
        }
    }

    /** Mean causal-LM loss of {@code labels} [batch, seq] (shifted inside, {@link #IGNORE_INDEX} skipped). */
    public Tensor loss(int[] ids, int[] labels, int batch, int seq) {
        Tensor head = frozenHeadWeight();
        if (head == null) {
            return causalLmLoss(forward(ids, batch, seq), labels);
        }
        // A frozen head: score chunk by chunk, never holding the [batch·seq, vocab] logits or their gradient.
        Tensor h = hiddenStates(ids, batch, seq, null);
        int positions = h.dim(1);
        int[] targets = shiftedTargets(batch, positions, labels, "hidden states " + Arrays.toString(h.shape()));
        return Functional.linearCrossEntropy(h.reshape(batch * positions, h.dim(2)), head, targets, IGNORE_INDEX);
    }

    /** The LM head's weight when the loss may fuse it (tied, or a plain bias-free Linear) and it takes no grad. */
    private Tensor frozenHeadWeight() {
        Tensor w;
        if (config.tieWordEmbeddings()) {
            w = child("wte", Embedding.class).weight();
        } else if (child("lm_head", Module.class) instanceof Linear l && l.getClass() == Linear.class
                && l.bias() == null) {
            w = l.weight();
        } else {
            return null; // a wrapped head (adapters, modules_to_save) runs its own forward
        }
        return w.requiresGrad() && Autograd.isGradEnabled() ? null : w;
    }

    /**
     * Hugging Face's causal-LM loss: position t is scored against {@code labels[t + 1]}, positions labelled
     * {@link #IGNORE_INDEX} are skipped, and the mean runs over the counted positions.
     *
     * <p>Logits may have more positions per row than the labels: a model with virtual input embeddings
     * ({@link VirtualTokens}) returns their logits too. The labels then cover the last positions and are
     * padded on the left with {@link #IGNORE_INDEX}, as HF's {@code PeftModelForCausalLM} pads them for
     * prompt tuning (so the last virtual position scores the first real token).
     *
     * @param logits [batch, seq, vocab]
     * @param labels [batch, L] row-major, L &lt;= seq
     */
    public static Tensor causalLmLoss(Tensor logits, int[] labels) {
        int batch = logits.dim(0);
        int seq = logits.dim(1);
        int vocab = logits.dim(2);
        int[] targets = shiftedTargets(batch, seq, labels, "logits " + Arrays.toString(logits.shape()));
        return Functional.crossEntropy(logits.reshape(batch * seq, vocab), targets, IGNORE_INDEX);
    }

    /**
     * One target per position [batch·seq] for labels [batch, L]: labels[t + 1] at position t, the ignore index
     * at each row's last position (and on the left where L &lt; seq).
     */
    private static int[] shiftedTargets(int batch, int seq, int[] labels, String what) {
        if (labels.length % batch != 0 || labels.length / batch > seq || labels.length == 0) {
            throw new IllegalArgumentException("causal-LM loss: " + labels.length + " labels for " + what);
        }
        int given = labels.length / batch;
        if (given < seq) {
            int[] padded = new int[batch * seq];
            Arrays.fill(padded, IGNORE_INDEX);
            for (int b = 0; b < batch; b++) {
                System.arraycopy(labels, b * given, padded, b * seq + seq - given, given);
            }
            labels = padded;
        }
        if (seq < 2) {
            throw new IllegalArgumentException("causal-LM loss needs at least 2 positions, got " + seq);
        }
        // Shift the targets, not the logits: the last position of each row is ignored, so the loss reads the
        // [batch·seq, vocab] logits as a view instead of copying all but one position of the 50257-wide head
        // (a copy, and a gradient of that copy, both the size of the logits).
        int[] targets = new int[batch * seq];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(labels, b * seq + 1, targets, b * seq, seq - 1);
            targets[b * seq + seq - 1] = IGNORE_INDEX;
        }
        return targets;
    }

    @Override
    public Gpt2KvCache newKvCache(int batch) {
        return new Gpt2KvCache(config.nLayer(), batch, config.nPositions());
    }

    @Override
    public int maxPositions() {
        return config.nPositions();
    }

    private Gpt2KvCache gpt2Cache(KvCache cache, int batch) {
        if (!(cache instanceof Gpt2KvCache c)) {
            throw new IllegalArgumentException("GPT-2 needs a cache from its own newKvCache(), got "
                    + cache.getClass().getSimpleName());
        }
        if (c.batch() != batch) {
            throw new IllegalArgumentException("KV cache was made for batch " + c.batch() + ", forward has " + batch);
        }
        return c;
    }

    private void checkIds(int[] ids, int batch, int seq) {
        if (batch <= 0 || seq <= 0 || ids.length != batch * seq) {
            throw new IllegalArgumentException("GPT-2: " + ids.length + " token ids for batch " + batch + " x seq "
                    + seq);
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= config.vocabSize()) {
                throw new IllegalArgumentException("GPT-2: token id " + ids[i] + " at index " + i
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
    }

    private static Tensor normal(Kernels k, Rng rng, float std, int... shape) {
        if (rng == null) {
            return Tensor.zeros(k, shape);
        }
        return Tensor.of(k, rng.normal(shape[0] * (shape.length > 1 ? shape[1] : 1), 0, std), shape);
    }

    private static Conv1D conv(Kernels k, Rng rng, int in, int out, float std) {
        return new Conv1D(normal(k, rng, std, in, out), Tensor.zeros(k, out));
    }

    private static LayerNorm layerNorm(Kernels k, Gpt2Config c) {
        return new LayerNorm(k, c.nEmbd(), c.layerNormEpsilon());
    }
}
