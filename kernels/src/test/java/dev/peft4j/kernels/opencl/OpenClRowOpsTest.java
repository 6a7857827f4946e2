package dev.peft4j.kernels.opencl;

import static dev.peft4j.kernels.opencl.BackendPair.compare;
import static dev.peft4j.kernels.opencl.BackendPair.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.Buffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Reductions, softmax family and cross-entropy, OpenCL vs CPU. Row sums of up to 257 terms in [-2, 2]
 * reassociate differently (tree vs vector lanes): error up to ~cols * 2^-24 * 2, so atol 1e-4 for the
 * sums; probabilities and log-probabilities agree to rtol 1e-5 (exp/log ulp budgets).
 */
class OpenClRowOpsTest {

    private static final int[] COLS = {1, 7, 33, 100, 257};

    @Test
    void rowReductionsAndTotals() {
        Random rnd = new Random(21);
        for (int cols : COLS) {
            int rows = 5;
            float[] x = random(rnd, rows * cols + 2);
            for (boolean acc : new boolean[]{false, true}) {
                compare("sumRows cols=" + cols, 1e-5, 1e-4, new float[][]{x, random(rnd, rows + 1)},
                        (k, b) -> k.sumRows(b[0], 2, rows, cols, b[1], 1, acc));
                compare("sum n=" + rows * cols, 1e-6, 1e-5, new float[][]{x, random(rnd, 2)},
                        (k, b) -> k.sum(b[0], 1, rows * cols, b[1], 1, acc));
            }
            compare("maxRows cols=" + cols, 0, 0, new float[][]{x, new float[rows]},
                    (k, b) -> k.maxRows(b[0], 2, rows, cols, b[0 + 1], 0));
        }
        OpenClKernels cl = OpenClTestBackend.get();
        float[] big = random(rnd, 100_003);
        double expected = 0;
        for (int i = 3; i < big.length; i++) expected += (double) big[i] * big[i];
        try (Buffer b = cl.upload(big, 0, big.length)) {
            // float64 accumulation of float32 squares: only the summation order differs
            assertEquals(expected, cl.sumOfSquares(b, 3, big.length - 3), expected * 1e-12);
        }
    }

    @Test
    void softmaxPlainScaledAndCausal() {
        Random rnd = new Random(22);
        for (int cols : COLS) {
            int rows = 6;
            float[] x = random(rnd, rows * cols, -4f, 4f);
            compare("softmax cols=" + cols, 1e-5, 1e-7, new float[][]{x, new float[rows * cols]},
                    (k, b) -> k.softmax(b[0], 0, b[1], 0, rows, cols, 0.125f, false, 1));
            compare("softmax in place cols=" + cols, 1e-5, 1e-7, new float[][]{x},
                    (k, b) -> k.softmax(b[0], 0, b[0], 0, rows, cols, 1f, false, 1));
            compare("logSoftmax cols=" + cols, 1e-5, 1e-5, new float[][]{x, new float[rows * cols]},
                    (k, b) -> k.logSoftmax(b[0], 0, b[1], 0, rows, cols));
        }
        // causal: 2 blocks of 3 query rows over 7 keys (a cached prefix of 4), and a square 5x5 mask
        float[] x = random(rnd, 6 * 7);
        float[][] out = compare("causal prefix", 1e-5, 1e-7, new float[][]{x, new float[42]},
                (k, b) -> k.softmax(b[0], 0, b[1], 0, 6, 7, 0.5f, true, 3));
        for (int r = 0; r < 6; r++) {
            for (int c = 0; c < 7; c++) {
                boolean visible = c <= r % 3 + 4;
                assertEquals(visible, out[1][r * 7 + c] > 0, "row " + r + " col " + c);
            }
        }
        compare("causal square", 1e-5, 1e-7, new float[][]{random(rnd, 25), new float[25]},
                (k, b) -> k.softmax(b[0], 0, b[1], 0, 5, 5, 1f, true, 5));
    }

    /** The CPU backend fuses the online softmax block; OpenCL runs the interface's composition of row ops. */
    @Test
    void onlineSoftmaxBlocksAgreeWithTheComposedRowOps() {
        Random rnd = new Random(24);
        for (int cols : COLS) {
            int rows = 5;
            float[] first = random(rnd, rows * cols, -4f, 4f);
            float[] second = random(rnd, rows * cols, -4f, 6f); // moves some rows' maximum
            compare("onlineSoftmaxBlock cols=" + cols, 1e-5, 1e-7,
                    new float[][]{first, second, new float[rows + 1], new float[rows + 1], new float[rows + 1]},
                    (k, b) -> {
                        k.onlineSoftmaxBlock(b[0], 0, rows, cols, b[2], b[3], b[4], 1, true);
                        k.onlineSoftmaxBlock(b[1], 0, rows, cols, b[2], b[3], b[4], 1, false);
                    });
        }
    }

    @Test
    void softmaxBackwardsAccumulate() {
        Random rnd = new Random(23);
        for (int cols : COLS) {
            int rows = 4;
            float[] y = new float[rows * cols];
            float[] ly = new float[rows * cols];
            float[] x = random(rnd, rows * cols);
            y = BackendPair.run(BackendPair.CPU, new float[][]{x, y}, (k, b) -> k.softmax(b[0], 0, b[1], 0, rows, cols, 1f, false, 1))[1];
            ly = BackendPair.run(BackendPair.CPU, new float[][]{x, ly}, (k, b) -> k.logSoftmax(b[0], 0, b[1], 0, rows, cols))[1];
            compare("softmaxBackward cols=" + cols, 1e-5, 1e-6, new float[][]{y, random(rnd, rows * cols), random(rnd, rows * cols)},
                    (k, b) -> k.softmaxBackward(b[0], 0, b[1], 0, b[2], 0, rows, cols, 0.5f));
            compare("logSoftmaxBackward cols=" + cols, 1e-5, 1e-5, new float[][]{ly, random(rnd, rows * cols), random(rnd, rows * cols)},
                    (k, b) -> k.logSoftmaxBackward(b[0], 0, b[1], 0, b[2], 0, rows, cols));
        }
    }

    @Test
    void crossEntropyForwardBackwardWithIgnoredRows() {
        Random rnd = new Random(24);
        for (int vocab : new int[]{1, 7, 33, 257, 1000}) {
            int rows = 9;
            int[] targets = new int[rows];
            for (int r = 0; r < rows; r++) targets[r] = r % 4 == 3 ? -100 : rnd.nextInt(vocab);
            float[] logits = random(rnd, rows * vocab + 1, -5f, 5f);
            float[][] fwd = compare("crossEntropy vocab=" + vocab, 1e-5, 1e-5,
                    new float[][]{logits, new float[rows], new float[rows]},
                    (k, b) -> k.crossEntropy(b[0], 1, targets, -100, rows, vocab, b[1], 0, b[2], 0));
            float[] lse = fwd[2];
            compare("crossEntropyBackward vocab=" + vocab, 1e-5, 1e-6,
                    new float[][]{logits, lse, {0f, 2f}, random(rnd, rows * vocab)},
                    (k, b) -> k.crossEntropyBackward(b[0], 1, b[1], 0, targets, -100, rows, vocab, b[2], 1, 1f / 7,
                            b[3], 0));
        }
        OpenClKernels cl = OpenClTestBackend.get();
        try (Buffer l = cl.allocate(14); Buffer out = cl.allocate(2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cl.crossEntropy(l, 0, new int[]{3, 7}, -100, 2, 7, out, 0, null, 0));
            assertTrue(e.getMessage().contains("targets[1] = 7"), e.getMessage());
        }
    }
}
