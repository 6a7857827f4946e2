package dev.peft4j.engine;

import dev.peft4j.kernels.Binary;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;

/**
 * Inverted dropout: {@code y = x * mask} with the kernels' seeded mask ({@code 1/(1-p)} or 0), so every
 * backend drops the same elements for the same seed. The mask is kept for backward.
 */
final class DropoutOp {

    private DropoutOp() {
    }

    static Tensor dropout(Tensor x, float p, long seed) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout: probability " + p + " outside [0, 1) for x "
                    + Shapes.str(x.shapeRef()));
        }
        if (p == 0f) {
            return x;
        }
        Kernels k = x.kernels();
        int n = x.numel();
        Buffer mask = k.allocate(Math.max(n, 1));
        k.dropoutMask(mask, 0, n, p, seed);
        Tensor xc = x.isContiguous() ? x : ViewOps.materialize(x);
        Tensor y = x.newZeros(x.shapeRef());
        k.binary(Binary.MUL, xc.buffer(), xc.offset(), mask, 0, y.buffer(), 0, n);
        StepScope.ownSaved(Autograd.needsRecording(x), mask);
        return Autograd.recordReading(Autograd.NOTHING, y, "dropout", gy -> {
            if (x.requiresGrad()) {
                Tensor t = x.newZeros(x.shapeRef());
                k.binary(Binary.MUL, gy.buffer(), gy.offset(), mask, 0, t.buffer(), 0, n);
                ViewOps.addSameOrder(x, t);
                t.buffer().close();
            }
        }, x);
    }
}
