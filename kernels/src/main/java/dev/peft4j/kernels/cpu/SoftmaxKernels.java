package dev.peft4j.kernels.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax, log-softmax and fused softmax cross-entropy, forward and backward. Threads split rows; every
 * exponent is taken after subtracting the row maximum, so no input overflows exp.
 */
final class SoftmaxKernels {

    private static final VectorSpecies<Float> S = UnaryMath.SPECIES;
    /** exp per element dominates: weigh it when deciding to fork. */
    private static final int EXP_COST = 8;

    private final Parallel parallel;

    SoftmaxKernels(Parallel parallel) {
        this.parallel = parallel;
    }

    void softmax(float[] x, int xOff, float[] y, int yOff, int rows, int cols, float scale,
                 boolean causal, int rowsPerBlock) {
        int prefix = cols - rowsPerBlock; // cached positions every query of a block may see
        parallel.forRange(rows, (long) cols * EXP_COST, (from, to) -> {
            for (int r = from; r < to; r++) {
                int visible = causal ? Math.min(cols, r % rowsPerBlock + prefix + 1) : cols;
                int xi = xOff + r * cols;
                int yi = yOff + r * cols;
                softmaxRow(x, xi, y, yi, visible, scale);
                Arrays.fill(y, yi + visible, yi + cols, 0f);
            }
        });
    }

    /**
     * {@link dev.peft4j.kernels.Kernels#onlineSoftmaxBlock}, one row at a time: the row's maximum, then
     * exp(x - m) written back and summed while the row is still in L1 (one pass over the block from memory
     * where the composed form makes four).
     */
    void onlineSoftmaxBlock(float[] x, int xOff, int rows, int cols, float[] max, float[] sum, float[] rescale,
                            int stateOff, boolean first) {
        parallel.forRange(rows, (long) cols * EXP_COST,
                (from, to) -> onlineSoftmaxRows(x, xOff, from, to, cols, max, sum, rescale, stateOff, first));
    }

    /** Rows [from, to) of {@link #onlineSoftmaxBlock}, on the calling thread. */
    static void onlineSoftmaxRows(float[] x, int xOff, int from, int to, int cols, float[] max, float[] sum,
                                  float[] rescale, int stateOff, boolean first) {
        for (int r = from; r < to; r++) {
            int xi = xOff + r * cols;
            int si = stateOff + r;
            float blockMax = Reductions.rowMax(x, xi, cols);
            float m = first ? blockMax : Math.max(max[si], blockMax);
            float blockSum = expShiftedInto(x, xi, 1f, m, x, xi, cols);
            if (first) {
                sum[si] = blockSum;
            } else {
                float factor = (float) Math.exp(max[si] - m);
                rescale[si] = factor;
                sum[si] = sum[si] * factor + blockSum;
            }
            max[si] = m;
        }
    }

    /** y = exp(scale*x - max) / sum over n columns. */
    private static void softmaxRow(float[] x, int xi, float[] y, int yi, int n, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += S.length()) {
            vmax = vmax.max(FloatVector.fromArray(S, x, xi + i).mul(scale));
        }
        max = vmax.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, scale * x[xi + i]);
        }
        float sum = expShiftedInto(x, xi, scale, max, y, yi, n);
        float inv = 1f / sum;
        i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, y, yi + i).mul(inv).intoArray(y, yi + i);
        }
        for (; i < n; i++) {
            y[yi + i] *= inv;
        }
    }

    /** y[i] = exp(scale * x[i] - shift); returns the float sum of the written values. */
    private static float expShiftedInto(float[] x, int xi, float scale, float shift, float[] y, int yi, int n) {
        FloatVector vsum = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, xi + i).mul(scale).sub(shift));
            e.intoArray(y, yi + i);
            vsum = vsum.add(e);
        }
        float sum = LaneSums.sum(vsum);
        for (; i < n; i++) {
            float e = (float) Math.exp(scale * x[xi + i] - shift);
            y[yi + i] = e;
            sum += e;
        }
        return sum;
    }

    /** sum over n columns of exp(x - shift), without storing the exponentials. */
    private static float expShiftedSum(float[] x, int xi, float shift, int n) {
        FloatVector vsum = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            vsum = vsum.add(VectorMath.exp(FloatVector.fromArray(S, x, xi + i).sub(shift)));
        }
        float sum = LaneSums.sum(vsum);
        for (; i < n; i++) {
            sum += (float) Math.exp(x[xi + i] - shift);
        }
        return sum;
    }

    /** log(sum(exp(x))) of one row, stable. */
    static float logSumExp(float[] x, int xi, int n) {
        float max = Reductions.rowMax(x, xi, n);
        if (max == Float.NEGATIVE_INFINITY) {
            return max; // all -inf (or empty): avoid -inf - -inf = NaN
        }
        return max + (float) Math.log(expShiftedSum(x, xi, max, n));
    }

    void softmaxBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int rows, int cols, float scale) {
        parallel.forRange(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int yi = yOff + r * cols;
                int gi = dyOff + r * cols;
                int xi = dxOff + r * cols;
                float dot = dot(dy, gi, y, yi, cols);
                // dx += scale * y * (dy - dot)
                int i = 0;
                for (int bound = S.loopBound(cols); i < bound; i += S.length()) {
                    FloatVector vy = FloatVector.fromArray(S, y, yi + i).mul(scale);
                    FloatVector g = FloatVector.fromArray(S, dy, gi + i).sub(dot);
                    vy.fma(g, FloatVector.fromArray(S, dx, xi + i)).intoArray(dx, xi + i);
                }
                for (; i < cols; i++) {
                    dx[xi + i] += scale * y[yi + i] * (dy[gi + i] - dot);
                }
            }
        });
    }

    void logSoftmax(float[] x, int xOff, float[] y, int yOff, int rows, int cols) {
        parallel.forRange(rows, (long) cols * EXP_COST, (from, to) -> {
            for (int r = from; r < to; r++) {
                int xi = xOff + r * cols;
                int yi = yOff + r * cols;
                float lse = logSumExp(x, xi, cols);
                int i = 0;
                for (int bound = S.loopBound(cols); i < bound; i += S.length()) {
                    FloatVector.fromArray(S, x, xi + i).sub(lse).intoArray(y, yi + i);
                }
                for (; i < cols; i++) {
                    y[yi + i] = x[xi + i] - lse;
                }
            }
        });
    }

    void logSoftmaxBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int rows, int cols) {
        parallel.forRange(rows, (long) cols * EXP_COST, (from, to) -> {
            for (int r = from; r < to; r++) {
                int yi = yOff + r * cols;
                int gi = dyOff + r * cols;
                int xi = dxOff + r * cols;
                float sum = Reductions.rowSum(dy, gi, cols);
                // dx += dy - exp(y) * sum
                int i = 0;
                for (int bound = S.loopBound(cols); i < bound; i += S.length()) {
                    FloatVector p = VectorMath.exp(FloatVector.fromArray(S, y, yi + i));
                    FloatVector g = FloatVector.fromArray(S, dy, gi + i);
                    p.mul(-sum).add(g).add(FloatVector.fromArray(S, dx, xi + i)).intoArray(dx, xi + i);
                }
                for (; i < cols; i++) {
                    dx[xi + i] += dy[gi + i] - (float) Math.exp(y[yi + i]) * sum;
                }
            }
        });
    }

    /** Targets were validated. lse is written for every row, ignored ones included. */
    void crossEntropy(float[] logits, int logitsOff, int[] targets, int ignoreIndex, int rows, int vocab,
                      float[] losses, int lossesOff, float[] lse, int lseOff) {
        parallel.forRange(rows, (long) vocab * EXP_COST, (from, to) -> {
            for (int r = from; r < to; r++) {
                int li = logitsOff + r * vocab;
                float rowLse = logSumExp(logits, li, vocab);
                if (lse != null) {
                    lse[lseOff + r] = rowLse;
                }
                int t = targets[r];
                losses[lossesOff + r] = t == ignoreIndex ? 0f : rowLse - logits[li + t];
            }
        });
    }

    /** dlogits += g * (exp(logits - lse) - onehot(t)) with g = dLoss * scale, for rows not ignored. */
    void crossEntropyBackward(float[] logits, int logitsOff, float[] lse, int lseOff, int[] targets, int ignoreIndex,
                              int rows, int vocab, float g, float[] dlogits, int dOff) {
        FloatVector vg = FloatVector.broadcast(S, g);
        parallel.forRange(rows, (long) vocab * EXP_COST, (from, to) -> {
            for (int r = from; r < to; r++) {
                int t = targets[r];
                if (t == ignoreIndex) {
                    continue;
                }
                int li = logitsOff + r * vocab;
                int di = dOff + r * vocab;
                float shift = lse[lseOff + r];
                int i = 0;
                for (int bound = S.loopBound(vocab); i < bound; i += S.length()) {
                    FloatVector p = VectorMath.exp(FloatVector.fromArray(S, logits, li + i).sub(shift));
                    p.fma(vg, FloatVector.fromArray(S, dlogits, di + i)).intoArray(dlogits, di + i);
                }
                for (; i < vocab; i++) {
                    dlogits[di + i] += g * (float) Math.exp(logits[li + i] - shift);
                }
                dlogits[di + t] -= g;
            }
        });
    }

    private static float dot(float[] a, int ai, float[] b, int bi, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            acc = FloatVector.fromArray(S, a, ai + i).fma(FloatVector.fromArray(S, b, bi + i), acc);
        }
        float s = LaneSums.sum(acc);
        for (; i < n; i++) {
            s += a[ai + i] * b[bi + i];
        }
        return s;
    }
}
