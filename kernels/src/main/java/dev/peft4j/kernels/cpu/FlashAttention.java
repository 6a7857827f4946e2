package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.FlashAttentionMath.BK;
import static dev.peft4j.kernels.cpu.FlashAttentionMath.BQ;
import static dev.peft4j.kernels.cpu.FlashAttentionMath.ceilDiv;

import dev.peft4j.kernels.AttentionLayout;
import java.util.Arrays;

/**
 * Fused attention forward: one task per (head, tile of {@link FlashAttentionMath#BQ} queries) walks the key
 * blocks with an online softmax (running max and sum per query row), so only a BQ×BK block of scores ever
 * exists. Both products of a block, {@code Q·Kᵀ} and {@code P·V}, run on the register-tiled GEMM (on the
 * task's thread), reading q, k and v where their {@link AttentionLayout}s put them.
 */
final class FlashAttention {

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
            Scratch w = Scratch.of(s);
            for (int item = from; item < to; item++) {
                queryTile(q, qOff, ql, k, kOff, kl, v, vOff, vl, s, scale, out, outOff, ol, lse, lseOff,
                        item / qTiles, item % qTiles * BQ, w);
            }
        });
    }

    /**
     * Per-thread working memory: the tile's scores (then probabilities), output accumulators, max and sum, and
     * lanes for a row sum. Kept per thread (a task covers a few tiles, so a fresh one per task allocated ~30 MB
     * per GPT-2 step); every tile writes what it reads.
     */
    private record Scratch(float[] scores, float[] acc, float[] max, float[] sum, float[] lanes) {

        private static final ThreadLocal<Scratch> PER_THREAD = new ThreadLocal<>();

        static Scratch of(FlashAttentionShape s) {
            Scratch w = PER_THREAD.get();
            if (w == null || w.acc.length < BQ * s.dv()) {
                w = new Scratch(new float[BQ * BK], new float[BQ * s.dv()], new float[BQ], new float[BQ],
                        new float[FlashAttentionMath.L]);
                PER_THREAD.set(w);
            }
            return w;
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
        int kBase = kOff + kl.rowStart(b, 0);
        int kStride = kl.rowStride();
        int vBase = vOff + vl.rowStart(b, 0);
        int vStride = vl.rowStride();
        Arrays.fill(w.acc, 0, rows * dv, 0f);
        Arrays.fill(w.max, 0, rows, Float.NEGATIVE_INFINITY);
        Arrays.fill(w.sum, 0, rows, 0f);
        CpuGemm gemm = CpuGemm.serial();
        // Bounds: keys past the last row's diagonal are never loaded; each row's probabilities stop at its own.
        int keyEnd = s.visible(i0 + rows - 1);
        for (int j0 = 0; j0 < keyEnd; j0 += BK) {
            int nk = Math.min(BK, keyEnd - j0);
            gemm.gemm(false, true, rows, nk, d, scale, q, qBase, ql.rowStride(), k, kBase + j0 * kStride, kStride,
                    0f, w.scores, 0, BK);
            for (int r = 0; r < rows; r++) {
                int so = r * BK;
                int n = FlashAttentionMath.visibleInBlock(s, i0 + r, j0, nk);
                if (n == 0) { // the row sees none of these keys: they weigh nothing in P·V
                    Arrays.fill(w.scores, so, so + nk, 0f);
                    continue;
                }
                float mNew = Math.max(w.max[r], FlashAttentionMath.max(w.scores, so, n));
                float alpha = (float) Math.exp(w.max[r] - mNew); // 0 on the first block (max was -inf)
                w.sum[r] = w.sum[r] * alpha + FlashAttentionMath.expRow(w.scores, so, n, nk, mNew, w.lanes);
                w.max[r] = mNew;
                if (alpha != 1f) {
                    FlashAttentionMath.scale(w.acc, r * dv, dv, alpha);
                }
            }
            gemm.gemm(false, false, rows, dv, nk, 1f, w.scores, 0, BK, v, vBase + j0 * vStride, vStride,
                    1f, w.acc, 0, dv);
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
