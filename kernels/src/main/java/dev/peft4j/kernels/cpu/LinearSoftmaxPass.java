package dev.peft4j.kernels.cpu;

/**
 * {@link dev.peft4j.kernels.Kernels#linearSoftmaxPass} on the CPU: the vocabulary is cut into one contiguous
 * part per thread, each thread walks its part in blocks with its own online-softmax state (row max, sum and
 * {@code Σ exp(l - m)·W[v]}) and serial GEMMs, and the parts' states are merged in part order at the end, as
 * split-K flash decoding merges its splits.
 *
 * <p>Why not the backend's parallel GEMM per block: that GEMM splits each block's product between the threads,
 * so each thread packed the block's shared operand (x for the logits, the weight block for the gradient sum),
 * and every block cost four fork/joins (two GEMMs, the softmax, the rescale), each waiting for the slower
 * thread. Here each weight block is packed by one thread, and the pass forks once.
 *
 * <p>The rounding depends on the number of parts (the merge adds partial sums), so results are deterministic
 * for a given thread count but not bitwise equal across thread counts.
 */
final class LinearSoftmaxPass {

    private final Parallel parallel;
    private final CpuArrayPool arrays;

    LinearSoftmaxPass(Parallel parallel, CpuArrayPool arrays) {
        this.parallel = parallel;
        this.arrays = arrays;
    }

    /** One part's running state; part 0's is the caller's output. */
    private record State(float[] max, float[] sum, float[] acc, float[] rescale, float[] logits) {
    }

    /**
     * Rows of x [rows, in] at xOff against W [vocab, in] at wOff (float32 {@code w} or, when that is null, bf16
     * {@code wBf16}); writes max, sum and (unless null) acc at offset 0.
     */
    void run(float[] x, int xOff, int rows, int in, float[] w, short[] wBf16, int wOff, int vocab, int block,
             float[] max, float[] sum, float[] acc) {
        int blocks = (vocab + block - 1) / block;
        long work = 2L * rows * in * vocab; // multiply-adds of the logits and the gradient sum
        int most = Math.min(blocks, parallel.threads()); // every part gets at least one block
        int parts = parallel.chunks(most, work / most);
        State[] states = new State[parts];
        states[0] = new State(max, sum, acc, new float[rows], arrays.take(rows * Math.min(block, vocab)));
        for (int p = 1; p < parts; p++) {
            states[p] = new State(new float[rows], new float[rows], acc == null ? null : arrays.take(rows * in),
                    new float[rows], arrays.take(rows * Math.min(block, vocab)));
        }
        try {
            parallel.forRange(parts, work / parts, (from, to) -> {
                for (int p = from; p < to; p++) {
                    part(x, xOff, rows, in, w, wBf16, wOff, bound(vocab, parts, p), bound(vocab, parts, p + 1), block,
                            states[p]);
                }
            });
            if (parts > 1) {
                parallel.forRange(rows, (long) parts * in, (from, to) -> merge(states, from, to, in));
            }
        } finally {
            arrays.give(states[0].logits);
            for (int p = 1; p < parts; p++) {
                arrays.give(states[p].logits);
                if (states[p].acc != null) {
                    arrays.give(states[p].acc);
                }
            }
        }
    }

    /** Vocabulary entries [v0, v1) into {@code st}, block by block, on the calling thread. */
    private static void part(float[] x, int xOff, int rows, int in, float[] w, short[] wBf16, int wOff, int v0,
                             int v1, int block, State st) {
        CpuGemm gemm = CpuGemm.serial();
        for (int b0 = v0; b0 < v1; b0 += block) {
            int vb = Math.min(block, v1 - b0);
            boolean first = b0 == v0;
            int wBlock = wOff + b0 * in;
            gemm.gemm(false, true, rows, vb, in, 1f, x, xOff, in, w, wBf16, wBlock, in, 0f, st.logits, 0, vb, null);
            SoftmaxKernels.onlineSoftmaxRows(st.logits, 0, 0, rows, vb, st.max, st.sum, st.rescale, 0, first);
            if (st.acc == null) {
                continue;
            }
            if (!first) {
                scaleRows(st.acc, rows, in, st.rescale);
            }
            gemm.gemm(false, false, rows, in, vb, 1f, st.logits, 0, vb, w, wBf16, wBlock, in, first ? 0f : 1f,
                    st.acc, 0, in, null);
        }
    }

    /** acc[r, :] *= factor[r]. */
    private static void scaleRows(float[] acc, int rows, int in, float[] factor) {
        for (int r = 0; r < rows; r++) {
            FlashAttentionMath.scale(acc, r * in, in, factor[r]);
        }
    }

    /** Rows [from, to) of every later part's state folded into part 0's, in part order. */
    private static void merge(State[] states, int from, int to, int in) {
        State out = states[0];
        for (int p = 1; p < states.length; p++) {
            State st = states[p];
            for (int r = from; r < to; r++) {
                float m = Math.max(out.max[r], st.max[r]);
                float keep = (float) Math.exp(out.max[r] - m);
                float add = (float) Math.exp(st.max[r] - m);
                out.sum[r] = out.sum[r] * keep + st.sum[r] * add;
                out.max[r] = m;
                if (out.acc != null) {
                    FlashAttentionMath.scale(out.acc, r * in, in, keep);
                    Elementwise.axpyRange(add, st.acc, r * in, out.acc, r * in, in);
                }
            }
        }
    }

    private static int bound(int n, int parts, int p) {
        return (int) ((long) n * p / parts);
    }
}
