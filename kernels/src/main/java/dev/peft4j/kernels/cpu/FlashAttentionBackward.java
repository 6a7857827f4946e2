package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.FlashAttentionMath.BK;

import dev.peft4j.kernels.AttentionLayout;
import java.util.Arrays;

/**
 * Fused attention backward (FlashAttention-2 style): probabilities are recomputed tile by tile from
 * the saved log-sum-exp, and {@code D_i = dOut_i · out_i} replaces the softmax row sums. One task per
 * head, so dk and dv rows (and dq rows) each have one writer and every sum runs in a fixed order; that holds
 * even when dq, dk and dv share one buffer (a fused qkv gradient), as each head's rows are its own. Each
 * operand's rows lie where its {@link AttentionLayout} says; dq, dk and dv use the layouts of q, k and v.
 */
final class FlashAttentionBackward {

    /** Query rows whose P and dS blocks are kept (transposed) for one pass of dk/dv updates. */
    static final int BQ = 32;

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
            Scratch w = new Scratch(s);
            for (int b = from; b < to; b++) {
                head(q, qOff, ql, k, kOff, kl, v, vOff, vl, out, outOff, ol, lse, lseOff, dOut, dOutOff, gl, s,
                        scale, dq, dqOff, dk, dkOff, dvOut, dvOutOff, b, w);
            }
        });
    }

    /**
     * Per-task working memory: transposed K and V tiles, one query row's p and dS, the same for a block
     * of rows stored key-major ([BK][BQ]), the tile's dk/dv sums, and D per query.
     */
    private record Scratch(float[] kt, float[] vt, float[] p, float[] ds, float[] pt, float[] dst, float[] dkAcc,
                           float[] dvAcc, float[] delta) {
        Scratch(FlashAttentionShape s) {
            this(new float[s.d() * BK], new float[s.dv() * BK], new float[BK], new float[BK], new float[BK * BQ],
                    new float[BK * BQ], new float[BK * s.d()], new float[BK * s.dv()], new float[s.tq()]);
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
        // Tiling: key tiles outermost, so a tile's dk/dv sums stay in scratch while blocks of BQ queries visit.
        for (int j0 = 0; j0 < s.tk(); j0 += BK) {
            int nk = Math.min(BK, s.tk() - j0);
            FlashAttentionMath.transposeTile(k, kBase + j0 * kStride, nk, d, kStride, w.kt);
            if (needDs) {
                FlashAttentionMath.transposeTile(v, vBase + j0 * vStride, nk, dv, vStride, w.vt);
            }
            Arrays.fill(w.dkAcc, 0, nk * d, 0f);
            Arrays.fill(w.dvAcc, 0, nk * dv, 0f);
            // Bounds: queries before key j0's causal diagonal skip the tile; p and dS are 0 past each row's own.
            for (int i0 = s.firstQuerySeeing(j0); i0 < tq; i0 += BQ) {
                int rows = Math.min(BQ, tq - i0);
                for (int r = 0; r < rows; r++) {
                    int i = i0 + r;
                    int n = Math.min(nk, s.visible(i) - j0);
                    FlashAttentionMath.scores(q, qBase + i * qStride, d, w.kt, scale, w.p, 0);
                    FlashAttentionMath.expShifted(w.p, 0, n, lse[lBase + i]);
                    Arrays.fill(w.p, n, BK, 0f);
                    for (int j = 0; j < nk; j++) {
                        w.pt[j * BQ + r] = w.p[j];
                    }
                    if (!needDs) {
                        continue;
                    }
                    FlashAttentionMath.scores(dOut, gBase + i * gStride, dv, w.vt, 1f, w.ds, 0);
                    float di = w.delta[i];
                    for (int j = 0; j < nk; j++) {
                        float g = scale * w.p[j] * (w.ds[j] - di); // d(raw q·k), the softmax scale folded in
                        w.ds[j] = g;
                        w.dst[j * BQ + r] = g;
                    }
                    if (dq != null) {
                        FlashAttentionMath.axpyRows(w.ds, 0, n, k, kBase + j0 * kStride, d, kStride, dq,
                                dqOff + qRow0 + i * qStride);
                    }
                }
                for (int j = 0; j < nk; j++) {
                    if (dvOut != null) {
                        FlashAttentionMath.axpyRows(w.pt, j * BQ, rows, dOut, gBase + i0 * gStride, dv, gStride,
                                w.dvAcc, j * dv);
                    }
                    if (dk != null) {
                        FlashAttentionMath.axpyRows(w.dst, j * BQ, rows, q, qBase + i0 * qStride, d, qStride,
                                w.dkAcc, j * d);
                    }
                }
            }
            // Row by row: the tile's rows need not be one block. Elementwise adds, so the bits match a single
            // axpy over a packed tile.
            for (int j = 0; j < nk; j++) {
                if (dk != null) {
                    FlashAttentionMath.axpy(1f, w.dkAcc, j * d, dk, dkOff + kRow0 + (j0 + j) * kStride, d);
                }
                if (dvOut != null) {
                    FlashAttentionMath.axpy(1f, w.dvAcc, j * dv, dvOut, dvOutOff + vRow0 + (j0 + j) * vStride, dv);
                }
            }
        }
    }
}
