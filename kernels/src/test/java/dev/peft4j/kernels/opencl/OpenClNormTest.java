package dev.peft4j.kernels.opencl;

import static dev.peft4j.kernels.opencl.BackendPair.compare;
import static dev.peft4j.kernels.opencl.BackendPair.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * LayerNorm and RMSNorm, OpenCL vs CPU. Mean/variance reductions reassociate (rtol 1e-5); parameter
 * gradients sum rows*cols-scaled terms over 33 rows (atol 1e-4). dgamma/dbeta must also be bitwise
 * repeatable: the column reduction has a fixed order.
 */
class OpenClNormTest {

    private static final float EPS = 1e-5f;

    @Test
    void layerNormForwardAndBackward() {
        Random rnd = new Random(31);
        for (int cols : new int[]{1, 7, 33, 100, 257}) {
            int rows = 33;
            float[] x = random(rnd, rows * cols, -3f, 3f);
            float[] gamma = random(rnd, cols);
            float[] beta = random(rnd, cols);
            for (boolean affine : new boolean[]{true, false}) {
                float[][] fwd = compare("layerNorm cols=" + cols + " affine=" + affine, 1e-5, 1e-5,
                        new float[][]{x, gamma, beta, new float[rows * cols], new float[rows], new float[rows]},
                        (k, b) -> k.layerNorm(b[0], 0, affine ? b[1] : null, 0, affine ? b[2] : null, 0, b[3], 0,
                                b[4], 0, b[5], 0, rows, cols, EPS));
                float[] dy = random(rnd, rows * cols);
                float[][] in = {x, gamma, fwd[4], fwd[5], dy, random(rnd, rows * cols), random(rnd, cols), random(rnd, cols)};
                BackendPair.Op bwd = (k, b) -> k.layerNormBackward(b[0], 0, affine ? b[1] : null, 0, b[2], 0, b[3], 0,
                        b[4], 0, b[5], 0, b[6], 0, b[7], 0, rows, cols);
                float[][] first = compare("layerNormBackward cols=" + cols + " affine=" + affine, 1e-4, 1e-4, in, bwd);
                float[][] again = BackendPair.run(OpenClTestBackend.get(), in, bwd);
                assertArrayEquals(first[6], again[6], "dgamma must be deterministic");
                assertArrayEquals(first[7], again[7], "dbeta must be deterministic");
            }
            compare("layerNormBackward dx only", 1e-4, 1e-4,
                    new float[][]{x, gamma, new float[rows], new float[rows], random(rnd, rows * cols), new float[rows * cols]},
                    (k, b) -> {
                        k.layerNorm(b[0], 0, b[1], 0, null, 0, b[5], 0, b[2], 0, b[3], 0, rows, cols, EPS);
                        k.fill(b[5], 0, rows * cols, 0f);
                        k.layerNormBackward(b[0], 0, b[1], 0, b[2], 0, b[3], 0, b[4], 0, b[5], 0, null, 0, null, 0, rows, cols);
                    });
        }
    }

    @Test
    void rmsNormForwardAndBackward() {
        Random rnd = new Random(32);
        for (int cols : new int[]{1, 7, 33, 100, 257}) {
            int rows = 17;
            float[] x = random(rnd, rows * cols, -3f, 3f);
            float[] gamma = random(rnd, cols);
            float[][] fwd = compare("rmsNorm cols=" + cols, 1e-5, 1e-5,
                    new float[][]{x, gamma, new float[rows * cols], new float[rows]},
                    (k, b) -> k.rmsNorm(b[0], 0, b[1], 0, b[2], 0, b[3], 0, rows, cols, EPS));
            compare("rmsNormBackward cols=" + cols, 1e-4, 1e-4,
                    new float[][]{x, gamma, fwd[3], random(rnd, rows * cols), random(rnd, rows * cols), random(rnd, cols)},
                    (k, b) -> k.rmsNormBackward(b[0], 0, b[1], 0, b[2], 0, b[3], 0, b[4], 0, b[5], 0, rows, cols));
        }
    }
}
