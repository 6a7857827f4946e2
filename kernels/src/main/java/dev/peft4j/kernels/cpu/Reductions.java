package dev.peft4j.kernels.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row sums and maxima (threads split rows) and whole-range sums in float64 (threads split the range and
 * their partial sums are added in range order, so a given thread count always gives the same bits).
 */
final class Reductions {

    private static final VectorSpecies<Float> S = UnaryMath.SPECIES;
    /** Doubles with the same bit width: one float vector widens into two of these. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, S.vectorShape());

    private final Parallel parallel;

    Reductions(Parallel parallel) {
        this.parallel = parallel;
    }

    void sumRows(float[] x, int xOff, int rows, int cols, float[] out, int outOff, boolean accumulate) {
        parallel.forRange(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                float s = rowSum(x, xOff + r * cols, cols);
                out[outOff + r] = accumulate ? out[outOff + r] + s : s;
            }
        });
    }

    void maxRows(float[] x, int xOff, int rows, int cols, float[] out, int outOff) {
        parallel.forRange(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                out[outOff + r] = rowMax(x, xOff + r * cols, cols);
            }
        });
    }

    double sum(float[] x, int xOff, int n) {
        return parallel.sum(n, 1, (from, to) -> widenedSum(x, xOff + from, to - from, false));
    }

    double sumOfSquares(float[] x, int xOff, int n) {
        return parallel.sum(n, 1, (from, to) -> widenedSum(x, xOff + from, to - from, true));
    }

    /** Sum of {@code x[off, off + n)} in float SIMD lanes (fixed lane order, so deterministic). */
    static float rowSum(float[] x, int off, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            acc = acc.add(FloatVector.fromArray(S, x, off + i));
        }
        float s = LaneSums.sum(acc);
        for (; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    /** Maximum of {@code x[off, off + n)}; -inf for an empty range. */
    static float rowMax(float[] x, int off, int n) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            acc = acc.max(FloatVector.fromArray(S, x, off + i));
        }
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    /** Each float is widened to double before it is added (or squared), so no float rounding occurs. */
    private static double widenedSum(float[] x, int off, int n, boolean squares) {
        DoubleVector lo = DoubleVector.zero(D);
        DoubleVector hi = DoubleVector.zero(D);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, off + i);
            DoubleVector a = (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0);
            DoubleVector b = (DoubleVector) v.convertShape(VectorOperators.F2D, D, 1);
            if (squares) {
                lo = a.fma(a, lo);
                hi = b.fma(b, hi);
            } else {
                lo = lo.add(a);
                hi = hi.add(b);
            }
        }
        double s = LaneSums.sum(lo.add(hi));
        for (; i < n; i++) {
            double v = x[off + i];
            s += squares ? v * v : v;
        }
        return s;
    }
}
