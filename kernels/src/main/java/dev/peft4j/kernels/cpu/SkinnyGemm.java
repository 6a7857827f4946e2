package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.GemmMicroKernel.L;
import static dev.peft4j.kernels.cpu.GemmMicroKernel.S;

import jdk.incubator.vector.FloatVector;

/**
 * Products with a side of at most one vector ({@link GemmMicroKernel#L} lanes): a LoRA adapter's
 * {@code x·Aᵀ} (n = r), its gradients {@code dY·B} (n = r), {@code dYᵀ·u} (n = r) and {@code dUᵀ·x} (m = r).
 * The packed micro-kernel would spend most of its 2-vector tile on padding and pack all of the big operand
 * for a sliver of work. Here the big operand A' is read in place and only the narrow one B' is packed.
 *
 * <p>C' = alpha·A'·B' + beta·C' for C'[0..rows, 0..cols), cols ≤ L, with A'(i, p) = {@code a[aOff + i·ars + p·acs]}
 * (strides cover both transposes and the Cᵀ orientation CpuGemm uses when m is the narrow side), B'(p, j) read
 * through {@link Narrow}, and C'(i, j) at {@code c[cOff + i·crs + j·ccs]}. Three loops, by how A' lies:
 * <ul>
 *   <li>rows contiguous in p ({@code acs = 1}): {@link #dotRows}, vectors along k against B' packed by column,
 *       two rows × {@link #COLS} columns of accumulators, then one lane sum per entry;</li>
 *   <li>columns contiguous in i ({@code ars = 1}): {@link #outerRows}, vectors of 2L rows of A' times broadcast
 *       B' entries, {@link #COLS} columns at a time;</li>
 *   <li>otherwise, and for leftover rows: one vector of B' per k step against broadcast A' entries.</li>
 * </ul>
 * Rounding: an entry's k products are summed by FMAs (in lane order, then {@link LaneSums} on the dot path),
 * then stored as {@code fma(sum, alpha, beta·C')}; beta = 0 ignores what C' held.
 */
final class SkinnyGemm {

    /** Output columns one pass of the dot and outer loops accumulates (with two rows or 2L rows: 16 vectors). */
    private static final int COLS = 8;

    private SkinnyGemm() {
    }

    /** Whether {@link CpuGemm} takes this path: one side of C fits a vector. */
    static boolean fits(int m, int n) {
        return Math.min(m, n) <= L;
    }

    /** The narrow operand B'(p, j) = {@code f32[off + p·ps + j·js]}, or the bf16 bits there widened (exact). */
    record Narrow(float[] f32, short[] bf16, int off, int ps, int js) {
        float get(int p, int j) {
            int at = off + p * ps + j * js;
            return f32 != null ? f32[at] : Bf16.widen(bf16[at]);
        }
    }

    /** Floats of {@code packed} scratch {@link #multiply} needs for a k of {@code k}. */
    static int packedSize(int k) {
        return k * Math.max(L, 2 * COLS);
    }

    /** Floats of {@code lanes} scratch {@link #multiply} needs (the dot path's sums and stored accumulators). */
    static final int LANES_SIZE = Math.max(2 * L, 2 * COLS * (1 + L));

    /**
     * C'[0..rows, 0..cols) = alpha·A'·B' + beta·C' over k ≥ 1. {@code packed} holds {@link #packedSize} floats
     * and {@code lanes} {@link #LANES_SIZE} floats of scratch.
     */
    static void multiply(int rows, int cols, int k, float alpha, float[] a, int aOff, int ars, int acs, Narrow b,
                         float beta, float[] c, int cOff, int crs, int ccs, float[] packed, float[] lanes) {
        if (acs == 1 && k >= L) {
            packByColumn(b, k, cols, packed);
            for (int j0 = 0; j0 < cols; j0 += COLS) {
                dotRows(rows, Math.min(COLS, cols - j0), k, alpha, a, aOff, ars, packed, j0 * k, beta,
                        c, cOff + j0 * ccs, crs, ccs, lanes);
            }
            return;
        }
        packByStep(b, k, cols, packed);
        int i = 0;
        if (ars == 1) {
            for (; i + 2 * L <= rows; i += 2 * L) {
                for (int j0 = 0; j0 < cols; j0 += COLS) {
                    outerRows(Math.min(COLS, cols - j0), k, alpha, a, aOff + i, acs, packed, j0, beta,
                            c, cOff + i * crs + j0 * ccs, crs, ccs, lanes);
                }
            }
        }
        for (; i < rows; i++) {
            FloatVector acc = FloatVector.zero(S);
            int ai = aOff + i * ars;
            for (int p = 0; p < k; p++) {
                acc = FloatVector.fromArray(S, packed, p * L).fma(FloatVector.broadcast(S, a[ai + p * acs]), acc);
            }
            acc.intoArray(lanes, 0);
            for (int j = 0; j < cols; j++) {
                store(lanes[j], alpha, beta, c, cOff + i * crs + j * ccs);
            }
        }
    }

    /** {@code dst[j·k + p] = B'(p, j)}, rows j from cols up to a multiple of {@link #COLS} zero. */
    private static void packByColumn(Narrow b, int k, int cols, float[] dst) {
        int padded = (cols + COLS - 1) / COLS * COLS;
        for (int j = 0; j < padded; j++) {
            for (int p = 0; p < k; p++) {
                dst[j * k + p] = j < cols ? b.get(p, j) : 0f;
            }
        }
    }

    /** {@code dst[p·L + j] = B'(p, j)}, lanes from cols up to L zero. */
    private static void packByStep(Narrow b, int k, int cols, float[] dst) {
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < L; j++) {
                dst[p * L + j] = j < cols ? b.get(p, j) : 0f;
            }
        }
    }

    /**
     * Rows of A' contiguous in p against {@link #COLS} columns of B' packed by column from {@code bt[bOff]}
     * (rows past cols are zero): two rows at a time, one vector accumulator per (row, column).
     */
    private static void dotRows(int rows, int cols, int k, float alpha, float[] a, int aOff, int ars, float[] bt,
                                int bOff, float beta, float[] c, int cOff, int crs, int ccs, float[] sums) {
        int vk = k - k % L;
        int i = 0;
        for (; i + 2 <= rows; i += 2) {
            int r0 = aOff + i * ars;
            int r1 = r0 + ars;
            FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00;
            FloatVector s04 = s00, s05 = s00, s06 = s00, s07 = s00;
            FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
            FloatVector s14 = s00, s15 = s00, s16 = s00, s17 = s00;
            for (int p = 0; p < vk; p += L) {
                FloatVector x0 = FloatVector.fromArray(S, a, r0 + p);
                FloatVector x1 = FloatVector.fromArray(S, a, r1 + p);
                int w = bOff + p;
                FloatVector b0 = FloatVector.fromArray(S, bt, w);
                s00 = x0.fma(b0, s00);
                s10 = x1.fma(b0, s10);
                FloatVector b1 = FloatVector.fromArray(S, bt, w + k);
                s01 = x0.fma(b1, s01);
                s11 = x1.fma(b1, s11);
                FloatVector b2 = FloatVector.fromArray(S, bt, w + 2 * k);
                s02 = x0.fma(b2, s02);
                s12 = x1.fma(b2, s12);
                FloatVector b3 = FloatVector.fromArray(S, bt, w + 3 * k);
                s03 = x0.fma(b3, s03);
                s13 = x1.fma(b3, s13);
                FloatVector b4 = FloatVector.fromArray(S, bt, w + 4 * k);
                s04 = x0.fma(b4, s04);
                s14 = x1.fma(b4, s14);
                FloatVector b5 = FloatVector.fromArray(S, bt, w + 5 * k);
                s05 = x0.fma(b5, s05);
                s15 = x1.fma(b5, s15);
                FloatVector b6 = FloatVector.fromArray(S, bt, w + 6 * k);
                s06 = x0.fma(b6, s06);
                s16 = x1.fma(b6, s16);
                FloatVector b7 = FloatVector.fromArray(S, bt, w + 7 * k);
                s07 = x0.fma(b7, s07);
                s17 = x1.fma(b7, s17);
            }
            // Stored, then summed from the scratch: an array of vectors would box all sixteen, and so would
            // calls of LaneSums.sum that C2 does not inline into a method this size.
            int at = 2 * COLS;
            s00.intoArray(sums, at);
            s01.intoArray(sums, at + L);
            s02.intoArray(sums, at + 2 * L);
            s03.intoArray(sums, at + 3 * L);
            s04.intoArray(sums, at + 4 * L);
            s05.intoArray(sums, at + 5 * L);
            s06.intoArray(sums, at + 6 * L);
            s07.intoArray(sums, at + 7 * L);
            s10.intoArray(sums, at + 8 * L);
            s11.intoArray(sums, at + 9 * L);
            s12.intoArray(sums, at + 10 * L);
            s13.intoArray(sums, at + 11 * L);
            s14.intoArray(sums, at + 12 * L);
            s15.intoArray(sums, at + 13 * L);
            s16.intoArray(sums, at + 14 * L);
            s17.intoArray(sums, at + 15 * L);
            for (int v = 0; v < 2 * COLS; v++) {
                sums[v] = LaneSums.sumStored(sums, at + v * L, L);
            }
            for (int j = 0; j < cols; j++) {
                store(dotTail(sums[j], a, r0, bt, bOff + j * k, vk, k), alpha, beta, c, cOff + i * crs + j * ccs);
                store(dotTail(sums[COLS + j], a, r1, bt, bOff + j * k, vk, k), alpha, beta,
                        c, cOff + (i + 1) * crs + j * ccs);
            }
        }
        for (; i < rows; i++) {
            int r = aOff + i * ars;
            for (int j = 0; j < cols; j++) {
                FloatVector s = FloatVector.zero(S);
                for (int p = 0; p < vk; p += L) {
                    s = FloatVector.fromArray(S, a, r + p).fma(FloatVector.fromArray(S, bt, bOff + j * k + p), s);
                }
                s.intoArray(sums, 2 * COLS);
                float sum = LaneSums.sumStored(sums, 2 * COLS, L);
                store(dotTail(sum, a, r, bt, bOff + j * k, vk, k), alpha, beta, c, cOff + i * crs + j * ccs);
            }
        }
    }

    /** {@code sum} plus the products of the k steps from {@code from} on, in order. */
    private static float dotTail(float sum, float[] a, int aRow, float[] bt, int bRow, int from, int k) {
        for (int p = from; p < k; p++) {
            sum = Math.fma(a[aRow + p], bt[bRow + p], sum);
        }
        return sum;
    }

    /**
     * 2L rows of A' contiguous in i (from {@code a[ai]}, k step {@code acs}) against columns j0 .. j0 + cols
     * of B' packed by step: per k step two vector loads of A' and one broadcast per column.
     */
    private static void outerRows(int cols, int k, float alpha, float[] a, int ai, int acs, float[] bp, int j0,
                                  float beta, float[] c, int cOff, int crs, int ccs, float[] lanes) {
        FloatVector t00 = FloatVector.zero(S), t01 = t00, t02 = t00, t03 = t00;
        FloatVector t04 = t00, t05 = t00, t06 = t00, t07 = t00;
        FloatVector t10 = t00, t11 = t00, t12 = t00, t13 = t00;
        FloatVector t14 = t00, t15 = t00, t16 = t00, t17 = t00;
        for (int p = 0; p < k; p++) {
            FloatVector x0 = FloatVector.fromArray(S, a, ai + p * acs);
            FloatVector x1 = FloatVector.fromArray(S, a, ai + p * acs + L);
            int w = p * L + j0;
            FloatVector b0 = FloatVector.broadcast(S, bp[w]);
            t00 = x0.fma(b0, t00);
            t10 = x1.fma(b0, t10);
            FloatVector b1 = FloatVector.broadcast(S, bp[w + 1]);
            t01 = x0.fma(b1, t01);
            t11 = x1.fma(b1, t11);
            FloatVector b2 = FloatVector.broadcast(S, bp[w + 2]);
            t02 = x0.fma(b2, t02);
            t12 = x1.fma(b2, t12);
            FloatVector b3 = FloatVector.broadcast(S, bp[w + 3]);
            t03 = x0.fma(b3, t03);
            t13 = x1.fma(b3, t13);
            FloatVector b4 = FloatVector.broadcast(S, bp[w + 4]);
            t04 = x0.fma(b4, t04);
            t14 = x1.fma(b4, t14);
            FloatVector b5 = FloatVector.broadcast(S, bp[w + 5]);
            t05 = x0.fma(b5, t05);
            t15 = x1.fma(b5, t15);
            FloatVector b6 = FloatVector.broadcast(S, bp[w + 6]);
            t06 = x0.fma(b6, t06);
            t16 = x1.fma(b6, t16);
            FloatVector b7 = FloatVector.broadcast(S, bp[w + 7]);
            t07 = x0.fma(b7, t07);
            t17 = x1.fma(b7, t17);
        }
        // Column by column through scratch (an array of the vectors would box them); columns past cols are padding.
        int hi = cOff + L * crs;
        storeColumn(t00, t10, 0, cols, alpha, beta, c, cOff, hi, crs, ccs, lanes);
        storeColumn(t01, t11, 1, cols, alpha, beta, c, cOff, hi, crs, ccs, lanes);
        storeColumn(t02, t12, 2, cols, alpha, beta, c, cOff, hi, crs, ccs, lanes);
        storeColumn(t03, t13, 3, cols, alpha, beta, c, cOff, hi, crs, ccs, lanes);
        storeColumn(t04, t14, 4, cols, alpha, beta, c, cOff, hi, crs, ccs, lanes);
        storeColumn(t05, t15, 5, cols, alpha, beta, c, cOff, hi, crs, ccs, lanes);
        storeColumn(t06, t16, 6, cols, alpha, beta, c, cOff, hi, crs, ccs, lanes);
        storeColumn(t07, t17, 7, cols, alpha, beta, c, cOff, hi, crs, ccs, lanes);
    }

    /** Column j (if j &lt; cols) of 2L rows of C': the first L from {@code low}, the next L from {@code high}. */
    private static void storeColumn(FloatVector low, FloatVector high, int j, int cols, float alpha, float beta,
                                    float[] c, int lowAt, int highAt, int crs, int ccs, float[] lanes) {
        if (j >= cols) {
            return;
        }
        low.intoArray(lanes, 0);
        high.intoArray(lanes, L);
        for (int l = 0; l < L; l++) {
            store(lanes[l], alpha, beta, c, lowAt + l * crs + j * ccs);
            store(lanes[L + l], alpha, beta, c, highAt + l * crs + j * ccs);
        }
    }

    private static void store(float sum, float alpha, float beta, float[] c, int at) {
        c[at] = Math.fma(sum, alpha, beta == 0f ? 0f : c[at] * beta);
    }
}
