package dev.peft4j.bench;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;

/**
 * The peer of fused attention: the composition the engine ran before it (batched Q·Kᵀ, causal row
 * softmax, ·V; backward through the same pieces), materialising bh×T×T scores, probabilities and their
 * gradients. Buffers are allocated per call, as the engine did.
 */
final class AttentionUnfused {

    private AttentionUnfused() {
    }

    /** Bytes of the bh×tq×tk matrices one call allocates: scores and probabilities, plus two in backward. */
    static long matrixBytes(int bh, int tq, int tk, boolean backward) {
        return (backward ? 4L : 2L) * bh * tq * tk * Float.BYTES;
    }

    /** Writes out [bh, tq, dv]; returns the probabilities for {@link #backward} (the caller closes them). */
    static Buffer forward(Kernels kern, Buffer q, Buffer k, Buffer v, int bh, int tq, int tk, int d, int dv, float scale,
                          boolean causal, Buffer out) {
        long ts = (long) tq * tk;
        Buffer probs = kern.allocate((int) (bh * ts));
        try (Buffer scores = kern.allocate((int) (bh * ts))) {
            kern.gemm(false, true, tq, tk, d, 1f, q, 0, d, (long) tq * d, k, 0, d, (long) tk * d,
                    0f, scores, 0, tk, ts, bh);
            kern.softmax(scores, 0, probs, 0, bh * tq, tk, scale, causal, tq);
        }
        kern.gemm(false, false, tq, dv, tk, 1f, probs, 0, tk, ts, v, 0, dv, (long) tk * dv,
                0f, out, 0, dv, (long) tq * dv, bh);
        return probs;
    }

    /** dq, dk, dvOut accumulate. */
    static void backward(Kernels kern, Buffer q, Buffer k, Buffer v, Buffer probs, Buffer dOut, int bh, int tq, int tk,
                         int d, int dv, float scale, Buffer dq, Buffer dk, Buffer dvOut) {
        long ts = (long) tq * tk;
        kern.gemm(true, false, tk, dv, tq, 1f, probs, 0, tk, ts, dOut, 0, dv, (long) tq * dv,
                1f, dvOut, 0, dv, (long) tk * dv, bh);
        try (Buffer dProbs = kern.allocate((int) (bh * ts)); Buffer dScores = kern.allocate((int) (bh * ts))) {
            kern.gemm(false, true, tq, tk, dv, 1f, dOut, 0, dv, (long) tq * dv, v, 0, dv, (long) tk * dv,
                    0f, dProbs, 0, tk, ts, bh);
            kern.softmaxBackward(probs, 0, dProbs, 0, dScores, 0, bh * tq, tk, scale);
            kern.gemm(false, false, tq, d, tk, 1f, dScores, 0, tk, ts, k, 0, d, (long) tk * d,
                    1f, dq, 0, d, (long) tq * d, bh);
            kern.gemm(true, false, tk, d, tq, 1f, dScores, 0, tk, ts, q, 0, d, (long) tq * d,
                    1f, dk, 0, d, (long) tk * d, bh);
        }
    }
}
