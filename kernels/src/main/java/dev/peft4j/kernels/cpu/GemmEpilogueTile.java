package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.GemmMicroKernel.L;
import static dev.peft4j.kernels.cpu.GemmMicroKernel.NR;
import static dev.peft4j.kernels.cpu.GemmMicroKernel.S;

import dev.peft4j.kernels.GemmEpilogue;
import dev.peft4j.kernels.Unary;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * A {@link GemmEpilogue} resolved to heap arrays, applied by {@link CpuGemm} to each block of C right after
 * its last k slice, while the block is still in L1.
 *
 * <p>Tiling: the caller hands over one micro-tile (at most MR×NR); the low-rank term is a rank-r update
 * of that tile from V packed once per NR-column panel ({@link #packV}, {@code vt[r·NR + jj] = V[j0+jj, r]})
 * so its loads are contiguous vectors. Bounds: columns go by vectors of L lanes, the last one masked.
 *
 * <p>Rounding follows the unfused composition step by step (low-rank sum by FMAs from zero over r in order,
 * then {@code fma(sum, scale, C)} as the micro-kernel stores; bias add; scale multiply; shift add; the
 * activation through {@link UnaryLoops}, the {@code unary} kernel's own loops), so fused and unfused agree
 * to the last bit except where the unfused {@code unary} takes a scalar tail at another position.
 */
final class GemmEpilogueTile {

    private final float lowRankScale;
    private final int rank;
    private final float[] u;
    private final int uOff;
    private final int ldu;
    private final float[] v;
    private final int vOff;
    private final int ldv;
    private final float[] bias;
    private final int biasOff;
    private final float[] colScale;
    private final int colScaleOff;
    private final float[] colShift;
    private final int colShiftOff;
    private final Unary activation;
    private final float[] out;
    private final int outOff;
    private final int ldOut;

    GemmEpilogueTile(float lowRankScale, int rank, float[] u, int uOff, int ldu, float[] v, int vOff, int ldv,
                     float[] bias, int biasOff, float[] colScale, int colScaleOff, float[] colShift, int colShiftOff,
                     Unary activation, float[] out, int outOff, int ldOut) {
        this.lowRankScale = lowRankScale;
        this.rank = u == null ? 0 : rank;
        this.u = u;
        this.uOff = uOff;
        this.ldu = ldu;
        this.v = v;
        this.vOff = vOff;
        this.ldv = ldv;
        this.bias = bias;
        this.biasOff = biasOff;
        this.colScale = colScale;
        this.colScaleOff = colScaleOff;
        this.colShift = colShift;
        this.colShiftOff = colShiftOff;
        this.activation = activation;
        this.out = out;
        this.outOff = outOff;
        this.ldOut = ldOut;
    }

    /** The arrays behind {@code e}'s CPU buffers (a buffer of another backend fails naming the part). */
    static GemmEpilogueTile of(String op, GemmEpilogue e) {
        return new GemmEpilogueTile(e.lowRankScale(), e.rank(),
                e.hasLowRank() ? Checks.array(op, "epilogue lowRank U", e.lowRankU()) : null, e.lowRankUOffset(), e.ldu(),
                e.hasLowRank() ? Checks.array(op, "epilogue lowRank V", e.lowRankV()) : null, e.lowRankVOffset(), e.ldv(),
                e.hasBias() ? Checks.array(op, "epilogue bias", e.bias()) : null, e.biasOffset(),
                e.hasColScale() ? Checks.array(op, "epilogue colScale", e.colScale()) : null, e.colScaleOffset(),
                e.hasColShift() ? Checks.array(op, "epilogue colShift", e.colShift()) : null, e.colShiftOffset(),
                e.activation(),
                e.hasActivation() && !e.activationInPlace()
                        ? Checks.array(op, "epilogue activation out", e.activationOut()) : null,
                e.activationOutOffset(), e.ldOut());
    }

    /** Floats of the packed V panel {@link #packV} fills (0 without a low-rank part). */
    int packedVSize() {
        return rank * NR;
    }

    /** {@code vt[r·NR + jj] = V[j0 + jj, r]} for jj &lt; nr (the lanes beyond nr are never read unmasked). */
    void packV(int j0, int nr, float[] vt) {
        if (u == null) {
            return;
        }
        for (int jj = 0; jj < nr; jj++) {
            int row = vOff + (j0 + jj) * ldv;
            for (int r = 0; r < rank; r++) {
                vt[r * NR + jj] = v[row + r];
            }
        }
    }

    /**
     * Finishes the mr×nr block of C whose element (i0, j0) is {@code c[cIdx]}, all but the activation
     * ({@link #activate}): C already holds alpha·op(A)·op(B) + beta·C there. {@code vt} is V packed by
     * {@link #packV} for column j0.
     */
    void apply(float[] c, int cIdx, int ldc, int i0, int j0, int mr, int nr, float[] vt) {
        if (u != null) {
            lowRank(c, cIdx, ldc, i0, mr, nr, vt);
        }
        if (bias != null) {
            addColumns(bias, biasOff + j0, c, cIdx, ldc, mr, nr);
        }
        if (colScale != null) {
            mulColumns(colScale, colScaleOff + j0, c, cIdx, ldc, mr, nr);
        }
        if (colShift != null) {
            addColumns(colShift, colShiftOff + j0, c, cIdx, ldc, mr, nr);
        }
    }

    /**
     * The activation over a finished mr×nc block of C (element (i0, j0) at {@code c[cIdx]}), row by row. Run
     * once per macro block rather than per tile: rows of up to NC floats keep the vector loop long, where
     * 32-float tile rows spent as much on loop entry as on the activation.
     */
    void activate(float[] c, int cIdx, int ldc, int i0, int j0, int mr, int nc) {
        if (activation == null) {
            return;
        }
        for (int i = 0; i < mr; i++) {
            int row = cIdx + i * ldc;
            if (out == null) { // in place
                UnaryLoops.apply(activation, c, row, c, row, nc);
            } else {
                UnaryLoops.apply(activation, c, row, out, outOff + (i0 + i) * ldOut + j0, nc);
            }
        }
    }

    /** Every element of a rectangle of C, tile by tile, then the activation: for k = 0 or alpha = 0, where no micro-kernel ran. */
    void applyRegion(float[] c, int co, int ldc, int i0, int i1, int j0, int j1, float[] vt) {
        for (int j = j0; j < j1; j += NR) {
            int nr = Math.min(NR, j1 - j);
            packV(j, nr, vt);
            for (int i = i0; i < i1; i += GemmMicroKernel.MR) {
                int mr = Math.min(GemmMicroKernel.MR, i1 - i);
                apply(c, co + i * ldc + j, ldc, i, j, mr, nr, vt);
            }
        }
        activate(c, co + i0 * ldc + j0, ldc, i0, j0, i1 - i0, j1 - j0);
    }

    /**
     * C += scale·U·Vᵀ on the block: per row, two rank-r FMA chains (the two vectors of an NR-wide tile),
     * each from zero in r order as the micro-kernel sums, then {@code fma(sum, scale, C)} as it stores. Rows
     * go in pairs so four independent chains hide the FMA latency (one pair of chains alone is latency-bound).
     */
    private void lowRank(float[] c, int cIdx, int ldc, int i0, int mr, int nr, float[] vt) {
        FloatVector sc = FloatVector.broadcast(S, lowRankScale);
        int i = 0;
        for (; i + 1 < mr; i += 2) {
            int ui = uOff + (i0 + i) * ldu;
            FloatVector acc0 = FloatVector.zero(S);
            FloatVector acc1 = FloatVector.zero(S);
            FloatVector acc2 = FloatVector.zero(S);
            FloatVector acc3 = FloatVector.zero(S);
            for (int r = 0; r < rank; r++) {
                FloatVector v0 = FloatVector.fromArray(S, vt, r * NR);
                FloatVector v1 = FloatVector.fromArray(S, vt, r * NR + L);
                FloatVector a = FloatVector.broadcast(S, u[ui + r]);
                FloatVector b = FloatVector.broadcast(S, u[ui + ldu + r]);
                acc0 = a.fma(v0, acc0);
                acc1 = a.fma(v1, acc1);
                acc2 = b.fma(v0, acc2);
                acc3 = b.fma(v1, acc3);
            }
            store(acc0, acc1, sc, c, cIdx + i * ldc, nr);
            store(acc2, acc3, sc, c, cIdx + (i + 1) * ldc, nr);
        }
        for (; i < mr; i++) {
            int ui = uOff + (i0 + i) * ldu;
            FloatVector acc0 = FloatVector.zero(S);
            FloatVector acc1 = FloatVector.zero(S);
            for (int r = 0; r < rank; r++) {
                FloatVector a = FloatVector.broadcast(S, u[ui + r]);
                acc0 = a.fma(FloatVector.fromArray(S, vt, r * NR), acc0);
                acc1 = a.fma(FloatVector.fromArray(S, vt, r * NR + L), acc1);
            }
            store(acc0, acc1, sc, c, cIdx + i * ldc, nr);
        }
    }

    /** {@code C[at .. at+nr) = fma(sum, scale, C)} for the two vectors of one tile row. */
    private static void store(FloatVector sum0, FloatVector sum1, FloatVector scale, float[] c, int at, int nr) {
        if (nr == NR) {
            sum0.fma(scale, FloatVector.fromArray(S, c, at)).intoArray(c, at);
            sum1.fma(scale, FloatVector.fromArray(S, c, at + L)).intoArray(c, at + L);
            return;
        }
        VectorMask<Float> m0 = S.indexInRange(0, nr);
        sum0.fma(scale, FloatVector.fromArray(S, c, at, m0)).intoArray(c, at, m0);
        if (nr > L) {
            VectorMask<Float> m1 = S.indexInRange(L, nr);
            sum1.fma(scale, FloatVector.fromArray(S, c, at + L, m1)).intoArray(c, at + L, m1);
        }
    }

    /**
     * C[i, j] += w[wOff + j] on the block, each column vector loaded once for all mr rows. Full vectors go
     * unmasked; one method per op keeps every loop free of vector phis C2 might box.
     */
    private static void addColumns(float[] w, int wOff, float[] c, int cIdx, int ldc, int mr, int nr) {
        int jj = 0;
        for (; jj + L <= nr; jj += L) {
            FloatVector col = FloatVector.fromArray(S, w, wOff + jj);
            for (int i = 0, at = cIdx + jj; i < mr; i++, at += ldc) {
                FloatVector.fromArray(S, c, at).add(col).intoArray(c, at);
            }
        }
        if (jj < nr) {
            VectorMask<Float> m = S.indexInRange(jj, nr);
            FloatVector col = FloatVector.fromArray(S, w, wOff + jj, m);
            for (int i = 0, at = cIdx + jj; i < mr; i++, at += ldc) {
                FloatVector.fromArray(S, c, at, m).add(col).intoArray(c, at, m);
            }
        }
    }

    /** C[i, j] *= w[wOff + j] on the block; see {@link #addColumns}. */
    private static void mulColumns(float[] w, int wOff, float[] c, int cIdx, int ldc, int mr, int nr) {
        int jj = 0;
        for (; jj + L <= nr; jj += L) {
            FloatVector col = FloatVector.fromArray(S, w, wOff + jj);
            for (int i = 0, at = cIdx + jj; i < mr; i++, at += ldc) {
                FloatVector.fromArray(S, c, at).mul(col).intoArray(c, at);
            }
        }
        if (jj < nr) {
            VectorMask<Float> m = S.indexInRange(jj, nr);
            FloatVector col = FloatVector.fromArray(S, w, wOff + jj, m);
            for (int i = 0, at = cIdx + jj; i < mr; i++, at += ldc) {
                FloatVector.fromArray(S, c, at, m).mul(col).intoArray(c, at, m);
            }
        }
    }
}
