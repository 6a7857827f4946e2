package dev.peft4j.engine;

import dev.peft4j.kernels.Binary;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.Unary;
import java.util.Arrays;

/**
 * Mean softmax cross-entropy of {@code x · Wᵀ} against one target per row, for a frozen W (a tied or frozen
 * LM head), without ever holding all the logits. The vocabulary goes through in blocks with an online
 * softmax ({@link Kernels#linearSoftmaxPass}), as flash attention goes through keys (and as "Cut Cross-Entropy"
 * does for LM heads): per row a running max {@code m} and sum {@code s = Σ exp(l - m)}, and for the gradient a
 * running {@code acc = Σ exp(l - m)·W[v]}, rescaled by {@code exp(m_old - m_new)} whenever the max grows. At the
 * end {@code loss = m + log s - l[target]} and {@code dL/dx = (acc / s - W[target]) / counted}: softmax minus
 * one-hot, times W, without a [rows, vocab] matrix of either.
 *
 * <p>Why blocks of the vocabulary rather than of rows: every block of W is packed once per call and used by
 * all rows (up to {@link #ROW_GROUP}), so for GPT-2 at 512 tokens the 50257 x 768 head is packed once for the
 * logits and once for the gradient, instead of once per row chunk. Rows whose target is ignored are left out
 * of the pass (their loss and gradient are zero), so its cost follows the counted rows. Otherwise the same
 * FLOPs as linear + cross-entropy (logits GEMM, dX GEMM); dW is not formed, so W must not require grad.
 * Backward only scales the saved dL/dx.
 */
final class LinearCrossEntropyOp {

    /** Rows that share one pass over W; bounds the block buffer at ROW_GROUP x VOCAB_BLOCK floats (8 MB). */
    static final int ROW_GROUP = 1024;
    /** Vocabulary entries per block: one GEMM's width; the packed block of W (6 MB at d = 768) is reused by every row. */
    static final int VOCAB_BLOCK = 2048;

    private LinearCrossEntropyOp() {
    }

    static Tensor linearCrossEntropy(Tensor x, Tensor weight, int[] targets, int ignoreIndex) {
        return linearCrossEntropy(x, weight, targets, ignoreIndex, ROW_GROUP, VOCAB_BLOCK);
    }

    /** With explicit block sizes, so tests can cross many blocks on small inputs. */
    static Tensor linearCrossEntropy(Tensor x, Tensor weight, int[] targets, int ignoreIndex,
                                     int rowGroup, int vocabBlock) {
        x.requireSameBackend("linearCrossEntropy", weight);
        int[] xs = x.shapeRef();
        int[] ws = weight.shapeRef();
        if (ws.length != 2 || xs.length != 2 || xs[1] != ws[1]) {
            throw new IllegalArgumentException("linearCrossEntropy: need x [rows, in] and weight [vocab, in], got x "
                    + Shapes.str(xs) + ", weight " + Shapes.str(ws));
        }
        if (weight.requiresGrad() && Autograd.isGradEnabled()) {
            throw new IllegalArgumentException("linearCrossEntropy: weight " + Shapes.str(ws)
                    + " requires grad; this op forms no weight gradient (use linear + crossEntropy)");
        }
        int rows = xs[0];
        int in = xs[1];
        int vocab = ws[0];
        if (targets.length != rows) {
            throw new IllegalArgumentException("linearCrossEntropy: " + targets.length + " targets for " + rows
                    + " rows of x " + Shapes.str(xs));
        }
        int counted = 0;
        for (int i = 0; i < rows; i++) {
            int t = targets[i];
            if (t == ignoreIndex) {
                continue;
            }
            if (t < 0 || t >= vocab) {
                throw new IllegalArgumentException("linearCrossEntropy: target " + t + " at row " + i
                        + " is outside [0, " + vocab + ")");
            }
            counted++;
        }
        Tensor xc = x.contiguous();
        Tensor w = weight.isContiguous() ? weight : ViewOps.materialize(weight);
        boolean grad = Autograd.needsRecording(xc);
        float scale = counted == 0 ? 0f : 1f / counted;
        Kernels k = x.kernels();
        Tensor loss = x.newZeros();
        Tensor dx = grad ? x.newZeros(rows, in) : null; // dL/dx for an incoming gradient of 1
        if (counted == rows && rows > 0) {
            scoreRows(k, w, xc.buffer(), xc.offset(), rows, targets, scale, rowGroup, vocabBlock,
                    grad ? dx.buffer() : null, grad ? dx.offset() : 0, loss);
        } else if (counted > 0) {
            // Score only the counted rows (a causal LM ignores each sequence's last position; a few-shot prompt
            // all but its answer): the vocabulary pass costs per row, an ignored row's loss and gradient are 0.
            int[] kept = new int[counted];
            int[] keptTargets = new int[counted];
            for (int i = 0, j = 0; i < rows; i++) {
                if (targets[i] != ignoreIndex) {
                    kept[j] = i;
                    keptTargets[j++] = targets[i];
                }
            }
            try (Buffer xk = k.allocate(counted * in); Buffer dk = grad ? k.allocate(counted * in) : null) {
                k.embedding(xc.buffer(), xc.offset(), rows, in, kept, xk, 0);
                scoreRows(k, w, xk, 0, counted, keptTargets, scale, rowGroup, vocabBlock, dk, 0, loss);
                if (grad) {
                    k.embeddingBackward(dk, 0, kept, in, dx.buffer(), dx.offset());
                }
            }
        } // no counted row: a zero loss and gradient
        loss.checkFinite("linearCrossEntropy loss (x " + Shapes.str(xs) + ", weight " + Shapes.str(ws) + ")");
        if (!grad) {
            return loss;
        }
        GradSlot target = xc.slot();
        StepScope.ownSaved(dx.buffer());
        return Autograd.recordReading(Autograd.NOTHING, loss, "linearCrossEntropy", gy -> {
            float g = gy.item();
            Tensor d = target.gradSink();
            k.axpy(g, dx.buffer(), 0, d.buffer(), d.offset(), rows * in);
        }, xc);
    }

    /**
     * Adds {@code scale} times the losses of rows x [rows, in] at {@code xOff} (none of them ignored) to
     * {@code loss} and, unless {@code d} is null, writes their dL/dx at {@code dOff}: the vocabulary pass row group
     * by row group.
     */
    private static void scoreRows(Kernels k, Tensor w, Buffer x, int xOff, int rows, int[] targets, float scale,
                                  int rowGroup, int vocabBlock, Buffer d, int dOff, Tensor loss) {
        int in = w.dim(1);
        int vocab = w.dim(0);
        try (OnlineSoftmax pass = new OnlineSoftmax(k, w, in, vocab, Math.min(rowGroup, rows),
                Math.min(vocabBlock, vocab), d != null)) {
            for (int r0 = 0; r0 < rows; r0 += rowGroup) {
                int rg = Math.min(rowGroup, rows - r0);
                pass.run(x, xOff + r0 * in, rg, targets, r0, scale, d, dOff + r0 * in);
                k.sum(pass.losses, 0, rg, loss.buffer(), 0, true);
            }
        }
    }

    /** The scratch buffers of one call and the blocked pass over the vocabulary for one group of rows. */
    private static final class OnlineSoftmax implements AutoCloseable {

        private final Kernels k;
        private final Tensor w;
        private final int in;
        private final int vocab;
        private final int block;
        private final Buffer max;
        private final Buffer sum;
        private final Buffer targetRows; // W[target] per row
        private final Buffer rowScratch; // [rows, in]
        private final Buffer perRow;
        final Buffer losses;
        private final Buffer acc; // Σ exp(l - m)·W[v], [rows, in]; null without gradient

        OnlineSoftmax(Kernels k, Tensor w, int in, int vocab, int rows, int block, boolean grad) {
            this.k = k;
            this.w = w;
            this.in = in;
            this.vocab = vocab;
            this.block = block;
            max = k.allocate(rows);
            sum = k.allocate(rows);
            targetRows = k.allocate(Math.max(1, rows * in));
            rowScratch = k.allocate(Math.max(1, rows * in));
            perRow = k.allocate(rows);
            losses = k.allocate(rows);
            acc = grad ? k.allocate(Math.max(1, rows * in)) : null;
        }

        /**
         * Rows [r0, r0 + rg) of the call, x at {@code xOff}: writes their weighted losses to {@link #losses}[0, rg)
         * and, unless d is null, their dL/dx at {@code dOff}.
         */
        void run(Buffer x, int xOff, int rg, int[] targets, int r0, float scale, Buffer d, int dOff) {
            k.linearSoftmaxPass(x, xOff, rg, in, w.buffer(), w.offset(), vocab, block, max, sum, acc);
            finish(x, xOff, rg, targets, r0, scale, d, dOff);
        }

        /** Loss per row from max, sum and the target's logit; dL/dx from acc, sum and W[target]. */
        private void finish(Buffer x, int xOff, int rg, int[] targets, int r0, float scale, Buffer d, int dOff) {
            k.embedding(w.buffer(), w.offset(), vocab, in, Arrays.copyOfRange(targets, r0, r0 + rg), targetRows, 0);
            // The target's logit x·W[t] (a dot per row, so its rounding matches no GEMM exactly; off by ~1 ulp).
            k.binary(Binary.MUL, x, xOff, targetRows, 0, rowScratch, 0, rg * in);
            k.sumRows(rowScratch, 0, rg, in, perRow, 0, false);
            k.unary(Unary.LOG, sum, 0, losses, 0, rg);
            k.binary(Binary.ADD, losses, 0, max, 0, losses, 0, rg);
            k.binary(Binary.SUB, losses, 0, perRow, 0, losses, 0, rg);
            k.scale(losses, 0, scale, 0f, losses, 0, rg);
            if (d == null) {
                return;
            }
            // dL/dx = scale·(acc / sum - W[target])
            k.broadcastBinary(Binary.DIV, new int[] {rg, in}, acc, 0, new int[] {in, 1}, sum, 0, new int[] {1, 0},
                    d, dOff);
            k.binary(Binary.SUB, d, dOff, targetRows, 0, d, dOff, rg * in);
            k.scale(d, dOff, scale, 0f, d, dOff, rg * in);
        }

        @Override
        public void close() {
            for (Buffer b : new Buffer[] {max, sum, targetRows, rowScratch, perRow, losses, acc}) {
                if (b != null) {
                    b.close();
                }
            }
        }
    }
}
