package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.FlashAttentionMath.BK;
import static dev.peft4j.kernels.cpu.FlashAttentionMath.BQ;

import dev.peft4j.kernels.AttentionLayout;

/**
 * Fused attention backward (FlashAttention-2 style): probabilities are recomputed block by block from the
 * saved log-sum-exp, and {@code D_i = dOut_i · out_i} replaces the softmax row sums. For each BQ×BK block
 * five register-tiled GEMMs (on the task's thread) give {@code P = exp(s·Q·Kᵀ − lse)}, {@code dP = dOut·Vᵀ},
 * {@code dv += Pᵀ·dOut}, {@code dq += dS·K} and {@code dk += dSᵀ·Q} with {@code dS = s·P∘(dP − D)}. One
 * task per head, so every gradient row has one writer and every sum runs in a fixed order; that holds even
 * when dq, dk and dv share one buffer (a fused qkv gradient), as each head's rows are its own. Each operand's
 * rows lie where its {@link AttentionLayout} says; dq, dk and dv use the layouts of q, k and v.
 */
final class FlashAttentionBackward {

    private final Parallel parallel;

    FlashAttentionBackward(Parallel parallel) {
        this.parallel = parallel;
    }

    /** Gradient arrays may be null (not needed); the others are checked by the caller. */
    void backward(float[] q, int qOff, AttentionLayout ql, float[] k, int kOff, AttentionLayout kl, float[] v,
                  int vOff, AttentionLayout vl, float[] out, int outOff, AttentionLayout ol, float[] lse, int lseOff,
                  float[] dOut, int dOutOff, AttentionLayout gl, FlashAttentionShape s, float scale, float[] dq,
                  int dqOff, float[] dk, int dkOff, float[] dvOut, int dvOutOff) {
        if (dq == null && dk == null && dvOut == null) {
            return;
        }
        long costPerHead = 4L * s.tq() * s.tk() * (s.d() + s.dv() + 8);
        parallel.forRange(s.bh(), costPerHead, (from, to) -> {
            Scratch w = Scratch.of(s);
            for (int b = from; b < to; b++) {
                head(q, qOff, ql, k, kOff, kl, v, vOff, vl, out, outOff, ol, lse, lseOff, dOut, dOutOff, gl, s,
                        scale, dq, dqOff, dk, dkOff, dvOut, dvOutOff, b, w);
            }
        });
    }

    /**
     * Per-thread working memory: a block's P and dP (then dS), D per query, and lanes for a row sum; kept per
     * thread as the forward's is. Every block writes the rows and keys it reads, and D is written for every
     * query before use.
     */
    private record Scratch(float[] p, float[] ds, float[] delta, float[] lanes) {

        private static final ThreadLocal<Scratch> PER_THREAD = new ThreadLocal<>();

        static Scratch of(FlashAttentionShape s) {
            Scratch w = PER_THREAD.get();
            if (w == null || w.delta.length < s.tq()) {
                w = new Scratch(new float[BQ * BK], new float[BQ * BK], new float[s.tq()],
                        new float[FlashAttentionMath.L]);
                PER_THREAD.set(w);
            }
            return w;
        }
    }

    private static void head(float[] q, int qOff, AttentionLayout ql, float[] k, int kOff, AttentionLayout kl,
                             float[] v, int vOff, AttentionLayout vl, float[] out, int outOff, AttentionLayout ol,
                             float[] lse, int lseOff, float[] dOut, int dOutOff, AttentionLayout gl,
                             FlashAttentionShape s, float scale, float[] dq, int dqOff, float[] dk, int dkOff,
                             float[] dvOut, int dvOutOff, int b, Scratch w) {
        int d = s.d();
        int dv = s.dv();
        int tq = s.tq();
        // Head b's row 0 of each operand (relative to its offset) and the distance between its rows.
        int qRow0 = ql.rowStart(b, 0);
        int kRow0 = kl.rowStart(b, 0);
        int vRow0 = vl.rowStart(b, 0);
        int qStride = ql.rowStride();
        int kStride = kl.rowStride();
        int vStride = vl.rowStride();
        int gStride = gl.rowStride();
        int qBase = qOff + qRow0;
        int kBase = kOff + kRow0;
        int vBase = vOff + vRow0;
        int gBase = dOutOff + gl.rowStart(b, 0);
        int lBase = lseOff + b * tq;
        boolean needDs = dq != null || dk != null;
        if (needDs) {
            int oBase = outOff + ol.rowStart(b, 0);
            int oStride = ol.rowStride();
            for (int i = 0; i < tq; i++) {
                w.delta[i] = FlashAttentionMath.dot(dOut, gBase + i * gStride, out, oBase + i * oStride, dv);
            }
        }
        CpuGemm gemm = CpuGemm.serial();
        for (int i0 = 0; i0 < tq; i0 += BQ) {
            int rows = Math.min(BQ, tq - i0);
            int qi = qBase + i0 * qStride;
            int gi = gBase + i0 * gStride;
            // Bounds: keys past the block's last diagonal are skipped; p and dS are 0 past each row's own.
            int keyEnd = s.visible(i0 + rows - 1);
            for (int j0 = 0; j0 < keyEnd; j0 += BK) {
                int nk = Math.min(BK, keyEnd - j0);
                int kj = kBase + j0 * kStride;
                int vj = vBase + j0 * vStride;
                gemm.gemm(false, true, rows, nk, d, scale, q, qi, qStride, k, kj, kStride, 0f, w.p, 0, BK);
                for (int r = 0; r < rows; r++) {
                    int n = FlashAttentionMath.visibleInBlock(s, i0 + r, j0, nk);
                    FlashAttentionMath.expRow(w.p, r * BK, n, nk, lse[lBase + i0 + r], w.lanes);
                }
                if (dvOut != null) {
                    gemm.gemm(true, false, nk, dv, rows, 1f, w.p, 0, BK, dOut, gi, gStride,
                            1f, dvOut, dvOutOff + vRow0 + j0 * vStride, vStride);
                }
                if (!needDs) {
                    continue;
                }
                gemm.gemm(false, true, rows, nk, dv, 1f, dOut, gi, gStride, v, vj, vStride, 0f, w.ds, 0, BK);
                for (int r = 0; r < rows; r++) {
                    FlashAttentionMath.softmaxGrad(w.p, w.ds, r * BK, nk, w.delta[i0 + r], scale);
                }
                if (dq != null) {
                    gemm.gemm(false, false, rows, d, nk, 1f, w.ds, 0, BK, k, kj, kStride,
                            1f, dq, dqOff + qRow0 + i0 * qStride, qStride);
                }
                if (dk != null) {
                    gemm.gemm(true, false, nk, d, rows, 1f, w.ds, 0, BK, q, qi, qStride,
                            1f, dk, dkOff + kRow0 + j0 * kStride, kStride);
                }
            }
        }
    }
}
