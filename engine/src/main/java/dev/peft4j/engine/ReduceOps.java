package dev.peft4j.engine;

import dev.peft4j.kernels.Kernels;

/** Sums (all elements, or over one axis) and row-wise softmax / log-softmax over the last axis. */
final class ReduceOps {

    private ReduceOps() {
    }

    static Tensor sumAll(Tensor x) {
        Tensor xc = x.isContiguous() ? x : ViewOps.materialize(x);
        Tensor out = x.newZeros();
        x.kernels().sum(xc.buffer(), xc.offset(), xc.numel(), out.buffer(), 0, false);
        return Autograd.record(out, "sum", gy -> {
            if (x.requiresGrad()) {
                addExpanded(x, gy, new int[x.rank()]);
            }
        }, x);
    }

    static Tensor sumAxis(Tensor x, int axis, boolean keepDim) {
        int a = Shapes.axis("sum", axis, x.rank(), x.shapeRef());
        Tensor xc = x.isContiguous() ? x : ViewOps.materialize(x);
        int[] kept = x.shape();
        kept[a] = 1;
        Tensor out = x.newZeros(kept);
        x.kernels().sumTo(x.shapeRef(), xc.buffer(), xc.offset(), kept, out.buffer(), 0, false);
        if (!keepDim) {
            int[] squeezed = new int[kept.length - 1];
            for (int i = 0, j = 0; i < kept.length; i++) {
                if (i != a) {
                    squeezed[j++] = kept[i];
                }
            }
            out = Tensor.view(out, 0, squeezed, Shapes.rowMajorStrides(squeezed));
        }
        int[] gyStrides = Shapes.rowMajorStrides(kept);
        gyStrides[a] = 0;
        return Autograd.record(out, "sum", gy -> {
            if (x.requiresGrad()) {
                addExpanded(x, gy, gyStrides);
            }
        }, x);
    }

    /** {@code x.grad += g} read with {@code gStrides} over x's shape (stride 0 repeats a reduced value). */
    private static void addExpanded(Tensor x, Tensor g, int[] gStrides) {
        Tensor tmp = x.newZeros(x.shapeRef());
        x.kernels().stridedCopy(Shapes.atLeast1(x.shapeRef()), g.buffer(), g.offset(),
                Shapes.atLeast1Strides(gStrides), tmp.buffer(), 0);
        ViewOps.addSameOrder(x, tmp);
        tmp.buffer().close();
    }

    static Tensor softmax(Tensor x) {
        if (x.rank() == 0) {
            throw new IllegalArgumentException("softmax: needs at least one axis, got a scalar");
        }
        Tensor xc = x.isContiguous() ? x : ViewOps.materialize(x);
        int cols = x.dim(-1);
        int rows = cols == 0 ? 0 : x.numel() / cols;
        Tensor out = x.newZeros(x.shapeRef());
        Kernels k = x.kernels();
        k.softmax(xc.buffer(), xc.offset(), out.buffer(), 0, rows, cols, 1f, false, rows);
        Tensor y = out.detach();
        return Autograd.record(out, "softmax", gy -> {
            if (x.requiresGrad()) {
                Tensor dx = x.gradSink();
                k.softmaxBackward(y.buffer(), 0, gy.buffer(), gy.offset(), dx.buffer(), dx.offset(), rows, cols, 1f);
            }
        }, x);
    }

    static Tensor logSoftmax(Tensor x) {
        if (x.rank() == 0) {
            throw new IllegalArgumentException("logSoftmax: needs at least one axis, got a scalar");
        }
        Tensor xc = x.isContiguous() ? x : ViewOps.materialize(x);
        int cols = x.dim(-1);
        int rows = cols == 0 ? 0 : x.numel() / cols;
        Tensor out = x.newZeros(x.shapeRef());
        Kernels k = x.kernels();
        k.logSoftmax(xc.buffer(), xc.offset(), out.buffer(), 0, rows, cols);
        Tensor y = out.detach();
        return Autograd.record(out, "logSoftmax", gy -> {
            if (x.requiresGrad()) {
                Tensor dx = x.gradSink();
                k.logSoftmaxBackward(y.buffer(), 0, gy.buffer(), gy.offset(), dx.buffer(), dx.offset(), rows, cols);
            }
        }, x);
    }
}
