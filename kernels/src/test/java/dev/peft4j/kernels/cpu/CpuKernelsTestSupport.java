package dev.peft4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;

/** Shared fixtures of the CpuKernels*Test classes: two backends, random data, tolerant comparison. */
final class CpuKernelsTestSupport {

    /** Production settings: small test inputs stay on the calling thread. */
    static final CpuKernels DEFAULT = new CpuKernels();
    /** Forks at 64 element operations, so moderately sized inputs run the multi-threaded paths. */
    static final CpuKernels FORKING = new CpuKernels(2, 64);
    /** One thread: the reference for "same bits whatever the thread count". */
    static final CpuKernels SERIAL = new CpuKernels(1, CpuKernels.DEFAULT_MIN_PARALLEL_WORK);

    /** Sizes around the 16-lane vector width so tails of every length are exercised. */
    static final int[] ODD_SIZES = {1, 7, 17, 33, 100, 257, 1000};

    private CpuKernelsTestSupport() {
    }

    static Stream<CpuKernels> backends() {
        return Stream.of(DEFAULT, FORKING);
    }

    static float[] uniform(Random rnd, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        }
        return a;
    }

    static CpuBuffer buf(float[] a) {
        return new CpuBuffer(a);
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** |actual - expected| <= atol + rtol * |expected| elementwise, reporting the first offender. */
    static void assertClose(double[] expected, float[] actual, double rtol, double atol, String what) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            if (!(err <= atol + rtol * Math.abs(expected[i]))) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]
                        + " (error " + err + ")");
            }
        }
    }

    /** Central difference of f at x in double. */
    static double centralDifference(DoubleUnaryOperator f, double x, double h) {
        return (f.applyAsDouble(x + h) - f.applyAsDouble(x - h)) / (2 * h);
    }

    /** Gradient of a scalar function of a vector by central differences, one coordinate at a time. */
    static double[] numericGradient(java.util.function.ToDoubleFunction<double[]> f, double[] x, double h) {
        double[] g = new double[x.length];
        double[] probe = x.clone();
        for (int i = 0; i < x.length; i++) {
            probe[i] = x[i] + h;
            double up = f.applyAsDouble(probe);
            probe[i] = x[i] - h;
            double down = f.applyAsDouble(probe);
            probe[i] = x[i];
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    /** {@code base + delta} elementwise, for "accumulates into" expectations. */
    static double[] plus(float[] base, double[] delta) {
        double[] out = new double[base.length];
        for (int i = 0; i < base.length; i++) {
            out[i] = base[i] + delta[i];
        }
        return out;
    }
}
