package dev.peft4j.kernels.cpu;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;

/**
 * The composition fused attention replaces, on any backend: batched Q·Kᵀ, the causal row softmax, ·V,
 * and backward through the same pieces. Materialises the bh×tq×tk probabilities; the test oracle.
 */
final class UnfusedAttention {

    private UnfusedAttention() {
    }

    /** Writes out [bh, tq, dv]; returns the probabilities [bh, tq, tk] for {@link #backward}. */
    static Buffer forward(Kernels kern, Buffer q, Buffer k, Buffer v, FlashAttentionShape s, float scale, Buffer out) {
        int tq = s.tq();
        int tk = s.tk();
        long ts = (long) tq * tk;
        Buffer scores = kern.allocate((int) (s.bh() * ts));
        kern.gemm(false, true, tq, tk, s.d(), 1f, q, 0, s.d(), (long) tq * s.d(), k, 0, s.d(), (long) tk * s.d(),
                0f, scores, 0, tk, ts, s.bh());
        Buffer probs = kern.allocate((int) (s.bh() * ts));
        kern.softmax(scores, 0, probs, 0, s.bh() * tq, tk, scale, s.causal(), tq);
        kern.gemm(false, false, tq, s.dv(), tk, 1f, probs, 0, tk, ts, v, 0, s.dv(), (long) tk * s.dv(),
                0f, out, 0, s.dv(), (long) tq * s.dv(), s.bh());
        return probs;
    }

    /** dq, dk, dv accumulate. */
    static void backward(Kernels kern, Buffer q, Buffer k, Buffer v, Buffer probs, Buffer dOut, FlashAttentionShape s,
                         float scale, Buffer dq, Buffer dk, Buffer dv) {
        int tq = s.tq();
        int tk = s.tk();
        int d = s.d();
        int e = s.dv();
        long ts = (long) tq * tk;
        kern.gemm(true, false, tk, e, tq, 1f, probs, 0, tk, ts, dOut, 0, e, (long) tq * e,
                1f, dv, 0, e, (long) tk * e, s.bh());
        Buffer dProbs = kern.allocate((int) (s.bh() * ts));
        kern.gemm(false, true, tq, tk, e, 1f, dOut, 0, e, (long) tq * e, v, 0, e, (long) tk * e,
                0f, dProbs, 0, tk, ts, s.bh());
        Buffer dScores = kern.allocate((int) (s.bh() * ts));
        kern.softmaxBackward(probs, 0, dProbs, 0, dScores, 0, s.bh() * tq, tk, scale);
        kern.gemm(false, false, tq, d, tk, 1f, dScores, 0, tk, ts, k, 0, d, (long) tk * d,
                1f, dq, 0, d, (long) tq * d, s.bh());
        kern.gemm(true, false, tk, d, tq, 1f, dScores, 0, tk, ts, q, 0, d, (long) tq * d,
                1f, dk, 0, d, (long) tk * d, s.bh());
    }
}
