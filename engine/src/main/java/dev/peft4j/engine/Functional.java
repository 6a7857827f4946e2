package dev.peft4j.engine;

import dev.peft4j.kernels.Unary;

/**
 * The fused macro ops of a transformer, each one forward kernel pass and one backward pass rather than a
 * chain of primitives: linear, layer/RMS norm, softmax cross-entropy, embedding, dropout and scaled
 * dot-product attention. Shapes are validated up front; errors name the op and the shapes.
 */
public final class Functional {

    /** PyTorch's default {@code ignore_index} for cross-entropy. */
    public static final int IGNORE_INDEX = -100;

    private Functional() {
    }

    /** {@code x · weightᵀ + bias} for x [..., in], weight [out, in], bias [out] or null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return LinearOp.linear(x, weight, bias);
    }

    /**
     * {@code f(x · Wᵀ + b)} with f applied as the GEMM stores each output (no separate pass); the pre-activation
     * is kept for the backward, as an unfused linear + f would keep it.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias, Unary activation) {
        return LinearOp.linear(x, weight, bias, new LinearOp.Extras(null, null, null, null, activation));
    }

    /**
     * {@code x · Wᵀ + b + u · Vᵀ} for u [..., r] and V [out, r] (LoRA: u = s·A x, V = lora_B), the low-rank
     * update added as the base GEMM stores each output instead of by a second GEMM and an add over y.
     */
    public static Tensor linearLowRank(Tensor x, Tensor weight, Tensor bias, Tensor u, Tensor v) {
        return LinearOp.linear(x, weight, bias, new LinearOp.Extras(u, v, null, null, null));
    }

    /**
     * {@code (x · Wᵀ + b) · scale + shift} per output column ((IA)³ and SSF on a linear layer), the scale and
     * shift applied as the GEMM stores each output. Either may be null; the scale must not require grad (its
     * gradient needs the pre-scale output, which this op never holds: train it with linear + mul).
     */
    public static Tensor linearScaled(Tensor x, Tensor weight, Tensor bias, Tensor scale, Tensor shift) {
        return LinearOp.linear(x, weight, bias, new LinearOp.Extras(null, null, scale, shift, null));
    }

    /** LayerNorm over the last axis; gamma and beta ([C]) may be null. */
    public static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        return NormOps.layerNorm(x, gamma, beta, eps);
    }

    /** RMSNorm over the last axis; gamma ([C]) may be null. */
    public static Tensor rmsNorm(Tensor x, Tensor gamma, float eps) {
        return NormOps.rmsNorm(x, gamma, eps);
    }

    /**
     * Mean cross-entropy of logits [..., vocab] against one target per row, skipping rows whose target is
     * {@code ignoreIndex}; 0 when every row is ignored. Throws {@link ArithmeticException} on a NaN/inf loss.
     */
    public static Tensor crossEntropy(Tensor logits, int[] targets, int ignoreIndex) {
        return CrossEntropyOp.crossEntropy(logits, targets, ignoreIndex);
    }

    /**
     * {@code crossEntropy(linear(x, weight, null), targets, ignoreIndex)} for x [rows, in] and a weight
     * [vocab, in] that takes no gradient (a frozen LM head), without holding the [rows, vocab] logits or their
     * gradient: they are made, scored and back-propagated to x one chunk of rows at a time.
     */
    public static Tensor linearCrossEntropy(Tensor x, Tensor weight, int[] targets, int ignoreIndex) {
        return LinearCrossEntropyOp.linearCrossEntropy(x, weight, targets, ignoreIndex);
    }

    /** {@link #crossEntropy(Tensor, int[], int)} with {@link #IGNORE_INDEX}. */
    public static Tensor crossEntropy(Tensor logits, int[] targets) {
        return crossEntropy(logits, targets, IGNORE_INDEX);
    }

    /** Rows of table [rows, dim] for ids laid out in {@code idsShape} (default [ids.length]). */
    public static Tensor embedding(Tensor table, int[] ids, int... idsShape) {
        return EmbeddingOp.embedding(table, ids, idsShape);
    }

    /** Inverted dropout with probability p and a seeded mask; p = 0 returns x itself. */
    public static Tensor dropout(Tensor x, float p, long seed) {
        return DropoutOp.dropout(x, p, seed);
    }

    /** Dropout when {@code training}, else x itself. */
    public static Tensor dropout(Tensor x, float p, long seed, boolean training) {
        return training ? dropout(x, p, seed) : x;
    }

    /** Softmax over the last axis. */
    public static Tensor softmax(Tensor x) {
        return x.softmax();
    }

    public static Tensor gelu(Tensor x) {
        return x.gelu();
    }

    public static Tensor silu(Tensor x) {
        return x.silu();
    }

    /** Attention with scale {@code 1/sqrt(D)}; see {@link #scaledDotProductAttention(Tensor, Tensor, Tensor, boolean, float)}. */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, boolean causal) {
        if (q.rank() == 0) {
            throw new IllegalArgumentException("scaledDotProductAttention: q must be [..., T, D], got a scalar");
        }
        return scaledDotProductAttention(q, k, v, causal, (float) (1.0 / Math.sqrt(q.dim(-1))));
    }

    /**
     * {@code softmax(scale · q·kᵀ) · v} for q [..., T, D], k [..., S, D], v [..., S, Dv]. With {@code causal},
     * query i sees keys {@code j <= i + (S - T)} (S &gt; T: a cached prefix of keys).
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, boolean causal, float scale) {
        return AttentionOp.attention(q, k, v, causal, scale);
    }

    /**
     * Causal self-attention of a fused projection's output: qkv [batch, seq, 3C] holds q, k and v side by side
     * (C = heads·D), the result [batch, seq, C] the heads side by side, scale 1/√D. Equal to splitting qkv into
     * heads, {@link #scaledDotProductAttention} and merging the heads back, without copying either way.
     */
    public static Tensor causalSelfAttention(Tensor qkv, int heads) {
        return SelfAttentionOp.causal(qkv, heads);
    }
}
