package dev.peft4j.kernels.opencl;

import static dev.peft4j.kernels.opencl.BackendPair.compare;
import static dev.peft4j.kernels.opencl.BackendPair.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.peft4j.kernels.Kernels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fused attention, OpenCL vs CPU: out, lse and the accumulated dq, dk, dv over head sizes around the
 * tile widths and lengths with tails, cached prefixes (tk &gt; tq) and fewer keys than queries. Both
 * sides sum up to 130 products of values in [-1, 1] in different orders: rtol 1e-4, atol 2e-5.
 */
class OpenClAttentionTest {

    private static final int[] HEAD_DIMS = {8, 17, 64};
    private static final int[][] LENGTHS = {{1, 1}, {7, 7}, {33, 33}, {130, 130}, {7, 40}, {33, 70}};

    @Test
    void forwardAndBackwardMatchTheCpu() {
        Random rnd = new Random(51);
        for (int d : HEAD_DIMS) {
            for (int[] t : LENGTHS) {
                for (boolean causal : new boolean[]{false, true}) {
                    check(rnd, 2, t[0], t[1], d, d, causal);
                }
            }
        }
        check(rnd, 3, 9, 70, 17, 8, true);
        check(rnd, 2, 40, 5, 8, 33, false);
    }

    private static void check(Random rnd, int bh, int tq, int tk, int d, int dv, boolean causal) {
        float scale = (float) (1.5 / Math.sqrt(d));
        float[][] data = {random(rnd, bh * tq * d, -1f, 1f), random(rnd, bh * tk * d, -1f, 1f),
            random(rnd, bh * tk * dv, -1f, 1f), new float[bh * tq * dv], new float[bh * tq],
            random(rnd, bh * tq * dv, -1f, 1f), random(rnd, bh * tq * d, -1f, 1f), random(rnd, bh * tk * d, -1f, 1f),
            random(rnd, bh * tk * dv, -1f, 1f)};
        compare("attention bh " + bh + " tq " + tq + " tk " + tk + " d " + d + " dv " + dv + (causal ? " causal" : ""),
                1e-4, 2e-5, data, (k, b) -> {
                    k.attention(b[0], 0, b[1], 0, b[2], 0, bh, tq, tk, d, dv, scale, causal, b[3], 0, b[4], 0);
                    k.attentionBackward(b[0], 0, b[1], 0, b[2], 0, b[3], 0, b[4], 0, b[5], 0, bh, tq, tk, d, dv, scale,
                            causal, b[6], 0, b[7], 0, b[8], 0);
                });
    }

    @Test
    void offsetsAndSkippedGradients() {
        Random rnd = new Random(52);
        int bh = 2, tq = 5, tk = 9, d = 17;
        float[][] data = {random(rnd, 3 + bh * tq * d), random(rnd, 1 + bh * tk * d), random(rnd, 2 + bh * tk * d),
            new float[4 + bh * tq * d], new float[5 + bh * tq], random(rnd, 6 + bh * tq * d),
            random(rnd, 7 + bh * tk * d)};
        compare("attention with offsets, dk only", 1e-4, 2e-5, data, (k, b) -> {
            k.attention(b[0], 3, b[1], 1, b[2], 2, bh, tq, tk, d, d, 0.3f, true, b[3], 4, b[4], 5);
            k.attentionBackward(b[0], 3, b[1], 1, b[2], 2, b[3], 4, b[4], 5, b[5], 6, bh, tq, tk, d, d, 0.3f, true,
                    null, 0, b[6], 7, null, 0);
        });
    }

    @Test
    void sameBitsOnEveryRunAndTheCpuChecks() {
        Random rnd = new Random(53);
        int bh = 2, tq = 33, tk = 40, d = 8;
        float[][] data = {random(rnd, bh * tq * d), random(rnd, bh * tk * d), random(rnd, bh * tk * d),
            new float[bh * tq * d], new float[bh * tq], random(rnd, bh * tq * d), new float[bh * tq * d],
            new float[bh * tk * d], new float[bh * tk * d]};
        BackendPair.Op op = (k, b) -> {
            k.attention(b[0], 0, b[1], 0, b[2], 0, bh, tq, tk, d, d, 0.5f, true, b[3], 0, b[4], 0);
            k.attentionBackward(b[0], 0, b[1], 0, b[2], 0, b[3], 0, b[4], 0, b[5], 0, bh, tq, tk, d, d, 0.5f, true,
                    b[6], 0, b[7], 0, b[8], 0);
        };
        Kernels cl = OpenClTestBackend.get();
        float[][] first = BackendPair.run(cl, data, op);
        float[][] second = BackendPair.run(cl, data, op);
        for (int i = 0; i < first.length; i++) assertArrayEquals(first[i], second[i], "operand " + i);
        assertThrows(IllegalArgumentException.class, () -> BackendPair.run(cl, data,
                (k, b) -> k.attention(b[0], 0, b[1], 0, b[2], 0, bh, tk, tq, d, d, 0.5f, true, b[3], 0, b[4], 0)));
        assertThrows(IllegalArgumentException.class, () -> BackendPair.run(cl, data,
                (k, b) -> k.attention(b[0], 1, b[1], 0, b[2], 0, bh, tq, tk, d, d, 0.5f, true, b[3], 0, b[4], 0)));
    }
}
