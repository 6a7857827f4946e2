package dev.peft4j.kernels.cpu;

import java.util.Random;

/**
 * One random sampled-GEMM problem, dW = dYᵀ·X at sorted indices, and its float64 reference: the dense
 * gradient computed in double and gathered at the indices. Shared by the CPU and OpenCL tests.
 */
public record SampledGemmFixture(int rows, int out, int in, int lda, int ldb, int aOff, int bOff,
                                 float[] a, float[] b, int[] idx) {

    /**
     * dY [rows, out] and X [rows, in] stored with padded row strides and leading offsets (so views work),
     * and {@code round(density · out · in)} distinct sorted indices (at least one).
     */
    public static SampledGemmFixture random(Random rnd, int rows, int out, int in, double density) {
        int lda = out + rnd.nextInt(3);
        int ldb = in + rnd.nextInt(3);
        int aOff = rnd.nextInt(4);
        int bOff = rnd.nextInt(4);
        float[] a = uniform(rnd, aOff + rows * lda);
        float[] b = uniform(rnd, bOff + rows * ldb);
        return new SampledGemmFixture(rows, out, in, lda, ldb, aOff, bOff, a, b, sortedIndices(rnd, out * in, density));
    }

    /** Distinct ascending indices in [0, total), each kept with probability {@code density} (never empty). */
    public static int[] sortedIndices(Random rnd, int total, double density) {
        int[] picked = new int[total];
        int nnz = 0;
        for (int i = 0; i < total; i++) {
            if (rnd.nextDouble() < density) {
                picked[nnz++] = i;
            }
        }
        if (nnz == 0) {
            picked[nnz++] = rnd.nextInt(total);
        }
        return java.util.Arrays.copyOf(picked, nnz);
    }

    /** {@code sum_r dY[r, o] * X[r, c]} in double at every index. */
    public double[] reference() {
        double[] ref = new double[idx.length];
        for (int i = 0; i < idx.length; i++) {
            int o = idx[i] / in;
            int c = idx[i] % in;
            double s = 0;
            for (int r = 0; r < rows; r++) {
                s += (double) a[aOff + r * lda + o] * b[bOff + r * ldb + c];
            }
            ref[i] = s;
        }
        return ref;
    }

    /** {@code sum_r |dY[r, o] * X[r, c]|}: the scale float32 rounding error grows with. */
    public double[] magnitude() {
        double[] mag = new double[idx.length];
        for (int i = 0; i < idx.length; i++) {
            int o = idx[i] / in;
            int c = idx[i] % in;
            for (int r = 0; r < rows; r++) {
                mag[i] += Math.abs((double) a[aOff + r * lda + o] * b[bOff + r * ldb + c]);
            }
        }
        return mag;
    }

    private static float[] uniform(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextFloat() * 2 - 1;
        }
        return x;
    }
}
