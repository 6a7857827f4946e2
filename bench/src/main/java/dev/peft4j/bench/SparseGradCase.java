package dev.peft4j.bench;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;
import java.util.Random;

/**
 * The weight gradient of a sparse delta on one Linear ({@code dW = dYᵀ·X}, dY [rows, out], X [rows, in}) two
 * ways on the same backend and inputs: {@link #sampled()} computes only the nnz selected entries
 * ({@link Kernels#sampledGemm}, what {@code SparseDeltaOp} runs, cost ∝ nnz·rows), {@link #dense()} the whole
 * out×in product with the register-tiled GEMM (cost ∝ out·in·rows), which a dense path would then still have to
 * gather from. The selected entries are uniformly random (SAFT / random-mask selectors), sorted as the op
 * requires.
 */
final class SparseGradCase implements AutoCloseable {

    final int rows;
    final int in;
    final int out;
    final int nnz;
    private final Kernels kx;
    private final int[] idx;
    private final Buffer dy;
    private final Buffer x;
    private final Buffer denseGrad;
    private final Buffer sparseGrad;

    SparseGradCase(Kernels kx, int rows, int in, int out, double density, long seed) {
        if (!(density > 0 && density <= 1)) {
            throw new IllegalArgumentException("sparse: density must be in (0, 1], got " + density);
        }
        this.kx = kx;
        this.rows = rows;
        this.in = in;
        this.out = out;
        Random rnd = new Random(seed);
        this.idx = sortedSample(rnd, (long) out * in, Math.max(1, (int) Math.round(density * out * in)));
        this.nnz = idx.length;
        this.dy = random(rnd, rows * out);
        this.x = random(rnd, rows * in);
        this.denseGrad = kx.allocate(out * in);
        this.sparseGrad = kx.allocate(nnz);
    }

    /** nnz distinct flat indices of [0, size), ascending: a selection sample (Knuth's algorithm S). */
    static int[] sortedSample(Random rnd, long size, int nnz) {
        int[] picked = new int[nnz];
        int count = 0;
        for (long i = 0; i < size && count < nnz; i++) {
            if ((size - i) * rnd.nextDouble() < nnz - count) {
                picked[count++] = (int) i;
            }
        }
        return picked;
    }

    double density() {
        return nnz / ((double) out * in);
    }

    /** The selected entries of dYᵀ·X only. */
    void sampled() {
        kx.sampledGemm(rows, out, in, 1f, dy, 0, out, x, 0, in, idx, nnz, 0f, sparseGrad, 0);
    }

    /** The dense dYᵀ·X (out × in). */
    void dense() {
        kx.gemm(true, false, out, in, rows, 1f, dy, 0, out, x, 0, in, 0f, denseGrad, 0, in);
    }

    /** Largest |sampled − dense| over the selected entries, after running both. */
    double maxDifference() {
        sampled();
        dense();
        float[] d = new float[out * in];
        float[] s = new float[nnz];
        kx.read(denseGrad, 0, d, 0, d.length);
        kx.read(sparseGrad, 0, s, 0, nnz);
        double worst = 0;
        for (int i = 0; i < nnz; i++) {
            worst = Math.max(worst, Math.abs(s[i] - d[idx[i]]));
        }
        return worst;
    }

    private Buffer random(Random rnd, int n) {
        float[] host = new float[n];
        for (int i = 0; i < n; i++) {
            host[i] = (float) rnd.nextGaussian();
        }
        return kx.upload(host, 0, n);
    }

    @Override
    public void close() {
        dy.close();
        x.close();
        denseGrad.close();
        sparseGrad.close();
    }
}
