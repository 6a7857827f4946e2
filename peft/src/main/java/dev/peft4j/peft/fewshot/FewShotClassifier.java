package dev.peft4j.peft.fewshot;

import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Embedding;
import dev.peft4j.engine.nn.Linear;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.models.gpt2.Gpt2Model;

/**
 * A GPT-2 as a classifier, laid out as HF's {@code GPT2ForSequenceClassification} ({@code transformer.*},
 * plus {@code score} for a head), so adapter keys read the same in Python. Classes are scored from the
 * hidden state of each example's last real token (padding is on the right), as HF does.
 */
public final class FewShotClassifier extends Module {

    private final ClassifierKind kind;
    private final int[] labelWordIds;
    private final int classes;

    /**
     * @param labelWordIds one token per class (the {@code prompt} kind only)
     * @param rng          initialises a head (the other kinds ignore it)
     */
    public FewShotClassifier(Gpt2Model transformer, ClassifierKind kind, int classes, int[] labelWordIds, Kernels k,
                             Rng rng) {
        if (classes < 2) {
            throw new IllegalArgumentException("classification needs at least 2 classes, got " + classes);
        }
        this.kind = kind;
        this.classes = classes;
        this.labelWordIds = labelWordIds == null ? null : labelWordIds.clone();
        registerModule("transformer", transformer);
        int d = transformer.config().nEmbd();
        switch (kind) {
            case PROMPT -> {
                if (labelWordIds == null || labelWordIds.length != classes) {
                    throw new IllegalArgumentException("the prompt classifier needs one label word per class");
                }
            }
            // HF's score head: Linear(n_embd, num_labels, bias=False), N(0, 0.02).
            case HEAD -> registerModule("score",
                    new Linear(Tensor.of(k, rng.normal(classes * d, 0, 0.02), classes, d), null));
            case LABEL_EMBEDDINGS -> registerModule("label_embeddings",
                    new Embedding(Tensor.of(k, rng.normal(classes * d, 0, 0.02), classes, d)));
        }
    }

    public ClassifierKind kind() {
        return kind;
    }

    public int classes() {
        return classes;
    }

    public Gpt2Model transformer() {
        return child("transformer", Gpt2Model.class);
    }

    /**
     * Class scores [batch, classes].
     *
     * @param ids  right-padded token ids [batch, seq]
     * @param last each example's last real position
     */
    public Tensor logits(int[] ids, int batch, int seq, int[] last) {
        Gpt2Model gpt2 = transformer();
        Tensor h = gpt2.hiddenStates(ids, batch, seq, null);
        int shift = h.dim(1) - seq; // virtual tokens (prompt tuning) come first
        Tensor[] rows = new Tensor[batch];
        for (int b = 0; b < batch; b++) {
            int at = last[b] + shift;
            rows[b] = h.slice(0, b, b + 1).slice(1, at, at + 1).reshape(1, h.dim(2));
        }
        Tensor pooled = batch == 1 ? rows[0] : Tensor.cat(0, rows);
        return switch (kind) {
            case PROMPT -> Functional.linear(pooled, Functional.embedding(outputEmbeddings(gpt2), labelWordIds, classes),
                    null);
            case HEAD -> module("score").forward(pooled);
            case LABEL_EMBEDDINGS -> Functional.linear(pooled, ((Embedding) module("label_embeddings")).weight(), null);
        };
    }

    /** The LM's output projection [vocab, d]: {@code wte} when tied, else {@code lm_head}. */
    private static Tensor outputEmbeddings(Gpt2Model gpt2) {
        String name = gpt2.config().tieWordEmbeddings() ? "wte.weight" : "lm_head.weight";
        Tensor w = gpt2.namedParameters().get(name);
        if (w == null) {
            throw new IllegalStateException("GPT-2 has no " + name);
        }
        return w;
    }
}
