package dev.peft4j.engine;

import org.junit.jupiter.api.Test;

import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;

import static dev.peft4j.engine.TestBackend.CPU;
import static dev.peft4j.engine.TestBackend.randomParam;
import static dev.peft4j.engine.TestBackend.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Broadcasting binary ops, affine and the unary functions: forward vs scalar loops, backward vs finite differences. */
class ElementwiseOpsTest {

    /** Broadcast pairs: equal, [3,1,5]+[4,5], [2,3]*[3], tensor and rank-0 scalar, and both sides broadcasting. */
    private static final int[][][] SHAPES = {
            {{2, 3}, {2, 3}}, {{3, 1, 5}, {4, 5}}, {{2, 3}, {3}}, {{2, 3}, {}}, {{}, {2, 2}}, {{4, 1}, {1, 3}},
    };

    @Test
    void addMatchesBroadcastReferenceAndGradients() {
        checkBinary("add", Tensor::add, Double::sum);
    }

    @Test
    void subMatchesBroadcastReferenceAndGradients() {
        checkBinary("sub", Tensor::sub, (a, b) -> a - b);
    }

    @Test
    void mulMatchesBroadcastReferenceAndGradients() {
        checkBinary("mul", Tensor::mul, (a, b) -> a * b);
    }

    @Test
    void divMatchesBroadcastReferenceAndGradients() {
        checkBinary("div", Tensor::div, (a, b) -> a / b);
    }

    private static void checkBinary(String name, java.util.function.BinaryOperator<Tensor> op,
                                    DoubleBinaryOperator ref) {
        long seed = 1;
        for (int[][] pair : SHAPES) {
            Tensor a = randomParam(seed++, 1, pair[0]);
            // Divisors kept away from 0 so the quotient and its difference quotient stay O(1).
            Tensor b = name.equals("div") ? TestBackend.param(awayFromZero(seed++, Shapes.numel(pair[1])), pair[1])
                    : randomParam(seed++, 1, pair[1]);
            String label = name + " " + Shapes.str(pair[0]) + " and " + Shapes.str(pair[1]);
            int[] outShape = Shapes.broadcast(name, pair[0], pair[1]);
            float[] got = op.apply(a, b).toArray();
            assertArrayEquals(broadcastReference(a.toArray(), pair[0], b.toArray(), pair[1], outShape, ref), got,
                    1e-6f, label);
            GradCheck.againstEngine(label, in -> op.apply(in[0], in[1]), a, b);
        }
    }

    @Test
    void opsOnNonContiguousViewsReadThroughStrides() {
        Tensor a = randomParam(3, 1, 3, 2);
        Tensor b = randomParam(4, 1, 2, 3);
        GradCheck.againstEngine("mul of a transposed view", in -> in[0].t().mul(in[1]), a, b);
        float[] at = a.t().contiguous().toArray();
        float[] bb = b.toArray();
        float[] got = a.t().mul(b).toArray();
        for (int i = 0; i < 6; i++) {
            assertEquals(at[i] * bb[i], got[i], 1e-6f);
        }
    }

    @Test
    void broadcastingErrorsNameTheShapes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> tensor(new float[6], 2, 3).add(tensor(new float[4], 4)));
        assertEquals("add: shapes do not broadcast: [2, 3] and [4]", e.getMessage());
    }

    @Test
    void affineAndScalarForms() {
        Tensor x = randomParam(5, 1, 2, 3);
        float[] xs = x.toArray();
        float[] got = x.affine(2f, -1f).toArray();
        for (int i = 0; i < xs.length; i++) {
            assertEquals(2 * xs[i] - 1, got[i], 1e-6f);
        }
        assertArrayEquals(new float[] {3, 4}, tensor(new float[] {1, 2}, 2).add(2f).toArray());
        assertArrayEquals(new float[] {-2, -4}, tensor(new float[] {1, 2}, 2).mul(-2f).toArray());
        GradCheck.againstEngine("affine", in -> in[0].affine(-1.5f, 0.25f), x);
    }

    @Test
    void unaryFunctionsMatchTheirDefinitionsAndDerivatives() {
        check("neg", Tensor::neg, v -> -v, false);
        check("exp", Tensor::exp, Math::exp, false);
        check("log", Tensor::log, Math::log, true);
        check("sqrt", Tensor::sqrt, Math::sqrt, true);
        check("rsqrt", Tensor::rsqrt, v -> 1 / Math.sqrt(v), true);
        check("reciprocal", Tensor::reciprocal, v -> 1 / v, true);
        check("square", Tensor::square, v -> v * v, false);
        check("abs", Tensor::abs, Math::abs, false);
        check("tanh", Tensor::tanh, Math::tanh, false);
        check("relu", Tensor::relu, v -> Math.max(v, 0), false);
        check("sigmoid", Tensor::sigmoid, v -> 1 / (1 + Math.exp(-v)), false);
        check("gelu", Tensor::gelu,
                v -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))), false);
        check("silu", Tensor::silu, v -> v / (1 + Math.exp(-v)), false);
    }

    private static void check(String name, Function<Tensor, Tensor> op, DoubleUnaryOperator ref, boolean positive) {
        // Values at least 0.1 from the kinks of abs/relu so h = 1e-2 never straddles one; positive for log/sqrt.
        float[] data = awayFromZero(name.hashCode(), 7);
        if (positive) {
            for (int i = 0; i < data.length; i++) {
                data[i] = Math.abs(data[i]) + 0.4f;
            }
        }
        Tensor x = TestBackend.param(data, 7);
        float[] got = op.apply(x).toArray();
        for (int i = 0; i < data.length; i++) {
            assertEquals(ref.applyAsDouble(data[i]), got[i], 2e-6 * (1 + Math.abs(got[i])), name + " at " + data[i]);
        }
        GradCheck.againstEngine(name, in -> op.apply(in[0]), x);
        Tensor m = TestBackend.param(data.clone(), 7);
        GradCheck.againstReference(name + " vs float64", in -> op.apply(in[0]), in -> {
            double[] y = new double[in[0].length];
            for (int i = 0; i < y.length; i++) {
                y[i] = ref.applyAsDouble(in[0][i]);
            }
            return y;
        }, 2e-6, 2e-3, 1e-4, m);
    }

    static float[] awayFromZero(long seed, int n) {
        float[] a = GradCheck.random(seed, n, 1.5);
        for (int i = 0; i < n; i++) {
            a[i] = a[i] < 0 ? a[i] - 0.1f : a[i] + 0.1f;
        }
        return a;
    }

    /** out[i] = f(a[bcast i], b[bcast i]) by explicit index arithmetic. */
    static float[] broadcastReference(float[] a, int[] as, float[] b, int[] bs, int[] out, DoubleBinaryOperator f) {
        int n = Shapes.numel(out);
        float[] r = new float[n];
        int[] idx = new int[out.length];
        for (int flat = 0; flat < n; flat++) {
            int rem = flat;
            for (int d = out.length - 1; d >= 0; d--) {
                idx[d] = rem % out[d];
                rem /= out[d];
            }
            r[flat] = (float) f.applyAsDouble(a[index(idx, as)], b[index(idx, bs)]);
        }
        return r;
    }

    private static int index(int[] outIdx, int[] shape) {
        int lead = outIdx.length - shape.length;
        int flat = 0;
        for (int d = 0; d < shape.length; d++) {
            flat = flat * shape[d] + (shape[d] == 1 ? 0 : outIdx[lead + d]);
        }
        return flat;
    }

    @Test
    void backendsMustMatch() {
        var other = new TestBackend.Counting();
        Tensor a = Tensor.zeros(CPU, 2);
        Tensor b = Tensor.zeros(other.kernels, 2);
        assertThrows(IllegalArgumentException.class, () -> a.add(b));
    }
}
