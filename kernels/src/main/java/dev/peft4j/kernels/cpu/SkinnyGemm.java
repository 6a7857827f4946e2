package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.GemmMicroKernel.L;
import static dev.peft4j.kernels.cpu.GemmMicroKernel.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Products with a side of at most one vector ({@link GemmMicroKernel#L} lanes): a LoRA adapter's
 * {@code x·Aᵀ} (n = r), its gradients {@code dY·B} (n = r) and {@code dUᵀ·x} (m = r). The packed micro-kernel
 * would spend 3/4 of its 2-vector tile on padding and pack all of the big operand for a sliver of work; here
 * every row of C' (C, or Cᵀ when m is the narrow side) is one vector accumulator, the narrow operand is
 * packed once as k rows of one vector, and the wide operand is read in place, one broadcast per element.
 *
 * <p>C' = alpha·A'·B' + beta·C', with A'(i, p) = {@code a[aOff + i·ars + p·acs]} (strides cover both transposes
 * and the Cᵀ orientation), B' packed by {@link #pack} as {@code bp[p·L + j]}, and C'(i, j) at
 * {@code c[cOff + i·crs + j·ccs]}. Twelve rows at a time share each B' vector load. Rounding: the k products
 * of an entry are summed by FMAs in order, then {@code fma(sum, alpha, beta·C)} as the micro-kernel stores.
 */
final class SkinnyGemm {

    /** Rows of C' that share one load of each B' vector: 12 accumulators leave registers for the operands. */
    private static final int ROWS = 12;

    private SkinnyGemm() {
    }

    /** Whether {@link CpuGemm} takes this path: one side of C fits a vector. */
    static boolean fits(int m, int n) {
        return Math.min(m, n) <= L;
    }

    /**
     * {@code dst[p·L + j] = src[off + p·ps + j·js]} for p &lt; k, j &lt; cols, and 0 for cols ≤ j &lt; L: the
     * narrow operand as k rows of one vector.
     */
    static void pack(float[] src, int off, int ps, int js, int k, int cols, float[] dst) {
        for (int p = 0; p < k; p++) {
            int s = off + p * ps;
            int d = p * L;
            for (int j = 0; j < cols; j++) {
                dst[d + j] = src[s + j * js];
            }
            for (int j = cols; j < L; j++) {
                dst[d + j] = 0f;
            }
        }
    }

    /** {@link #pack} from bfloat16 bits, each element widened (exact). */
    static void pack(short[] src, int off, int ps, int js, int k, int cols, float[] dst) {
        for (int p = 0; p < k; p++) {
            int s = off + p * ps;
            int d = p * L;
            for (int j = 0; j < cols; j++) {
                dst[d + j] = Bf16.widen(src[s + j * js]);
            }
            for (int j = cols; j < L; j++) {
                dst[d + j] = 0f;
            }
        }
    }

    /**
     * C'[0..rows, 0..cols) = alpha·A'·B' + beta·C' over k (k ≥ 1); beta = 0 ignores what C' held. {@code lanes}
     * is L floats of scratch.
     */
    static void run(int rows, int cols, int k, float alpha, float[] a, int aOff, int ars, int acs, float[] bp,
                    float beta, float[] c, int cOff, int crs, int ccs, float[] lanes) {
        int i = 0;
        for (; i + ROWS <= rows; i += ROWS) {
            rows12(k, alpha, a, aOff + i * ars, ars, acs, bp, beta, cols, c, cOff + i * crs, crs, ccs, lanes);
        }
        for (; i < rows; i++) {
            FloatVector acc = FloatVector.zero(S);
            int ai = aOff + i * ars;
            for (int p = 0; p < k; p++) {
                acc = FloatVector.fromArray(S, bp, p * L).fma(FloatVector.broadcast(S, a[ai + p * acs]), acc);
            }
            store(acc, alpha, beta, cols, c, cOff + i * crs, ccs, lanes);
        }
    }

    private static void rows12(int k, float alpha, float[] a, int ai, int ars, int acs, float[] bp, float beta,
                               int cols, float[] c, int ci, int crs, int ccs, float[] lanes) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        FloatVector c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int p = 0; p < k; p++) {
            FloatVector b = FloatVector.fromArray(S, bp, p * L);
            int r = ai + p * acs;
            c0 = b.fma(FloatVector.broadcast(S, a[r]), c0);
            c1 = b.fma(FloatVector.broadcast(S, a[r + ars]), c1);
            c2 = b.fma(FloatVector.broadcast(S, a[r + 2 * ars]), c2);
            c3 = b.fma(FloatVector.broadcast(S, a[r + 3 * ars]), c3);
            c4 = b.fma(FloatVector.broadcast(S, a[r + 4 * ars]), c4);
            c5 = b.fma(FloatVector.broadcast(S, a[r + 5 * ars]), c5);
            c6 = b.fma(FloatVector.broadcast(S, a[r + 6 * ars]), c6);
            c7 = b.fma(FloatVector.broadcast(S, a[r + 7 * ars]), c7);
            c8 = b.fma(FloatVector.broadcast(S, a[r + 8 * ars]), c8);
            c9 = b.fma(FloatVector.broadcast(S, a[r + 9 * ars]), c9);
            c10 = b.fma(FloatVector.broadcast(S, a[r + 10 * ars]), c10);
            c11 = b.fma(FloatVector.broadcast(S, a[r + 11 * ars]), c11);
        }
        store(c0, alpha, beta, cols, c, ci, ccs, lanes);
        store(c1, alpha, beta, cols, c, ci + crs, ccs, lanes);
        store(c2, alpha, beta, cols, c, ci + 2 * crs, ccs, lanes);
        store(c3, alpha, beta, cols, c, ci + 3 * crs, ccs, lanes);
        store(c4, alpha, beta, cols, c, ci + 4 * crs, ccs, lanes);
        store(c5, alpha, beta, cols, c, ci + 5 * crs, ccs, lanes);
        store(c6, alpha, beta, cols, c, ci + 6 * crs, ccs, lanes);
        store(c7, alpha, beta, cols, c, ci + 7 * crs, ccs, lanes);
        store(c8, alpha, beta, cols, c, ci + 8 * crs, ccs, lanes);
        store(c9, alpha, beta, cols, c, ci + 9 * crs, ccs, lanes);
        store(c10, alpha, beta, cols, c, ci + 10 * crs, ccs, lanes);
        store(c11, alpha, beta, cols, c, ci + 11 * crs, ccs, lanes);
    }

    /** One row of C': a masked vector store when its entries are contiguous, else one store per entry. */
    private static void store(FloatVector acc, float alpha, float beta, int cols, float[] c, int ci, int ccs,
                              float[] lanes) {
        if (ccs == 1) {
            VectorMask<Float> m = S.indexInRange(0, cols);
            FloatVector old = beta == 0f ? FloatVector.zero(S) : FloatVector.fromArray(S, c, ci, m).mul(beta);
            acc.fma(FloatVector.broadcast(S, alpha), old).intoArray(c, ci, m);
            return;
        }
        acc.intoArray(lanes, 0);
        for (int j = 0; j < cols; j++) {
            int at = ci + j * ccs;
            float old = beta == 0f ? 0f : c[at] * beta;
            c[at] = Math.fma(lanes[j], alpha, old);
        }
    }
}
