package dev.peft4j.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sampled {@code AᵀB} (a sparse delta's weight gradient) with vector lanes over indices, not rows: a
 * block of L consecutive indices keeps one accumulator vector and, for each r, loads the L elements of
 * B's row r at the block's columns and of A's row r at the block's output rows. Sorted indices make two
 * cheap cases common: a block inside one output row broadcasts a single A element, and a block of
 * consecutive columns loads B with a plain vector load; only the rest pays for gathers.
 *
 * <p>Blocks are split across threads and each index sums r in ascending order (a row chunk resumes the
 * running sum where the last one stopped), so results do not depend on the thread count or chunking and
 * follow the OpenCL kernel's order.
 */
public final class SampledGemm {

    private static final VectorSpecies<Float> S = UnaryMath.SPECIES;
    private static final int L = S.length();

    private final Parallel parallel;

    SampledGemm(Parallel parallel) {
        this.parallel = parallel;
    }

    /**
     * Checks the index list of a sampled GEMM: {@code idx[0, nnz)} ascends strictly inside {@code [0, limit)}.
     * Shared by both backends so they accept and reject the same inputs.
     */
    public static void checkIndices(String op, int[] idx, int nnz, long limit) {
        if (nnz < 0) {
            throw new IllegalArgumentException(op + ": nnz must be >= 0, got " + nnz);
        }
        if (idx == null || idx.length < nnz) {
            throw new IllegalArgumentException(op + ": need " + nnz + " indices, got "
                    + (idx == null ? "null" : idx.length));
        }
        for (int i = 0; i < nnz; i++) {
            if (idx[i] < 0 || idx[i] >= limit) {
                throw new IllegalArgumentException(op + ": idx[" + i + "] = " + idx[i] + " outside [0, " + limit + ")");
            }
            if (i > 0 && idx[i] <= idx[i - 1]) {
                throw new IllegalArgumentException(op + ": indices must ascend strictly, but idx[" + (i - 1) + "] = "
                        + idx[i - 1] + " and idx[" + i + "] = " + idx[i]);
            }
        }
    }

    /** Arguments were validated: idx ascends strictly inside [0, m·n) and every range fits its array. */
    void run(int rows, int n, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
             int[] idx, int nnz, float beta, float[] out, int outOff) {
        int blocks = (nnz + L - 1) / L;
        // Rows are walked in chunks whose slices of A and B stay in L2 across all blocks of a thread; without
        // that every r of every block misses cache (columns of row-major matrices): ~3x slower at full density.
        int chunk = (int) Math.max(8, Math.min(Math.max(rows, 1), CHUNK_FLOATS / ((long) lda + ldb)));
        parallel.forRange(blocks, 2L * L * Math.max(rows, 1), (b0, b1) -> {
            Blocks mine = new Blocks(idx, nnz, n, b0, b1);
            for (int r0 = 0; r0 < rows; r0 += chunk) {
                int r1 = Math.min(rows, r0 + chunk);
                for (int blk = 0; blk < b1 - b0; blk++) {
                    mine.accumulate(blk, r0, r1, a, aOff, lda, b, bOff, ldb);
                }
            }
            for (int blk = b0; blk < b1; blk++) {
                int i0 = blk * L;
                VectorMask<Float> mask = S.indexInRange(0, Math.min(L, nnz - i0));
                FloatVector result = FloatVector.fromArray(S, mine.acc, (blk - b0) * L).mul(alpha);
                if (beta != 0f) {
                    result = FloatVector.fromArray(S, out, outOff + i0, mask).fma(FloatVector.broadcast(S, beta), result);
                }
                result.intoArray(out, outOff + i0, mask);
            }
        });
    }

    /** Floats of A and B rows one chunk may span (256 KiB, about half an L2). */
    private static final long CHUNK_FLOATS = 1 << 16;

    /**
     * A thread's index blocks: per lane the output row and column, a block's load kind, and its running
     * sums. Tail lanes repeat the last index rather than rely on a mask: the JDK's gathers range-check
     * masked-off lanes too. Their sums are never stored to {@code out}.
     */
    private static final class Blocks {
        private static final byte GATHER_BOTH = 0;
        private static final byte ONE_ROW = 1;
        private static final byte ONE_ROW_CONSECUTIVE = 2;

        final int[] outRow;
        final int[] col;
        final byte[] kind;
        final float[] acc;

        Blocks(int[] idx, int nnz, int n, int b0, int b1) {
            int count = b1 - b0;
            outRow = new int[count * L];
            col = new int[count * L];
            kind = new byte[count];
            acc = new float[count * L];
            for (int blk = 0; blk < count; blk++) {
                int i0 = (b0 + blk) * L;
                int valid = Math.min(L, nnz - i0);
                for (int j = 0; j < L; j++) {
                    int flat = idx[i0 + Math.min(j, valid - 1)];
                    outRow[blk * L + j] = flat / n;
                    col[blk * L + j] = flat - outRow[blk * L + j] * n;
                }
                int first = blk * L;
                int last = first + L - 1;
                boolean oneRow = outRow[first] == outRow[last]; // sorted: first == last means all equal
                kind[blk] = !oneRow ? GATHER_BOTH
                        : valid == L && col[last] - col[first] == L - 1 ? ONE_ROW_CONSECUTIVE : ONE_ROW;
            }
        }

        /** Continues block {@code blk}'s sums over rows [r0, r1), in ascending r. */
        void accumulate(int blk, int r0, int r1, float[] a, int aOff, int lda, float[] b, int bOff, int ldb) {
            int base = blk * L;
            FloatVector sum = FloatVector.fromArray(S, acc, base);
            int ar = aOff + r0 * lda;
            int br = bOff + r0 * ldb;
            switch (kind[blk]) {
                case ONE_ROW_CONSECUTIVE -> {
                    ar += outRow[base];
                    br += col[base];
                    for (int r = r0; r < r1; r++, ar += lda, br += ldb) {
                        sum = FloatVector.fromArray(S, b, br).fma(FloatVector.broadcast(S, a[ar]), sum);
                    }
                }
                case ONE_ROW -> {
                    ar += outRow[base];
                    for (int r = r0; r < r1; r++, ar += lda, br += ldb) {
                        sum = FloatVector.fromArray(S, b, br, col, base).fma(FloatVector.broadcast(S, a[ar]), sum);
                    }
                }
                default -> {
                    for (int r = r0; r < r1; r++, ar += lda, br += ldb) {
                        sum = FloatVector.fromArray(S, b, br, col, base)
                                .fma(FloatVector.fromArray(S, a, ar, outRow, base), sum);
                    }
                }
            }
            sum.intoArray(acc, base);
        }
    }
}
