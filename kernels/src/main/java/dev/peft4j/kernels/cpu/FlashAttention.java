package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.FlashAttentionMath.BK;
import static dev.peft4j.kernels.cpu.FlashAttentionMath.ceilDiv;

import dev.peft4j.kernels.AttentionLayout;
import java.util.Arrays;

/**
 * Fused attention forward: one task per (head, tile of {@link #BQ} queries) walks the key tiles with an
 * online softmax (running max and sum per query row), so only a BQ×BK block of scores ever exists. Each
 * operand's rows lie where its {@link AttentionLayout} says; a tile's rows are one row stride apart.
 */
final class FlashAttention {

    /** Query rows per task: one transposed key tile serves all of them. */
    static final int BQ = 32;

    private final Parallel parallel;

    FlashAttention(Parallel parallel) {
        this.parallel = parallel;
    }

    void forward(float[] q, int qOff, AttentionLayout ql, float[] k, int kOff, AttentionLayout kl, float[] v, int vOff,
                 AttentionLayout vl, FlashAttentionShape s, float scale, float[] out, int outOff, AttentionLayout ol,
                 float[] lse, int lseOff) {
        int qTiles = ceilDiv(s.tq(), BQ);
        long costPerTile = 2L * Math.min(BQ, s.tq()) * s.tk() * (s.d() + s.dv() + 8);
        parallel.forRange(s.bh() * qTiles, costPerTile, (from, to) -> {
            Scratch w = new Scratch(s);
            for (int item = from; item < to; item++) {
                queryTile(q, qOff, ql, k, kOff, kl, v, vOff, vl, s, scale, out, outOff, ol, lse, lseOff,
                        item / qTiles, item % qTiles * BQ, w);
            }
        });
    }

    /** Per-task working memory: a transposed key tile, the rows' scores, output accumulators, max and sum. */
    private record Scratch(float[] kt, float[] scores, float[] acc, float[] max, float[] sum) {
        Scratch(FlashAttentionShape s) {
            this(new float[s.d() * BK], new float[BQ * BK], new float[BQ * s.dv()], new float[BQ], new float[BQ]);
        }
    }

    private static void queryTile(float[] q, int qOff, AttentionLayout ql, float[] k, int kOff, AttentionLayout kl,
                                  float[] v, int vOff, AttentionLayout vl, FlashAttentionShape s, float scale,
                                  float[] out, int outOff, AttentionLayout ol, float[] lse, int lseOff, int b, int i0,
                                  Scratch w) {
        int d = s.d();
        int dv = s.dv();
        int rows = Math.min(BQ, s.tq() - i0);
        int qBase = qOff + ql.rowStart(b, i0);
        int qStride = ql.rowStride();
        int kBase = kOff + kl.rowStart(b, 0);
        int kStride = kl.rowStride();
        int vBase = vOff + vl.rowStart(b, 0);
        int vStride = vl.rowStride();
        Arrays.fill(w.acc, 0, rows * dv, 0f);
        Arrays.fill(w.max, 0, rows, Float.NEGATIVE_INFINITY);
        Arrays.fill(w.sum, 0, rows, 0f);
        // Bounds: keys past the last row's diagonal are never loaded; each row stops at its own diagonal.
        int keyEnd = s.visible(i0 + rows - 1);
        for (int j0 = 0; j0 < keyEnd; j0 += BK) {
            int nk = Math.min(BK, keyEnd - j0);
            FlashAttentionMath.transposeTile(k, kBase + j0 * kStride, nk, d, kStride, w.kt);
            for (int r = 0; r < rows; r++) {
                int n = Math.min(nk, s.visible(i0 + r) - j0);
                if (n <= 0) {
                    continue;
                }
                int so = r * BK;
                FlashAttentionMath.scores(q, qBase + r * qStride, d, w.kt, scale, w.scores, so);
                float mNew = Math.max(w.max[r], FlashAttentionMath.max(w.scores, so, n));
                float alpha = (float) Math.exp(w.max[r] - mNew); // 0 on the first tile (max was -inf)
                w.sum[r] = w.sum[r] * alpha + FlashAttentionMath.expShifted(w.scores, so, n, mNew);
                w.max[r] = mNew;
                if (alpha != 1f) {
                    FlashAttentionMath.scale(w.acc, r * dv, dv, alpha);
                }
                FlashAttentionMath.axpyRows(w.scores, so, n, v, vBase + j0 * vStride, dv, vStride, w.acc, r * dv);
            }
        }
        int oBase = outOff + ol.rowStart(b, i0);
        int oStride = ol.rowStride();
        int lBase = lseOff + b * s.tq() + i0;
        for (int r = 0; r < rows; r++) {
            float l = w.sum[r];
            float inv = l > 0 ? 1f / l : 0f;
            for (int e = 0; e < dv; e++) {
                out[oBase + r * oStride + e] = w.acc[r * dv + e] * inv;
            }
            lse[lBase + r] = l > 0 ? w.max[r] + (float) Math.log(l) : Float.NEGATIVE_INFINITY;
        }
    }
}
