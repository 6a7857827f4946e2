package dev.peft4j.engine;

import dev.peft4j.kernels.Binary;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.Unary;

/**
 * Mean softmax cross-entropy of {@code x · Wᵀ} against one target per row, for a frozen W (a tied or frozen
 * LM head), without ever holding all the logits. The vocabulary goes through in blocks with an online
 * softmax, as flash attention goes through keys (and as "Cut Cross-Entropy" does for LM heads): per row a
 * running max {@code m} and sum {@code s = Σ exp(l - m)}, and for the gradient a running
 * {@code acc = Σ exp(l - m)·W[v]}, rescaled by {@code exp(m_old - m_new)} whenever the max grows. At the end
 * {@code loss = m + log s - l[target]} and {@code dL/dx = (acc / s - W[target]) / counted}: softmax minus
 * one-hot, times W, without a [rows, vocab] matrix of either.
 *
 * <p>Why blocks of the vocabulary rather than of rows: every block of W is packed once per call and used by
 * all rows (up to {@link #ROW_GROUP}), so for GPT-2 at 512 tokens the 50257 x 768 head is packed once for the
 * logits and once for the gradient, instead of once per row chunk. Same FLOPs as linear + cross-entropy
 * (logits GEMM, dX GEMM); dW is not formed, so W must not require grad. Backward only scales the saved dL/dx.
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
        if (rows > 0 && vocab > 0) {
            try (OnlineSoftmax pass = new OnlineSoftmax(k, w, in, vocab, Math.min(rowGroup, rows),
                    Math.min(vocabBlock, vocab), grad)) {
                Buffer losses = pass.losses;
                for (int r0 = 0; r0 < rows; r0 += rowGroup) {
                    int rg = Math.min(rowGroup, rows - r0);
                    pass.run(xc, r0, rg, targets, ignoreIndex, scale, dx);
                    k.sum(losses, 0, rg, loss.buffer(), 0, true);
                }
            }
        }
        loss.checkFinite("linearCrossEntropy loss (x " + Shapes.str(xs) + ", weight " + Shapes.str(ws) + ")");
        if (!grad) {
            return loss;
        }
        GradSlot target = xc.slot();
        StepScope.ownSaved(dx.buffer());
        return Autograd.record(loss, "linearCrossEntropy", gy -> {
            float g = gy.item();
            Tensor d = target.gradSink();
            k.axpy(g, dx.buffer(), 0, d.buffer(), d.offset(), rows * in);
        }, xc);
    }

    /** The scratch buffers of one call and the blocked pass over the vocabulary for one group of rows. */
    private static final class OnlineSoftmax implements AutoCloseable {

        private final Kernels k;
        private final Tensor w;
        private final int in;
        private final int vocab;
        private final int block;
        private final Buffer logits; // [rows, block]: one block's logits, then its exp(l - m)
        private final Buffer max;
        private final Buffer rescale; // exp(m_old - m_new)
        private final Buffer sum;
        private final Buffer targetRows; // W[target] per row
        private final Buffer rowScratch; // [rows, in]
        private final Buffer rowWeights; // 1/counted, or 0 for an ignored row
        private final Buffer perRow;
        final Buffer losses;
        private final Buffer acc; // Σ exp(l - m)·W[v], [rows, in]; null without gradient

        OnlineSoftmax(Kernels k, Tensor w, int in, int vocab, int rows, int block, boolean grad) {
            this.k = k;
            this.w = w;
            this.in = in;
            this.vocab = vocab;
            this.block = block;
            logits = k.allocate(rows * block);
            max = k.allocate(rows);
            rescale = k.allocate(rows);
            sum = k.allocate(rows);
            targetRows = k.allocate(Math.max(1, rows * in));
            rowScratch = k.allocate(Math.max(1, rows * in));
            rowWeights = k.allocate(rows);
            perRow = k.allocate(rows);
            losses = k.allocate(rows);
            acc = grad ? k.allocate(Math.max(1, rows * in)) : null;
        }

        /**
         * Rows [r0, r0 + rg) of x: writes their weighted losses to {@link #losses}[0, rg) and, with a
         * gradient, their rows of dx.
         */
        void run(Tensor x, int r0, int rg, int[] targets, int ignoreIndex, float scale, Tensor dx) {
            Buffer xb = x.buffer();
            int xOff = x.offset() + r0 * in;
            Buffer wb = w.buffer();
            for (int v0 = 0; v0 < vocab; v0 += block) {
                int vb = Math.min(block, vocab - v0);
                boolean first = v0 == 0;
                k.gemm(false, true, rg, vb, in, 1f, xb, xOff, in, wb, w.offset() + v0 * in, in, 0f, logits, 0, vb);
                k.onlineSoftmaxBlock(logits, 0, rg, vb, max, sum, rescale, 0, first);
                if (acc != null) {
                    if (!first) {
                        k.broadcastBinary(Binary.MUL, new int[] {rg, in}, acc, 0, new int[] {in, 1}, rescale, 0,
                                new int[] {1, 0}, acc, 0);
                    }
                    k.gemm(false, false, rg, in, vb, 1f, logits, 0, vb, wb, w.offset() + v0 * in, in,
                            first ? 0f : 1f, acc, 0, in);
                }
            }
            finish(x, r0, rg, targets, ignoreIndex, scale, dx);
        }

        /** Loss per row from max, sum and the target's logit; dx from acc, sum and W[target]. */
        private void finish(Tensor x, int r0, int rg, int[] targets, int ignoreIndex, float scale, Tensor dx) {
            int[] ids = new int[rg];
            float[] weights = new float[rg];
            for (int i = 0; i < rg; i++) {
                int t = targets[r0 + i];
                boolean ignored = t == ignoreIndex;
                ids[i] = ignored ? 0 : t; // any valid row: its weight is 0
                weights[i] = ignored ? 0f : scale;
            }
            k.write(weights, 0, rowWeights, 0, rg);
            k.embedding(w.buffer(), w.offset(), vocab, in, ids, targetRows, 0);
            // The target's logit x·W[t] (a dot per row, so its rounding matches no GEMM exactly; off by ~1 ulp).
            k.binary(Binary.MUL, x.buffer(), x.offset() + r0 * in, targetRows, 0, rowScratch, 0, rg * in);
            k.sumRows(rowScratch, 0, rg, in, perRow, 0, false);
            k.unary(Unary.LOG, sum, 0, losses, 0, rg);
            k.binary(Binary.ADD, losses, 0, max, 0, losses, 0, rg);
            k.binary(Binary.SUB, losses, 0, perRow, 0, losses, 0, rg);
            k.binary(Binary.MUL, losses, 0, rowWeights, 0, losses, 0, rg);
            if (dx == null) {
                return;
            }
            int[] rowShape = {rg, in};
            int[] rowMajor = {in, 1};
            int[] perRowStrides = {1, 0};
            Buffer d = dx.buffer();
            int dOff = dx.offset() + r0 * in;
            k.binary(Binary.DIV, rowWeights, 0, sum, 0, perRow, 0, rg);
            k.broadcastBinary(Binary.MUL, rowShape, acc, 0, rowMajor, perRow, 0, perRowStrides, d, dOff);
            k.broadcastBinary(Binary.MUL, rowShape, targetRows, 0, rowMajor, rowWeights, 0, perRowStrides,
                    rowScratch, 0);
            k.binary(Binary.SUB, d, dOff, rowScratch, 0, d, dOff, rg * in);
        }

        @Override
        public void close() {
            for (Buffer b : new Buffer[] {logits, max, rescale, sum, targetRows, rowScratch, rowWeights,
                    perRow, losses, acc}) {
                if (b != null) {
                    b.close();
                }
            }
        }
    }
}
