package dev.peft4j.engine;

import dev.peft4j.kernels.Kernels;

/**
 * {@code y = x · Wᵀ + b} for x [..., in], W [out, in], b [out]: the bias is broadcast into y first and
 * the GEMM accumulates on top (beta = 1). Backward: dX = dY·W (if x requires grad), dW += dYᵀ·X (if W
 * does), db += column sums of dY (if b does); a frozen W costs no GEMM and keeps no activation.
 */
final class LinearOp {

    private LinearOp() {
    }

    static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        x.requireSameBackend("linear", weight);
        int[] xs = x.shapeRef();
        int[] ws = weight.shapeRef();
        if (ws.length != 2) {
            throw new IllegalArgumentException("linear: weight must be 2-D [out, in], got " + Shapes.str(ws));
        }
        if (xs.length == 0 || xs[xs.length - 1] != ws[1]) {
            throw new IllegalArgumentException("linear: input features differ from weight [out, in]: x "
                    + Shapes.str(xs) + ", weight " + Shapes.str(ws));
        }
        int outF = ws[0];
        int inF = ws[1];
        if (bias != null) {
            x.requireSameBackend("linear", bias);
            if (bias.rank() != 1 || bias.dim(0) != outF) {
                throw new IllegalArgumentException("linear: bias " + Shapes.str(bias.shapeRef())
                        + " does not match weight " + Shapes.str(ws) + " (expected [" + outF + "])");
            }
        }
        Tensor xc = x.contiguous();
        Tensor w = MatrixLayout.of(weight) == null ? weight.contiguous() : weight;
        MatrixLayout lw = MatrixLayout.of(w);
        int rows = inF == 0 ? 0 : xc.numel() / inF;
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = outF;
        Tensor y = x.newZeros(outShape);
        Kernels k = x.kernels();
        if (bias != null) {
            k.stridedCopy(new int[] {rows, outF}, bias.buffer(), bias.offset(), new int[] {0, bias.stridesRef()[0]},
                    y.buffer(), 0);
        }
        // op(B) must be Wᵀ: a row-major W is read transposed; a transposed view of a row-major matrix is not.
        k.gemm(false, !lw.trans(), rows, outF, inF, 1f, xc.buffer(), xc.offset(), inF,
                w.buffer(), w.offset(), lw.ld(), bias != null ? 1f : 0f, y.buffer(), 0, outF);

        // Targets are autograd slots (gradient only); the data kept is savedX/savedW, and only when needed.
        GradSlot targetX = xc.requiresGrad() ? xc.slot() : null;
        GradSlot targetW = w.requiresGrad() ? w.slot() : null;
        // W = M.t() recorded on a [in, out] matrix M (Conv1D's weight): dW goes straight into M's gradient
        // as Xᵀ·dY, so the transpose's backward (a strided copy of the whole matrix) never runs.
        GradSlot targetWt = targetW != null ? transposedSource(w) : null;
        GradSlot targetB = bias != null && bias.requiresGrad() ? bias.slot() : null;
        Tensor savedX = targetW != null ? xc : null;
        Tensor savedW = targetX != null ? w : null;
        return Autograd.record(y, "linear", gy -> {
            if (targetX != null) {
                Tensor dx = targetX.gradSink();
                k.gemm(false, lw.trans(), rows, inF, outF, 1f, gy.buffer(), gy.offset(), outF,
                        savedW.buffer(), savedW.offset(), lw.ld(), 1f, dx.buffer(), dx.offset(), inF);
            }
            if (targetWt != null) {
                Tensor dm = targetWt.gradSink();
                k.gemm(true, false, inF, outF, rows, 1f, savedX.buffer(), savedX.offset(), inF,
                        gy.buffer(), gy.offset(), outF, 1f, dm.buffer(), dm.offset(), outF);
            } else if (targetW != null) {
                Tensor dw = targetW.gradSink();
                k.gemm(true, false, outF, inF, rows, 1f, gy.buffer(), gy.offset(), outF,
                        savedX.buffer(), savedX.offset(), inF, 1f, dw.buffer(), dw.offset(), inF);
            }
            if (targetB != null) {
                Tensor db = targetB.gradSink();
                k.sumTo(new int[] {rows, outF}, gy.buffer(), gy.offset(), new int[] {1, outF},
                        db.buffer(), db.offset(), true);
            }
        }, xc, w, bias);
    }

    /** The slot of M when {@code w} is a recorded transpose of a 2-D M that requires grad; else null. */
    private static GradSlot transposedSource(Tensor w) {
        Node node = w.gradFn();
        if (node == null || !"transpose".equals(node.op()) || node.inputs().length != 1 || w.rank() != 2) {
            return null;
        }
        GradSlot m = node.inputs()[0];
        int[] ms = m.shapeRef();
        return ms.length == 2 && ms[0] == w.dim(1) && ms[1] == w.dim(0) ? m : null;
    }
}
