package dev.peft4j.engine;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;

/**
 * Mean softmax cross-entropy over the rows of logits [..., vocab] whose target is not the ignore index,
 * with the kernels' fused forward (saving log-sum-exp per row) and backward. The loss is checked for
 * NaN/inf so a diverged step names this op instead of surfacing later as NaN parameters.
 */
final class CrossEntropyOp {

    private CrossEntropyOp() {
    }

    static Tensor crossEntropy(Tensor logits, int[] targets, int ignoreIndex) {
        if (logits.rank() == 0) {
            throw new IllegalArgumentException("crossEntropy: logits must have a class axis, got a scalar");
        }
        int vocab = logits.dim(-1);
        int rows = vocab == 0 ? 0 : logits.numel() / vocab;
        if (targets.length != rows) {
            throw new IllegalArgumentException("crossEntropy: " + targets.length + " targets for " + rows
                    + " rows of logits " + Shapes.str(logits.shapeRef()));
        }
        int counted = 0;
        for (int i = 0; i < rows; i++) {
            int t = targets[i];
            if (t == ignoreIndex) {
                continue;
            }
            if (t < 0 || t >= vocab) {
                throw new IllegalArgumentException("crossEntropy: target " + t + " at row " + i
                        + " is outside [0, " + vocab + ") for logits " + Shapes.str(logits.shapeRef()));
            }
            counted++;
        }
        int[] ids = targets.clone(); // the caller may reuse its array before backward runs
        Tensor lc = logits.contiguous();
        Kernels k = logits.kernels();
        Buffer losses = k.allocate(Math.max(rows, 1));
        Buffer lse = k.allocate(Math.max(rows, 1));
        k.crossEntropy(lc.buffer(), lc.offset(), ids, ignoreIndex, rows, vocab, losses, 0, lse, 0);
        StepScope.ownSaved(Autograd.needsRecording(lc), lse);
        Buffer total = k.allocate(1);
        k.sum(losses, 0, rows, total, 0, false);
        losses.close();
        // With no counted row the mean is defined as 0 (and so is its gradient), not 0/0.
        float scale = counted == 0 ? 0f : 1f / counted;
        Tensor loss = logits.newZeros();
        k.scale(total, 0, scale, 0f, loss.buffer(), 0, 1);
        total.close();
        loss.checkFinite("crossEntropy loss (logits " + Shapes.str(logits.shapeRef()) + ")");
        return Autograd.record(loss, "crossEntropy", gy -> {
            if (lc.requiresGrad()) {
                Tensor dl = lc.gradSink();
                k.crossEntropyBackward(lc.buffer(), lc.offset(), lse, 0, ids, ignoreIndex, rows, vocab,
                        gy.buffer(), gy.offset(), scale, dl.buffer(), dl.offset());
            }
        }, lc);
    }
}
