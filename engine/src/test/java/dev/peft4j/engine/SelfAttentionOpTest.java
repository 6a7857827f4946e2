package dev.peft4j.engine;

import dev.peft4j.kernels.Kernels;
import org.junit.jupiter.api.Test;

import static dev.peft4j.engine.TestBackend.CPU;
import static dev.peft4j.engine.TestBackend.randomParam;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Causal self-attention on a fused qkv, read and written in place: central differences, and the same values
 * and gradient as splitting the heads, {@code scaledDotProductAttention} and merging them back.
 */
class SelfAttentionOpTest {

    @Test
    void gradientMatchesCentralDifferences() {
        GradCheck.againstEngine("causalSelfAttention", in -> Functional.causalSelfAttention(in[0], 2),
                randomParam(1, 1, 2, 5, 3 * 2 * 3));
    }

    @Test
    void equalsSplitAttendMerge() {
        assertArrayEquals(splitAttendMerge(CPU), inPlace(CPU), 1e-6f);
    }

    @Test
    void openClAgreesWithTheCpu() {
        Kernels cl = TestBackend.openClOrSkip();
        try {
            assertArrayEquals(inPlace(CPU), inPlace(cl), 1e-5f);
            assertArrayEquals(splitAttendMerge(cl), inPlace(cl), 1e-5f);
        } finally {
            cl.close();
        }
    }

    @Test
    void shapeErrorsNameTheTensor() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Functional.causalSelfAttention(Tensor.zeros(CPU, 2, 3, 10), 2));
        assertEquals("causalSelfAttention: qkv must be [batch, seq, 3·C] with C a multiple of heads 2, got [2, 3, 10]",
                e.getMessage());
    }

    private static final int B = 2;
    private static final int T = 19;
    private static final int H = 3;
    private static final int D = 8;
    private static final int C = H * D;

    /** Output then qkv's gradient for a weighted sum of the output, by the in-place op. */
    private static float[] inPlace(Kernels k) {
        Tensor qkv = qkv(k);
        return outputAndGrad(qkv, Functional.causalSelfAttention(qkv, H));
    }

    /** The same through copies: [B, T, 3, H, D] -> [3, B, H, T, D], attention, [B, H, T, D] -> [B, T, C]. */
    private static float[] splitAttendMerge(Kernels k) {
        Tensor qkv = qkv(k);
        Tensor split = qkv.reshape(B, T, 3, H, D).permute(2, 0, 3, 1, 4).contiguous();
        Tensor q = split.slice(0, 0, 1).reshape(B, H, T, D);
        Tensor kk = split.slice(0, 1, 2).reshape(B, H, T, D);
        Tensor v = split.slice(0, 2, 3).reshape(B, H, T, D);
        Tensor y = Functional.scaledDotProductAttention(q, kk, v, true).permute(0, 2, 1, 3).reshape(B, T, C);
        return outputAndGrad(qkv, y);
    }

    private static Tensor qkv(Kernels k) {
        return Tensor.of(k, GradCheck.random(7, B * T * 3 * C, 1), B, T, 3 * C).requiresGrad(true);
    }

    private static float[] outputAndGrad(Tensor qkv, Tensor y) {
        Tensor w = Tensor.of(qkv.kernels(), GradCheck.random(8, y.numel(), 1), y.shape());
        y.mul(w).sum().backward();
        float[] out = y.toArray();
        float[] g = qkv.grad().toArray();
        float[] both = new float[out.length + g.length];
        System.arraycopy(out, 0, both, 0, out.length);
        System.arraycopy(g, 0, both, out.length, g.length);
        return both;
    }
}
