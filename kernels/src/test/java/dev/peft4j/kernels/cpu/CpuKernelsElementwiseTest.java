package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.ODD_SIZES;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.assertClose;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.buf;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.centralDifference;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.Binary;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Unary;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CpuKernelsElementwiseTest {

    private static final double GELU_C = Math.sqrt(2 / Math.PI);

    /** The function in float64, written out independently of the kernel. */
    static double reference(Unary op, double x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case RECIP -> 1 / x;
            case SQUARE -> x * x;
            case ABS -> Math.abs(x);
            case TANH -> Math.tanh(x);
            case RELU -> Math.max(x, 0);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
            case SILU -> x / (1 + Math.exp(-x));
        };
    }

    /** Inputs inside the domain, away from kinks (|x| >= 0.05 for ABS and RELU). */
    static float[] inputs(Unary op, Random rnd, int n) {
        boolean positive = op == Unary.LOG || op == Unary.SQRT || op == Unary.RSQRT || op == Unary.RECIP;
        float[] x = positive ? uniform(rnd, n, 0.1, 3) : uniform(rnd, n, -4, 4);
        for (int i = 0; i < n; i++) {
            if (Math.abs(x[i]) < 0.05f) {
                x[i] = 0.5f;
            }
        }
        return x;
    }

    static java.util.stream.Stream<CpuKernels> backends() {
        return CpuKernelsTestSupport.backends();
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void unaryMatchesFloat64ReferenceForEveryOp(CpuKernels k) {
        Random rnd = new Random(1);
        for (Unary op : Unary.values()) {
            for (int n : ODD_SIZES) {
                float[] x = inputs(op, rnd, n + 3);
                float[] y = new float[n + 5];
                k.unary(op, buf(x), 3, buf(y), 2, n);
                double[] expected = new double[n + 5];
                for (int i = 0; i < n; i++) {
                    expected[i + 2] = reference(op, x[i + 3]);
                }
                assertClose(expected, y, 2e-6, 1e-6, op + " n=" + n);
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void unaryBackwardAccumulatesDyTimesCentralDifference(CpuKernels k) {
        Random rnd = new Random(2);
        for (Unary op : Unary.values()) {
            for (int n : ODD_SIZES) {
                float[] x = inputs(op, rnd, n);
                float[] dy = uniform(rnd, n, -1, 1);
                float[] dx = uniform(rnd, n, -1, 1);
                double[] expected = new double[n];
                for (int i = 0; i < n; i++) {
                    double slope = centralDifference(v -> reference(op, v), x[i], 1e-6);
                    expected[i] = dx[i] + dy[i] * slope;
                }
                k.unaryBackward(op, buf(x), 0, buf(dy), 0, buf(dx), 0, n);
                assertClose(expected, dx, 1e-4, 1e-5, op + "' n=" + n);
            }
        }
    }

    @Test
    void unaryWorksInPlaceAndSaturatesWithoutNaN() {
        float[] x = {-1000f, -100f, -20f, 0f, 20f, 100f, 1000f, 3f, -3f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, 12f, -5f};
        for (Unary op : new Unary[] {Unary.SIGMOID, Unary.SILU, Unary.TANH, Unary.GELU_TANH}) {
            float[] y = x.clone();
            CpuKernelsTestSupport.DEFAULT.unary(op, buf(y), 0, buf(y), 0, y.length);
            for (int i = 0; i < x.length; i++) {
                assertTrue(Float.isFinite(y[i]), op + "(" + x[i] + ") = " + y[i]);
                assertEquals(reference(op, x[i]), y[i], 1e-5 * Math.max(1, Math.abs(x[i])), op + "(" + x[i] + ")");
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void binaryIsExactlyTheRoundedFloatResult(CpuKernels k) {
        Random rnd = new Random(3);
        for (Binary op : Binary.values()) {
            for (int n : ODD_SIZES) {
                float[] a = uniform(rnd, n, -3, 3);
                float[] b = uniform(rnd, n + 1, 0.5, 3);
                float[] out = new float[n];
                k.binary(op, buf(a), 0, buf(b), 1, buf(out), 0, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(scalar(op, a[i], b[i + 1]), out[i], op + " at " + i + " of " + n);
                }
                k.binary(op, buf(a), 0, buf(b), 1, buf(a), 0, n); // out aliases a
                assertArrayEquals(out, a, op + " in place");
            }
        }
    }

    static float scalar(Binary op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
        };
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void scaleAxpyFmaAndScaleByScalar(CpuKernels k) {
        Random rnd = new Random(4);
        for (int n : ODD_SIZES) {
            float[] x = uniform(rnd, n, -2, 2);
            float[] y = uniform(rnd, n, -2, 2);
            float[] c = uniform(rnd, n, -2, 2);
            double[] scaled = new double[n];
            double[] axpy = new double[n];
            double[] fma = new double[n];
            double[] byScalar = new double[n];
            for (int i = 0; i < n; i++) {
                scaled[i] = 1.5 * x[i] - 0.25;
                axpy[i] = y[i] + -0.75 * x[i];
                fma[i] = (double) x[i] * y[i] + c[i];
                byScalar[i] = x[i] * 3.0;
            }
            float[] out = new float[n];
            k.scale(buf(x), 0, 1.5f, -0.25f, buf(out), 0, n);
            assertClose(scaled, out, 1e-6, 1e-6, "scale n=" + n);
            k.fma(buf(x), 0, buf(y), 0, buf(c), 0, buf(out), 0, n);
            assertClose(fma, out, 1e-6, 1e-6, "fma n=" + n);
            float[] yy = y.clone();
            k.axpy(-0.75f, buf(x), 0, buf(yy), 0, n);
            assertClose(axpy, yy, 1e-6, 1e-6, "axpy n=" + n);
            float[] xs = x.clone();
            k.scaleByScalar(buf(xs), 0, buf(new float[] {9f, 3f}), 1, n);
            assertClose(byScalar, xs, 1e-7, 0, "scaleByScalar n=" + n);
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void memoryOpsMoveExactlyTheRequestedRanges(CpuKernels k) {
        float[] host = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        Buffer b = k.upload(host, 2, 5);
        assertEquals(5, b.length());
        float[] back = new float[7];
        k.read(b, 1, back, 2, 3);
        assertArrayEquals(new float[] {0, 0, 4, 5, 6, 0, 0}, back);
        k.write(new float[] {-1, -2}, 0, b, 3, 2);
        Buffer c = k.allocate(300);
        k.fill(c, 10, 280, 0.5f);
        k.copy(b, 0, c, 0, 5);
        float[] all = ((CpuBuffer) c).array();
        assertArrayEquals(new float[] {3, 4, 5, -1, -2, 0, 0, 0, 0, 0, 0.5f}, Arrays.copyOf(all, 11));
        assertEquals(0.5f, all[289]);
        assertEquals(0f, all[290]);
    }

    @Test
    void buffersOfAnotherBackendAndBadRangesAreRejected() {
        Buffer foreign = new Buffer() {
            @Override
            public int length() {
                return 8;
            }

            @Override
            public void close() {
            }
        };
        CpuKernels k = CpuKernelsTestSupport.DEFAULT;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> k.unary(Unary.EXP, foreign, 0, k.allocate(8), 0, 8));
        assertTrue(e.getMessage().contains("another backend") && e.getMessage().contains("'x'"), e.getMessage());
        IndexOutOfBoundsException r = assertThrows(IndexOutOfBoundsException.class,
                () -> k.axpy(1f, k.allocate(8), 4, k.allocate(8), 0, 5));
        assertTrue(r.getMessage().contains("axpy") && r.getMessage().contains("[4, 9)"), r.getMessage());
    }
}
