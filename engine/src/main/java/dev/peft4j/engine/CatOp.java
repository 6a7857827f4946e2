package dev.peft4j.engine;

import dev.peft4j.kernels.Kernels;

/** Concatenation along one axis: each piece is a block of rows in the output, moved with {@link StridedRows}. */
final class CatOp {

    private CatOp() {
    }

    static Tensor cat(int axis, Tensor... tensors) {
        if (tensors.length == 0) {
            throw new IllegalArgumentException("cat: needs at least one tensor");
        }
        Tensor first = tensors[0];
        int rank = first.rank();
        int a = Shapes.axis("cat", axis, rank, first.shapeRef());
        int total = 0;
        for (Tensor t : tensors) {
            first.requireSameBackend("cat", t);
            int[] s = t.shapeRef();
            boolean compatible = s.length == rank;
            for (int i = 0; compatible && i < rank; i++) {
                compatible = i == a || s[i] == first.shapeRef()[i];
            }
            if (!compatible) {
                throw new IllegalArgumentException("cat: shapes differ outside axis " + a + ": "
                        + Shapes.str(first.shapeRef()) + " and " + Shapes.str(s));
            }
            total += s[a];
        }
        int[] outShape = first.shape();
        outShape[a] = total;
        int outer = Shapes.product(outShape, 0, a);
        int inner = Shapes.product(outShape, a + 1, rank);
        Tensor out = first.newZeros(outShape);
        Kernels k = first.kernels();
        int[] starts = new int[tensors.length];
        int start = 0;
        for (int i = 0; i < tensors.length; i++) {
            Tensor t = tensors[i].isContiguous() ? tensors[i] : ViewOps.materialize(tensors[i]);
            int len = tensors[i].shapeRef()[a];
            starts[i] = start;
            StridedRows.copy(k, outer, len * inner, t.buffer(), t.offset(), len * inner,
                    out.buffer(), start * inner, total * inner, false);
            start += len;
        }
        Tensor[] inputs = tensors.clone();
        int outRow = total * inner;
        return Autograd.record(out, "cat", gy -> {
            for (int i = 0; i < inputs.length; i++) {
                if (!inputs[i].requiresGrad()) {
                    continue;
                }
                int len = inputs[i].shapeRef()[a];
                Tensor dx = inputs[i].gradSink();
                StridedRows.copy(k, outer, len * inner, gy.buffer(), gy.offset() + starts[i] * inner, outRow,
                        dx.buffer(), dx.offset(), len * inner, true);
            }
        }, inputs);
    }
}
