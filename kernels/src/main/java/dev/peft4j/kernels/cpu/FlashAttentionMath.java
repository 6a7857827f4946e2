package dev.peft4j.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector loops the fused attention passes share. A key tile of {@link #BK} keys is stored transposed
 * ({@code [len][BK]}), so one query row's scores against it are four vector accumulators.
 */
final class FlashAttentionMath {

    static final VectorSpecies<Float> S = UnaryMath.SPECIES;
    static final int L = S.length();
    /** Keys per tile: four vectors of scores per query row. */
    static final int BK = 4 * L;

    private FlashAttentionMath() {
    }

    /**
     * {@code kt[c * BK + j] = m[mOff + j * stride + c]} for j &lt; rows, c &lt; len (rows of len floats, each
     * {@code stride} after the last); columns rows..BK are zeroed.
     */
    static void transposeTile(float[] m, int mOff, int rows, int len, int stride, float[] kt) {
        for (int c = 0; c < len; c++) {
            int base = c * BK;
            for (int j = 0; j < rows; j++) {
                kt[base + j] = m[mOff + j * stride + c];
            }
            for (int j = rows; j < BK; j++) {
                kt[base + j] = 0f;
            }
        }
    }

    /** {@code s[sOff + j] = scale * sum_c x[xOff + c] * kt[c * BK + j]} for all j &lt; BK. */
    static void scores(float[] x, int xOff, int len, float[] kt, float scale, float[] s, int sOff) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        for (int c = 0; c < len; c++) {
            FloatVector xc = FloatVector.broadcast(S, x[xOff + c]);
            int base = c * BK;
            a0 = FloatVector.fromArray(S, kt, base).fma(xc, a0);
            a1 = FloatVector.fromArray(S, kt, base + L).fma(xc, a1);
            a2 = FloatVector.fromArray(S, kt, base + 2 * L).fma(xc, a2);
            a3 = FloatVector.fromArray(S, kt, base + 3 * L).fma(xc, a3);
        }
        a0.mul(scale).intoArray(s, sOff);
        a1.mul(scale).intoArray(s, sOff + L);
        a2.mul(scale).intoArray(s, sOff + 2 * L);
        a3.mul(scale).intoArray(s, sOff + 3 * L);
    }

    /** max of {@code s[off, off + n)}; -inf when n = 0. */
    static float max(float[] s, int off, int n) {
        FloatVector vm = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            vm = vm.max(FloatVector.fromArray(S, s, off + j));
        }
        float m = vm.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) {
            m = Math.max(m, s[off + j]);
        }
        return m;
    }

    /** {@code s[off + j] = exp(s[off + j] - shift)} for j &lt; n; returns their sum. */
    static float expShifted(float[] s, int off, int n, float shift) {
        FloatVector vs = FloatVector.zero(S);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, s, off + j).sub(shift));
            e.intoArray(s, off + j);
            vs = vs.add(e);
        }
        float sum = LaneSums.sum(vs);
        for (; j < n; j++) {
            float e = (float) Math.exp(s[off + j] - shift);
            s[off + j] = e;
            sum += e;
        }
        return sum;
    }

    /**
     * {@code acc[accOff + e] += sum_{j < n} p[pOff + j] * m[mOff + j * stride + e]} for e &lt; len: a weighted sum
     * of n rows of m, each {@code stride} floats after the last.
     */
    static void axpyRows(float[] p, int pOff, int n, float[] m, int mOff, int len, int stride, float[] acc,
                         int accOff) {
        int e = 0;
        for (; e + 4 * L <= len; e += 4 * L) {
            int a = accOff + e;
            FloatVector c0 = FloatVector.fromArray(S, acc, a);
            FloatVector c1 = FloatVector.fromArray(S, acc, a + L);
            FloatVector c2 = FloatVector.fromArray(S, acc, a + 2 * L);
            FloatVector c3 = FloatVector.fromArray(S, acc, a + 3 * L);
            for (int j = 0; j < n; j++) {
                FloatVector pj = FloatVector.broadcast(S, p[pOff + j]);
                int r = mOff + j * stride + e;
                c0 = FloatVector.fromArray(S, m, r).fma(pj, c0);
                c1 = FloatVector.fromArray(S, m, r + L).fma(pj, c1);
                c2 = FloatVector.fromArray(S, m, r + 2 * L).fma(pj, c2);
                c3 = FloatVector.fromArray(S, m, r + 3 * L).fma(pj, c3);
            }
            c0.intoArray(acc, a);
            c1.intoArray(acc, a + L);
            c2.intoArray(acc, a + 2 * L);
            c3.intoArray(acc, a + 3 * L);
        }
        for (; e + L <= len; e += L) {
            FloatVector c0 = FloatVector.fromArray(S, acc, accOff + e);
            for (int j = 0; j < n; j++) {
                c0 = FloatVector.fromArray(S, m, mOff + j * stride + e).fma(FloatVector.broadcast(S, p[pOff + j]), c0);
            }
            c0.intoArray(acc, accOff + e);
        }
        for (; e < len; e++) {
            float c = acc[accOff + e];
            for (int j = 0; j < n; j++) {
                c += p[pOff + j] * m[mOff + j * stride + e];
            }
            acc[accOff + e] = c;
        }
    }

    /** {@code y[yOff + e] = a * x[xOff + e] + y[yOff + e]} for e &lt; len. */
    static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int len) {
        FloatVector va = FloatVector.broadcast(S, a);
        int e = 0;
        for (int bound = S.loopBound(len); e < bound; e += L) {
            FloatVector.fromArray(S, x, xOff + e).fma(va, FloatVector.fromArray(S, y, yOff + e)).intoArray(y, yOff + e);
        }
        for (; e < len; e++) {
            y[yOff + e] += a * x[xOff + e];
        }
    }

    /** {@code y[yOff + e] *= a} for e &lt; len. */
    static void scale(float[] y, int yOff, int len, float a) {
        int e = 0;
        for (int bound = S.loopBound(len); e < bound; e += L) {
            FloatVector.fromArray(S, y, yOff + e).mul(a).intoArray(y, yOff + e);
        }
        for (; e < len; e++) {
            y[yOff + e] *= a;
        }
    }

    static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        FloatVector acc = FloatVector.zero(S);
        int e = 0;
        for (int bound = S.loopBound(len); e < bound; e += L) {
            acc = FloatVector.fromArray(S, a, aOff + e).fma(FloatVector.fromArray(S, b, bOff + e), acc);
        }
        float s = LaneSums.sum(acc);
        for (; e < len; e++) {
            s += a[aOff + e] * b[bOff + e];
        }
        return s;
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
