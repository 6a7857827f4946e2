package dev.peft4j.kernels.opencl;

import static dev.peft4j.kernels.opencl.BackendPair.compare;
import static dev.peft4j.kernels.opencl.BackendPair.random;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.Buffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Embedding gather/scatter and optimizer steps, OpenCL vs CPU. Gather is a copy (exact). Scatter adds
 * repeated ids in ascending position order like a sequential loop (rtol 1e-6 leaves room for a CPU that
 * groups differently). Optimizer steps are a handful of float ops per element (rtol 1e-5 over 5 steps).
 */
class OpenClEmbeddingOptimizerTest {

    @Test
    void embeddingGatherAndScatterAdd() {
        Random rnd = new Random(41);
        int tableRows = 50;
        for (int dim : new int[]{1, 7, 33, 257}) {
            int n = 100;
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) ids[i] = rnd.nextInt(i % 3 == 0 ? 4 : tableRows); // many repeats
            float[] table = random(rnd, tableRows * dim + 2);
            compare("embedding dim=" + dim, 0, 0, new float[][]{table, new float[n * dim + 1]},
                    (k, b) -> k.embedding(b[0], 2, tableRows, dim, ids, b[1], 1));
            compare("embeddingBackward dim=" + dim, 1e-6, 1e-6,
                    new float[][]{random(rnd, n * dim + 3), random(rnd, tableRows * dim + 1)},
                    (k, b) -> k.embeddingBackward(b[0], 3, ids, dim, b[1], 1));
        }
        OpenClKernels cl = OpenClTestBackend.get();
        try (Buffer t = cl.allocate(20); Buffer o = cl.allocate(20)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cl.embedding(t, 0, 5, 4, new int[]{1, 5}, o, 0));
            assertTrue(e.getMessage().contains("ids[1] = 5"), e.getMessage());
        }
    }

    @Test
    void adamWAndSgdSteps() {
        Random rnd = new Random(42);
        for (int n : new int[]{1, 7, 33, 100, 257}) {
            float[][] state = {random(rnd, n), random(rnd, n), new float[n], new float[n]};
            compare("adamW n=" + n, 1e-5, 1e-6, state, (k, b) -> {
                for (int step = 1; step <= 5; step++) {
                    k.adamW(b[0], 0, b[1], 0, b[2], 0, b[3], 0, n, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
                }
            });
            for (boolean nesterov : new boolean[]{false, true}) {
                compare("sgd momentum n=" + n + " nesterov=" + nesterov, 1e-5, 1e-6,
                        new float[][]{random(rnd, n), random(rnd, n), new float[n]}, (k, b) -> {
                            for (int step = 0; step < 3; step++) {
                                k.sgd(b[0], 0, b[1], 0, b[2], 0, n, 0.1f, 0.9f, nesterov ? 0f : 0.1f, 1e-3f,
                                        nesterov, step == 0);
                            }
                        });
            }
            compare("sgd plain n=" + n, 1e-6, 1e-7, new float[][]{random(rnd, n), random(rnd, n)},
                    (k, b) -> k.sgd(b[0], 0, b[1], 0, null, 0, n, 0.1f, 0f, 0f, 0f, false, true));
        }
    }
}
