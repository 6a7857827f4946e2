package dev.peft4j.engine;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;

import java.util.Arrays;

/**
 * Mean softmax cross-entropy of {@code x · Wᵀ} against one target per row, for a frozen W (a tied or frozen
 * LM head), without ever holding all the logits: rows go through in chunks, and each chunk's logits are
 * scored and turned into their share of dL/dx at once, so the [rows, vocab] logits and their gradient (twice
 * 100 MB for GPT-2 at 512 tokens) shrink to one chunk each. Backward only scales the saved dL/dx by the
 * incoming gradient. Same FLOPs as linear + cross-entropy (forward GEMM, CE, dX GEMM); dW is not formed,
 * so W must not require grad.
 */
final class LinearCrossEntropyOp {

    /** Rows per chunk: 128 x 50257 floats = 25 MB of logits, large enough to keep the GEMMs efficient. */
    static final int CHUNK_ROWS = 128;

    private LinearCrossEntropyOp() {
    }

    static Tensor linearCrossEntropy(Tensor x, Tensor weight, int[] targets, int ignoreIndex) {
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
        int chunk = Math.max(1, Math.min(CHUNK_ROWS, rows));
        Buffer logits = k.allocate(Math.max(1, chunk * vocab));
        Buffer dlogits = grad ? k.allocate(Math.max(1, chunk * vocab)) : null;
        Buffer losses = k.allocate(Math.max(rows, 1));
        Buffer lse = k.allocate(Math.max(chunk, 1));
        Buffer one = grad ? k.upload(new float[] {1f}, 0, 1) : null;
        Tensor dx = grad ? x.newZeros(rows, in) : null; // dL/dx for an incoming gradient of 1
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int rc = Math.min(chunk, rows - r0);
            int[] ids = Arrays.copyOfRange(targets, r0, r0 + rc);
            k.gemm(false, true, rc, vocab, in, 1f, xc.buffer(), xc.offset() + r0 * in, in,
                    w.buffer(), w.offset(), in, 0f, logits, 0, vocab);
            k.crossEntropy(logits, 0, ids, ignoreIndex, rc, vocab, losses, r0, lse, 0);
            if (grad) {
                k.fill(dlogits, 0, rc * vocab, 0f);
                k.crossEntropyBackward(logits, 0, lse, 0, ids, ignoreIndex, rc, vocab, one, 0, scale, dlogits, 0);
                k.gemm(false, false, rc, in, vocab, 1f, dlogits, 0, vocab, w.buffer(), w.offset(), in,
                        0f, dx.buffer(), r0 * in, in);
            }
        }
        logits.close();
        lse.close();
        if (grad) {
            dlogits.close();
            one.close();
        }
        Buffer total = k.allocate(1);
        k.sum(losses, 0, rows, total, 0, false);
        losses.close();
        Tensor loss = x.newZeros();
        k.scale(total, 0, scale, 0f, loss.buffer(), 0, 1);
        total.close();
        loss.checkFinite("linearCrossEntropy loss (x " + Shapes.str(xs) + ", weight " + Shapes.str(ws) + ")");
        if (!grad) {
            return loss;
        }
        GradSlot target = xc.slot();
        return Autograd.record(loss, "linearCrossEntropy", gy -> {
            float g = gy.item();
            Tensor d = target.gradSink();
            k.axpy(g, dx.buffer(), 0, d.buffer(), d.offset(), rows * in);
        }, xc);
    }
}
