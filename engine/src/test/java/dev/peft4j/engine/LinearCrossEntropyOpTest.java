package dev.peft4j.engine;

import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The blocked LM-head loss against linear + crossEntropy: same loss, same dL/dx, over several row groups and
 * vocabulary blocks (ragged ones too), with logits large enough that the running max moves between blocks.
 */
class LinearCrossEntropyOpTest {

    private static final Kernels K = new CpuKernels();

    @Test
    void matchesLinearThenCrossEntropyWithDefaultBlocks() {
        assertMatchesReference(LinearCrossEntropyOp.ROW_GROUP + 37, 24, LinearCrossEntropyOp.VOCAB_BLOCK + 61, 1f,
                LinearCrossEntropyOp.ROW_GROUP, LinearCrossEntropyOp.VOCAB_BLOCK);
    }

    @Test
    void matchesLinearThenCrossEntropyAcrossManySmallBlocks() {
        assertMatchesReference(137, 24, 61, 1f, 50, 16);
    }

    @Test
    void largeLogitsRescaleTheRunningSumsExactly() {
        // Logits up to ~60: exp without the running max would overflow float; later blocks raise the max.
        assertMatchesReference(45, 16, 83, 12f, 20, 10);
    }

    @Test
    void scoresOnlyTheCountedRowsOfAFewShotBatch() {
        // Most rows ignored (a prompt's positions), the counted ones crossing row groups: the compacted pass
        // must put each gradient row back where it came from and leave the ignored rows' gradient zero.
        int rows = 90;
        int in = 16;
        int vocab = 53;
        Rng rng = new Rng(9);
        float[] xd = rng.uniform(rows * in, -2, 2);
        Tensor w = Tensor.of(K, rng.uniform(vocab * in, -0.5, 0.5), vocab, in);
        int[] targets = new int[rows];
        for (int i = 0; i < rows; i++) {
            targets[i] = i % 11 == 4 || i > 84 ? rng.nextInt(vocab) : Functional.IGNORE_INDEX;
        }
        Tensor x = Tensor.of(K, xd, rows, in).requiresGrad(true);
        Tensor loss = LinearCrossEntropyOp.linearCrossEntropy(x, w, targets, Functional.IGNORE_INDEX, 4, 16);
        loss.backward();
        Tensor xr = Tensor.of(K, xd, rows, in).requiresGrad(true);
        Tensor ref = Functional.crossEntropy(Functional.linear(xr, w, null), targets, Functional.IGNORE_INDEX);
        ref.backward();
        assertEquals(ref.item(), loss.item(), 2e-5f * Math.abs(ref.item()));
        float[] g = x.grad().toArray();
        assertArrayEquals(xr.grad().toArray(), g, 2e-6f);
        for (int c = 0; c < in; c++) {
            assertEquals(0f, g[3 * in + c], 0f, "an ignored row's gradient stays exactly zero");
        }
    }

    @Test
    void allRowsIgnoredGiveAZeroLossAndGradient() {
        Tensor x = Tensor.of(K, new float[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        Tensor w = Tensor.of(K, new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
        int[] none = {Functional.IGNORE_INDEX, Functional.IGNORE_INDEX};
        Tensor loss = Functional.linearCrossEntropy(x, w, none, Functional.IGNORE_INDEX);
        loss.backward();
        assertEquals(0f, loss.item(), 0f);
        assertArrayEquals(new float[4], x.grad().toArray(), 0f);
    }

    private static void assertMatchesReference(int rows, int in, int vocab, float spread, int rowGroup,
                                               int vocabBlock) {
        Rng rng = new Rng(5);
        float[] xd = rng.uniform(rows * in, -spread, spread);
        float[] wd = rng.uniform(vocab * in, -0.5, 0.5);
        for (int v = 0; v < vocab; v++) { // later vocabulary rows score higher: the max grows block by block
            for (int c = 0; c < in; c++) {
                wd[v * in + c] *= 1f + v / (float) vocab;
            }
        }
        int[] targets = new int[rows];
        for (int i = 0; i < rows; i++) {
            targets[i] = i % 7 == 3 ? Functional.IGNORE_INDEX : rng.nextInt(vocab);
        }
        Tensor w = Tensor.of(K, wd, vocab, in); // frozen

        Tensor x = Tensor.of(K, xd, rows, in).requiresGrad(true);
        Tensor loss = LinearCrossEntropyOp.linearCrossEntropy(x, w, targets, Functional.IGNORE_INDEX, rowGroup,
                vocabBlock);
        loss.mul(3f).backward();

        Tensor xr = Tensor.of(K, xd, rows, in).requiresGrad(true);
        Tensor ref = Functional.crossEntropy(Functional.linear(xr, w, null), targets, Functional.IGNORE_INDEX);
        ref.mul(3f).backward();

        assertEquals(ref.item(), loss.item(), 2e-5f * Math.max(1f, Math.abs(ref.item())));
        assertArrayEquals(xr.grad().toArray(), x.grad().toArray(), 2e-6f);
    }

    /** Loss and dL/dx of the fused op on {@code k}, for fixed random inputs spanning several blocks. */
    private static float[] lossAndGrad(Kernels k) {
        int rows = 137;
        int in = 16;
        int vocab = 45;
        Rng rng = new Rng(8);
        Tensor x = Tensor.of(k, rng.uniform(rows * in, -1, 1), rows, in).requiresGrad(true);
        Tensor w = Tensor.of(k, rng.uniform(vocab * in, -0.5, 0.5), vocab, in);
        int[] targets = new int[rows];
        for (int i = 0; i < rows; i++) {
            targets[i] = i % 5 == 0 ? Functional.IGNORE_INDEX : rng.nextInt(vocab);
        }
        Tensor loss = LinearCrossEntropyOp.linearCrossEntropy(x, w, targets, Functional.IGNORE_INDEX, 64, 16);
        loss.backward();
        float[] g = x.grad().toArray();
        float[] out = new float[g.length + 1];
        out[0] = loss.item();
        System.arraycopy(g, 0, out, 1, g.length);
        return out;
    }

    @Test
    void openClAgreesWithTheCpu() {
        Kernels cl = TestBackend.openClOrSkip();
        try {
            assertArrayEquals(lossAndGrad(K), lossAndGrad(cl), 1e-5f);
        } finally {
            cl.close();
        }
    }

    @Test
    void recordsNothingWithoutGradAndRefusesATrainedWeight() {
        Tensor x = Tensor.of(K, new float[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        Tensor w = Tensor.of(K, new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
        try (var ignored = Autograd.noGrad()) {
            Tensor loss = Functional.linearCrossEntropy(x, w, new int[] {0, 2}, -100);
            Tensor ref = Functional.crossEntropy(Functional.linear(x, w, null), new int[] {0, 2}, -100);
            assertEquals(ref.item(), loss.item(), 1e-6f);
            assertEquals(null, loss.op());
        }
        w.requiresGrad(true);
        assertThrows(IllegalArgumentException.class,
                () -> Functional.linearCrossEntropy(x, w, new int[] {0, 2}, -100));
    }
}
