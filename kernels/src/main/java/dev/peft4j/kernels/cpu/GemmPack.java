package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.GemmMicroKernel.L;
import static dev.peft4j.kernels.cpu.GemmMicroKernel.MR;
import static dev.peft4j.kernels.cpu.GemmMicroKernel.NR;
import static dev.peft4j.kernels.cpu.GemmMicroKernel.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Copies blocks of op(A) and op(B) into the contiguous micro-panel layouts the micro-kernel reads, so one
 * kernel serves every transpose variant. Edges are zero-padded to full MR rows / NR columns.
 *
 * <p>Packed A: panel {@code q} holds rows {@code q·MR ..} as {@code dst[q·MR·kc + p·MR + ii]}.
 * Packed B: panel {@code q} holds columns {@code q·NR ..} as {@code dst[q·NR·kc + p·NR + jj]}.
 */
final class GemmPack {

    private GemmPack() {
    }

    /**
     * Packs op(A)[i0 .. i0+mc, p0 .. p0+kc) where op(A)[i][p] is {@code a[aOff + i·lda + p]}, or
     * {@code a[aOff + p·lda + i]} when transposed.
     */
    static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc, float[] dst,
                      int[] rowIdx) {
        for (int ir = 0; ir < mc; ir += MR) {
            int rows = Math.min(MR, mc - ir);
            int base = ir * kc;
            if (transA) {
                copyRows(a, aOff + p0 * lda + i0 + ir, lda, kc, rows, dst, base, MR);
            } else {
                transposeRows(a, aOff + (i0 + ir) * lda + p0, lda, kc, rows, dst, base, MR, rowIdx);
            }
        }
    }

    /**
     * Packs op(B)[p0 .. p0+kc, j0 .. j0+nc) where op(B)[p][j] is {@code b[bOff + p·ldb + j]}, or
     * {@code b[bOff + j·ldb + p]} when transposed.
     */
    static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int nc, float[] dst,
                      int[] rowIdx) {
        if (!transB) {
            copyPanels(b, bOff + p0 * ldb + j0, ldb, kc, nc, dst);
            return;
        }
        for (int jr = 0; jr < nc; jr += NR) {
            int cols = Math.min(NR, nc - jr);
            transposeRows(b, bOff + (j0 + jr) * ldb + p0, ldb, kc, cols, dst, jr * kc, NR, rowIdx);
        }
    }

    /**
     * {@link #packB} for a bf16 B: the same packed float32 panels, each element widened on the way (exact), so
     * the micro-kernel and its float32 accumulation are unchanged. Non-transposed rows widen a vector at a time
     * straight into the panels; a transposed panel's NR source rows are widened into a scratch block first and
     * then transposed like float32 data.
     */
    static void packB(boolean transB, short[] b, int bOff, int ldb, int p0, int kc, int j0, int nc, float[] dst,
                      int[] rowIdx) {
        if (!transB) {
            widenPanels(b, bOff + p0 * ldb + j0, ldb, kc, nc, dst);
            return;
        }
        float[] rows = WIDENED_ROWS.get();
        if (rows.length < NR * kc) {
            rows = new float[NR * kc];
            WIDENED_ROWS.set(rows);
        }
        for (int jr = 0; jr < nc; jr += NR) {
            int cols = Math.min(NR, nc - jr);
            int s = bOff + (j0 + jr) * ldb + p0;
            for (int jj = 0; jj < cols; jj++) {
                Bf16.widen(b, s + jj * ldb, rows, jj * kc, kc);
            }
            transposeRows(rows, 0, kc, kc, cols, dst, jr * kc, NR, rowIdx);
        }
    }

    /** One thread's NR source rows of a transposed bf16 panel, widened (NR x kc floats: 32 KiB at kc = KC = 256). */
    private static final ThreadLocal<float[]> WIDENED_ROWS = ThreadLocal.withInitial(() -> new float[NR * CpuGemm.KC]);

    /** {@link #copyPanels} from bf16: full panels widen a vector at a time, the last partial panel per element. */
    private static void widenPanels(short[] src, int s, int ld, int kc, int nc, float[] dst) {
        int full = nc / NR * NR;
        for (int p = 0; p < kc; p++) {
            int row = s + p * ld;
            int to = p * NR;
            for (int jr = 0; jr < full; jr += NR) {
                Bf16.widenVector(src, row + jr).intoArray(dst, jr * kc + to);
                Bf16.widenVector(src, row + jr + L).intoArray(dst, jr * kc + to + L);
            }
        }
        if (full < nc) {
            int cols = nc - full;
            for (int p = 0; p < kc; p++) {
                int row = s + p * ld + full;
                int to = full * kc + p * NR;
                for (int jj = 0; jj < cols; jj++) {
                    dst[to + jj] = Bf16.widen(src[row + jj]);
                }
                for (int jj = cols; jj < NR; jj++) {
                    dst[to + jj] = 0f;
                }
            }
        }
    }

    /**
     * Packs kc rows of nc contiguous columns into NR-wide panels, row by row so the source is read
     * sequentially (the writes go to nc/NR streams inside the L2-resident pack buffer).
     */
    private static void copyPanels(float[] src, int s, int ld, int kc, int nc, float[] dst) {
        int full = nc / NR * NR;
        for (int p = 0; p < kc; p++) {
            int row = s + p * ld;
            int to = p * NR;
            for (int jr = 0; jr < full; jr += NR) {
                FloatVector.fromArray(S, src, row + jr).intoArray(dst, jr * kc + to);
                FloatVector.fromArray(S, src, row + jr + L).intoArray(dst, jr * kc + to + L);
            }
        }
        if (full < nc) {
            copyRows(src, s + full, ld, kc, nc - full, dst, full * kc, NR);
        }
    }

    /**
     * {@code dst[base + p·width + jj] = src[s + p·ld + jj]} for p &lt; kc, jj &lt; cols, zeros for
     * cols ≤ jj &lt; width: kc rows of a panel that is contiguous in the source.
     *
     * <p>Stores are never masked, for the reason {@link #transposeRows} gives: a panel narrower than a vector
     * (an A panel of MR = 12) spills past each packed row into the next, which the next store overwrites, and
     * past the last into the slack the pack buffers keep.
     */
    private static void copyRows(float[] src, int s, int ld, int kc, int cols, float[] dst, int base, int width) {
        for (int j = 0; j < width; j += L) {
            VectorMask<Float> m = S.indexInRange(j, cols);
            if (m.allTrue()) {
                for (int p = 0; p < kc; p++) {
                    FloatVector.fromArray(S, src, s + p * ld + j).intoArray(dst, base + p * width + j);
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    FloatVector.fromArray(S, src, s + p * ld + j, m).intoArray(dst, base + p * width + j);
                }
            }
        }
    }

    /**
     * {@code dst[base + p·width + jj] = src[s + jj·ld + p]} for p &lt; kc, jj &lt; rows, zeros for
     * rows ≤ jj &lt; width: a panel whose source rows become packed columns, one gather per vector.
     * {@code rowIdx} is scratch of at least L ints.
     *
     * <p>Only unmasked gathers and stores: the JDK compiles masked gathers and masked stores with a partial
     * mask to a per-lane Java loop, which made packing A (MR = 12 rows, narrower than a 16-lane vector) cost
     * as much as a tenth of a GEMM. Missing rows re-read row j and are blended to zero; a store wider than the
     * panel (width 12) spills up to L - 1 floats past row p, which row p + 1, the next panel, or the slack at
     * the end of the pack buffer ({@link CpuGemm} allocates L extra) takes.
     */
    private static void transposeRows(float[] src, int s, int ld, int kc, int rows, float[] dst, int base, int width,
                                      int[] rowIdx) {
        for (int j = 0; j < width; j += L) {
            if (j >= rows) {
                FloatVector zero = FloatVector.zero(S);
                for (int p = 0; p < kc; p++) {
                    zero.intoArray(dst, base + p * width + j);
                }
                continue;
            }
            int from = s + j * ld;
            int p0 = 0;
            int realRows = Math.min(L, rows - j);
            if (RegisterTranspose.SUPPORTED && realRows >= Math.min(L, width - j)) { // no lane of the panel is padding
                for (; p0 + RegisterTranspose.N <= kc; p0 += RegisterTranspose.N) {
                    RegisterTranspose.block(src, from + p0, ld, realRows, dst, base + p0 * width + j, width);
                }
            }
            for (int l = 0; l < L; l++) {
                rowIdx[l] = j + l < rows ? l * ld : 0;
            }
            if (j + L <= rows) {
                for (int p = p0; p < kc; p++) {
                    FloatVector.fromArray(S, src, from + p, rowIdx, 0).intoArray(dst, base + p * width + j);
                }
            } else {
                VectorMask<Float> present = S.indexInRange(j, rows);
                FloatVector zero = FloatVector.zero(S);
                for (int p = p0; p < kc; p++) {
                    zero.blend(FloatVector.fromArray(S, src, from + p, rowIdx, 0), present)
                            .intoArray(dst, base + p * width + j);
                }
            }
        }
    }
}
