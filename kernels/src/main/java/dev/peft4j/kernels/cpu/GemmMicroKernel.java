package dev.peft4j.kernels.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tiled SGEMM micro-kernels: an MR×NR block of C held in MR·2 vector accumulators, fed by
 * one broadcast of packed A and two vector loads of packed B per k step (BLIS style).
 *
 * <p>Tiling: NR = 2 vectors of {@link FloatVector#SPECIES_PREFERRED}; MR = 12 rows where the vector
 * registers are 512 bits wide (24 accumulators + 3 operands of the 32 zmm registers), otherwise 6 rows
 * (12 + 3 of 16 ymm registers). Bounds: packed panels are zero-padded to full MR×NR, so the k loop never
 * branches; an edge tile is computed into the zeroed {@code tile} and added to C. With MR = 12, an edge of at
 * most 8 rows runs as 4-row kernel calls.
 *
 * <p>The kernels only ever do {@code C += alpha·A·B}: beta is applied to the tile beforehand
 * ({@link #scaleTile}). One short epilogue keeps each kernel small enough for C1's register allocator,
 * which otherwise gives up on it and leaves the method stuck below C2 (seen: a cold JVM never leaving
 * tier 2 on the 512×768×50257 product).
 */
final class GemmMicroKernel {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector. */
    static final int L = S.length();
    /** Columns of a micro-tile: two vectors. */
    static final int NR = 2 * L;
    /** Rows of a micro-tile, chosen so accumulators and operands fit the register file. */
    static final int MR = S.vectorBitSize() >= 512 ? 12 : 6;

    private GemmMicroKernel() {
    }

    /**
     * C[0..mr, 0..nr) += alpha·(Ap·Bp) for one packed A and one packed B micro-panel; C's beta must
     * already be applied. {@code tile} is MR·NR floats of scratch for edge tiles.
     */
    static void run(int kc, float[] ap, int aIdx, float[] bp, int bIdx, float alpha,
                    float[] c, int cIdx, int ldc, int mr, int nr, float[] tile) {
        if (nr == NR && rowsComputed(mr) == mr) {
            kernelRows(kc, ap, aIdx, bp, bIdx, alpha, c, cIdx, ldc, mr);
            return;
        }
        Arrays.fill(tile, 0f);
        kernelRows(kc, ap, aIdx, bp, bIdx, alpha, tile, 0, NR, mr);
        for (int i = 0; i < mr; i++) {
            int row = cIdx + i * ldc;
            for (int j = 0; j < nr; j += L) {
                VectorMask<Float> m = S.indexInRange(j, nr);
                FloatVector.fromArray(S, tile, i * NR + j).add(FloatVector.fromArray(S, c, row + j, m))
                        .intoArray(c, row + j, m);
            }
        }
    }

    /**
     * Rows {@link #kernelRows} writes for a panel of mr rows: MR, or with MR = 12 and mr ≤ 8, mr rounded up to 4.
     * The 12-row kernel would spend a whole tile's multiply-adds on such an edge; 4-row calls run as fast per
     * multiply-add. GPT-2's 512 rows end in one (42·12 + 8), and a row split at 256 leaves each half 21 tiles
     * and 4 rows instead of 22 tiles against 20 and 8.
     */
    private static int rowsComputed(int mr) {
        return MR == 12 && mr <= 8 ? (mr + 3) / 4 * 4 : MR;
    }

    /** {@code out[outIdx..] += alpha·(Ap·Bp)} on {@link #rowsComputed}(mr) rows, {@code ldo} apart, NR columns. */
    private static void kernelRows(int kc, float[] ap, int aIdx, float[] bp, int bIdx, float alpha,
                                   float[] out, int outIdx, int ldo, int mr) {
        if (MR == 12 && mr <= 8) {
            for (int i = 0; i < mr; i += 4) {
                kernel4(kc, ap, aIdx + i, bp, bIdx, alpha, out, outIdx + i * ldo, ldo);
            }
        } else if (MR == 12) {
            kernel12(kc, ap, aIdx, bp, bIdx, alpha, out, outIdx, ldo);
        } else {
            kernel6(kc, ap, aIdx, bp, bIdx, alpha, out, outIdx, ldo);
        }
    }

    /** C[0..mr, 0..nr) = beta·C, with beta = 0 writing zeros whatever C held (NaN included). */
    static void scaleTile(float[] c, int cIdx, int ldc, int mr, int nr, float beta) {
        FloatVector be = FloatVector.broadcast(S, beta);
        for (int i = 0; i < mr; i++) {
            int row = cIdx + i * ldc;
            for (int j = 0; j < nr; j += L) {
                VectorMask<Float> m = S.indexInRange(j, nr);
                FloatVector v = beta == 0f ? FloatVector.zero(S) : FloatVector.fromArray(S, c, row + j, m).mul(be);
                v.intoArray(c, row + j, m);
            }
        }
    }

    /** 12×NR tile: {@code C[i][j] += alpha·Σ_p Ap[p][i]·Bp[p][j]} over kc packed steps (12·2 accumulators). */
    static void kernel12(int kc, float[] ap, int aIdx, float[] bp, int bIdx, float alpha,
                         float[] c, int cIdx, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        FloatVector c80 = FloatVector.zero(S), c81 = FloatVector.zero(S);
        FloatVector c90 = FloatVector.zero(S), c91 = FloatVector.zero(S);
        FloatVector c100 = FloatVector.zero(S), c101 = FloatVector.zero(S);
        FloatVector c110 = FloatVector.zero(S), c111 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bIdx + p * NR, ai = aIdx + p * 12;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
            FloatVector a8 = FloatVector.broadcast(S, ap[ai + 8]);
            c80 = a8.fma(b0, c80);
            c81 = a8.fma(b1, c81);
            FloatVector a9 = FloatVector.broadcast(S, ap[ai + 9]);
            c90 = a9.fma(b0, c90);
            c91 = a9.fma(b1, c91);
            FloatVector a10 = FloatVector.broadcast(S, ap[ai + 10]);
            c100 = a10.fma(b0, c100);
            c101 = a10.fma(b1, c101);
            FloatVector a11 = FloatVector.broadcast(S, ap[ai + 11]);
            c110 = a11.fma(b0, c110);
            c111 = a11.fma(b1, c111);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        int r = cIdx;
        c00.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c01.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c10.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c11.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c20.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c21.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c30.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c31.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c40.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c41.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c50.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c51.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c60.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c61.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c70.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c71.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c80.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c81.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c90.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c91.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c100.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c101.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c110.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c111.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
    }

    /**
     * 4×NR tile from four consecutive rows of a 12-row packed A panel ({@code aIdx} at the first of them, 12
     * floats per k step): {@code C[i][j] += alpha·Σ_p Ap[p][i]·Bp[p][j]} (4·2 accumulators, enough to cover the
     * FMA latency).
     */
    static void kernel4(int kc, float[] ap, int aIdx, float[] bp, int bIdx, float alpha,
                        float[] c, int cIdx, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bIdx + p * NR, ai = aIdx + p * 12;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        int r = cIdx;
        c00.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c01.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c10.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c11.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c20.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c21.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c30.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c31.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
    }

    /** 6×NR tile: {@code C[i][j] += alpha·Σ_p Ap[p][i]·Bp[p][j]} over kc packed steps (6·2 accumulators). */
    static void kernel6(int kc, float[] ap, int aIdx, float[] bp, int bIdx, float alpha,
                         float[] c, int cIdx, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bIdx + p * NR, ai = aIdx + p * 6;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        FloatVector al = FloatVector.broadcast(S, alpha);
        int r = cIdx;
        c00.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c01.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c10.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c11.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c20.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c21.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c30.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c31.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c40.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c41.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
        r += ldc;
        c50.fma(al, FloatVector.fromArray(S, c, r)).intoArray(c, r);
        c51.fma(al, FloatVector.fromArray(S, c, r + L)).intoArray(c, r + L);
    }

}
