package dev.peft4j.engine;

import dev.peft4j.kernels.Unary;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

import static dev.peft4j.engine.TestBackend.CPU;
import static dev.peft4j.engine.TestBackend.randomParam;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Linear with its activation, a low-rank (LoRA) update or an output scale and shift fused into the GEMM's
 * store: gradients against central differences, and forward and gradients equal to the unfused composition of
 * engine ops.
 */
class FusedLinearTest {

    @Test
    void activationMatchesLinearThenActivation() {
        GradCheck.againstEngine("linear + gelu fused", in -> Functional.linear(in[0], in[1], in[2], Unary.GELU_TANH),
                randomParam(1, 1, 2, 5, 7), randomParam(2, 1, 6, 7), randomParam(3, 1, 6));
        GradCheck.againstEngine("linear + silu fused, Wᵀ view", in -> Functional.linear(in[0], in[1].t(), null,
                Unary.SILU), randomParam(4, 1, 9, 3), randomParam(5, 1, 3, 4));
        assertSameAsUnfused(in -> Functional.linear(in[0], in[1].t(), in[2], Unary.GELU_TANH),
                in -> Functional.linear(in[0], in[1].t(), in[2]).gelu(),
                new int[][] {{3, 33, 40}, {40, 70}, {70}});
    }

    /** Under noGrad the activation goes in place (no pre-activation kept): same values as the recorded forward. */
    @Test
    void activationWithoutGradientEqualsTheRecordedForward() {
        Tensor x = randomParam(6, 1, 3, 33, 40);
        Tensor w = randomParam(7, 1, 70, 40);
        Tensor b = randomParam(8, 1, 70);
        Tensor recorded = Functional.linear(x, w, b, Unary.GELU_TANH);
        Tensor plain;
        try (var ignored = Autograd.noGrad()) {
            plain = Functional.linear(x, w, b, Unary.GELU_TANH);
        }
        assertEquals(null, plain.gradFn());
        assertArrayEquals(recorded.toArray(), plain.toArray(), 0f);
    }

    @Test
    void lowRankUpdateMatchesASecondLinear() {
        GradCheck.againstEngine("linear + u·Vᵀ fused", in -> Functional.linearLowRank(in[0], in[1], in[2], in[3], in[4]),
                randomParam(6, 1, 2, 3, 5), randomParam(7, 1, 4, 5), randomParam(8, 1, 4), randomParam(9, 1, 2, 3, 2),
                randomParam(10, 1, 4, 2));
        // LoRA's shape: u = s·(x Aᵀ) from the same x, V = lora_B; W given as a transposed [in, out] view.
        Function<Tensor[], Tensor> fused = in -> Functional.linearLowRank(in[0], in[1].t(), in[2],
                Functional.linear(in[0], in[3], null).mul(2f), in[4]);
        Function<Tensor[], Tensor> unfused = in -> Functional.linear(in[0], in[1].t(), in[2])
                .add(Functional.linear(Functional.linear(in[0], in[3], null).mul(2f), in[4], null));
        assertSameAsUnfused(fused, unfused, new int[][] {{2, 30, 300}, {300, 50}, {50}, {8, 300}, {50, 8}});
    }

    @Test
    void outputScaleAndShiftMatchMulThenAdd() {
        // The scale is frozen (an evaluation-time (IA)³ or SSF vector); x, W, b and the shift take gradients.
        Tensor scale = Tensor.of(CPU, GradCheck.random(30, 6, 1), 6);
        GradCheck.againstEngine("linear · scale + shift fused", in -> Functional.linearScaled(in[0], in[1], in[2],
                scale, in[3]), randomParam(11, 1, 2, 3, 5), randomParam(12, 1, 6, 5), randomParam(13, 1, 6),
                randomParam(14, 1, 6));
        Tensor wideScale = Tensor.of(CPU, GradCheck.random(31, 70, 1), 70);
        assertSameAsUnfused(in -> Functional.linearScaled(in[0], in[1].t(), in[2], wideScale, in[3]),
                in -> Functional.linear(in[0], in[1].t(), in[2]).mul(wideScale).add(in[3]),
                new int[][] {{3, 33, 40}, {40, 70}, {70}, {70}});
        var e = assertThrows(IllegalArgumentException.class, () -> Functional.linearScaled(
                Tensor.zeros(CPU, 2, 3), Tensor.zeros(CPU, 4, 3), null, Tensor.zeros(CPU, 4).requiresGrad(true), null));
        assertEquals("linear: a fused output scale [4] cannot take a gradient (the pre-scale output is never held);"
                + " use linear(...).mul(scale)", e.getMessage());
    }

    @Test
    void lowRankShapeErrorsNameTheOperands() {
        Tensor x = Tensor.zeros(CPU, 2, 3);
        Tensor w = Tensor.zeros(CPU, 4, 3);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Functional.linearLowRank(x, w, null, Tensor.zeros(CPU, 2, 2), Tensor.zeros(CPU, 5, 2)));
        assertEquals("linear: low-rank update needs u [..., r] with x's leading shape and v [4, r], got x [2, 3],"
                + " u [2, 2], v [5, 2]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Functional.linearLowRank(x, w, null, Tensor.zeros(CPU, 2, 2), null));
        assertEquals("linear: a low-rank update needs both u and v, got u only", e.getMessage());
    }

    /** Forward and every input gradient of {@code fused} equal those of {@code unfused} on random inputs. */
    private static void assertSameAsUnfused(Function<Tensor[], Tensor> fused, Function<Tensor[], Tensor> unfused,
                                            int[][] shapes) {
        float[][] fusedResults = run(fused, shapes);
        float[][] unfusedResults = run(unfused, shapes);
        for (int i = 0; i < fusedResults.length; i++) {
            float tol = 1e-5f * (1f + max(unfusedResults[i]));
            assertArrayEquals(unfusedResults[i], fusedResults[i], tol, i == 0 ? "forward" : "gradient of input " + (i - 1));
        }
    }

    private static float[][] run(Function<Tensor[], Tensor> f, int[][] shapes) {
        Tensor[] in = new Tensor[shapes.length];
        for (int i = 0; i < shapes.length; i++) {
            in[i] = randomParam(20 + i, 1, shapes[i]);
        }
        Tensor out = f.apply(in);
        Tensor weights = Tensor.of(CPU, GradCheck.random(99, out.numel(), 1), out.shape());
        out.mul(weights).sum().backward();
        float[][] results = new float[shapes.length + 1][];
        results[0] = out.toArray();
        for (int i = 0; i < shapes.length; i++) {
            results[i + 1] = in[i].grad().toArray();
        }
        return results;
    }

    private static float max(float[] a) {
        float m = 0f;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
