package dev.peft4j.engine;

import dev.peft4j.kernels.Kernels;

import java.util.Arrays;

/**
 * Layout ops. Transpose, permute, slice, squeeze/unsqueeze, expand and reshape of contiguous data share
 * storage; only {@link #contiguous} copies (kernel {@code stridedCopy}). A view's gradient is the
 * output gradient mapped back onto the input's index space.
 */
final class ViewOps {

    private ViewOps() {
    }

    /** A row-major copy, not recorded. */
    static Tensor materialize(Tensor x) {
        Tensor out = x.newZeros(x.shapeRef());
        x.kernels().stridedCopy(Shapes.atLeast1(x.shapeRef()), x.buffer(), x.offset(),
                Shapes.atLeast1Strides(x.stridesRef()), out.buffer(), 0);
        return out;
    }

    static Tensor contiguous(Tensor x) {
        Tensor out = materialize(x);
        GradSlot sx = x.slot(); // the rule needs x's gradient, not its (non-contiguous) data
        return Autograd.recordReading(Autograd.NOTHING, out, "contiguous", gy -> addSameOrder(sx, gy), x);
    }

    /** {@code x.grad += g} where g holds x's elements in row-major order (any same-count shape). */
    static void addSameOrder(Tensor x, Tensor g) {
        addSameOrder(x.slot(), g);
    }

    /** {@code x.grad += g} for the tensor whose autograd slot is {@code x}. */
    static void addSameOrder(GradSlot x, Tensor g) {
        if (!x.requiresGrad() || x.adoptGrad(g)) {
            return;
        }
        Tensor dx = x.gradSink();
        x.kernels().axpy(1f, g.buffer(), g.offset(), dx.buffer(), dx.offset(), dx.numel());
    }

    static Tensor reshape(Tensor x, int[] requested) {
        int[] shape = resolveReshape(x.shapeRef(), requested);
        if (!x.isContiguous()) {
            return reshape(x.contiguous(), shape);
        }
        Tensor out = Tensor.view(x, x.offset(), shape, Shapes.rowMajorStrides(shape));
        GradSlot sx = x.slot();
        return Autograd.recordReading(Autograd.NOTHING, out, "reshape", gy -> addSameOrder(sx, gy), x);
    }

    private static int[] resolveReshape(int[] from, int[] requested) {
        int[] shape = requested.clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (inferred >= 0) {
                    throw new IllegalArgumentException("reshape: more than one -1 in " + Shapes.str(requested));
                }
                inferred = i;
            } else if (shape[i] < 0) {
                throw new IllegalArgumentException("reshape: negative dimension in " + Shapes.str(requested));
            } else {
                known *= shape[i];
            }
        }
        int n = Shapes.numel(from);
        if (inferred >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(from) + " ("
                        + n + " elements) into " + Shapes.str(requested));
            }
            shape[inferred] = (int) (n / known);
        } else if (known != n) {
            throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(from) + " (" + n
                    + " elements) into " + Shapes.str(requested) + " (" + known + " elements)");
        }
        return shape;
    }

    static Tensor transpose(Tensor x, int axis0, int axis1) {
        int rank = x.rank();
        int a = Shapes.axis("transpose", axis0, rank, x.shapeRef());
        int b = Shapes.axis("transpose", axis1, rank, x.shapeRef());
        int[] order = new int[rank];
        for (int i = 0; i < rank; i++) {
            order[i] = i;
        }
        order[a] = b;
        order[b] = a;
        // "transpose" names a real swap only: LinearOp reads a recorded 2-D transpose as M.t().
        return permuteChecked(x, order, a == b ? "permute" : "transpose");
    }

    static Tensor permute(Tensor x, int[] order) {
        int rank = x.rank();
        if (order.length != rank) {
            throw new IllegalArgumentException("permute: order " + Shapes.str(order) + " does not match rank "
                    + rank + " of " + Shapes.str(x.shapeRef()));
        }
        boolean[] seen = new boolean[rank];
        int[] resolved = new int[rank];
        for (int i = 0; i < rank; i++) {
            int a = Shapes.axis("permute", order[i], rank, x.shapeRef());
            if (seen[a]) {
                throw new IllegalArgumentException("permute: axis " + a + " repeated in " + Shapes.str(order));
            }
            seen[a] = true;
            resolved[i] = a;
        }
        return permuteChecked(x, resolved, "permute");
    }

    private static Tensor permuteChecked(Tensor x, int[] order, String op) {
        int rank = order.length;
        int[] shape = new int[rank];
        int[] strides = new int[rank];
        for (int i = 0; i < rank; i++) {
            shape[i] = x.shapeRef()[order[i]];
            strides[i] = x.stridesRef()[order[i]];
        }
        Tensor out = Tensor.view(x, x.offset(), shape, strides);
        GradSlot sx = x.slot(); // views capture slots: the tape must not keep a viewed buffer alive
        return Autograd.recordReading(Autograd.NOTHING, out, op, gy -> {
            if (!sx.requiresGrad()) {
                return;
            }
            // Read gy (contiguous in the output's axes) in the input's axis order, then accumulate.
            int[] gyStrides = Shapes.rowMajorStrides(shape);
            int[] inStrides = new int[rank];
            for (int i = 0; i < rank; i++) {
                inStrides[order[i]] = gyStrides[i];
            }
            if (!sx.hasGrad()) {
                // First gradient: permute straight into it instead of through a temporary.
                Tensor dx = sx.gradSink();
                sx.kernels().stridedCopy(Shapes.atLeast1(sx.shapeRef()), gy.buffer(), gy.offset(),
                        Shapes.atLeast1Strides(inStrides), dx.buffer(), dx.offset());
                return;
            }
            Tensor tmp = Tensor.zeros(sx.kernels(), sx.shapeRef());
            sx.kernels().stridedCopy(Shapes.atLeast1(sx.shapeRef()), gy.buffer(), gy.offset(),
                    Shapes.atLeast1Strides(inStrides), tmp.buffer(), 0);
            addSameOrder(sx, tmp);
            tmp.buffer().close();
        }, x);
    }

    static Tensor slice(Tensor x, int axis, int start, int end) {
        int a = Shapes.axis("slice", axis, x.rank(), x.shapeRef());
        int size = x.shapeRef()[a];
        if (start < 0 || end > size || start > end) {
            throw new IllegalArgumentException("slice: range [" + start + ", " + end + ") out of bounds for axis "
                    + a + " of " + Shapes.str(x.shapeRef()));
        }
        int[] shape = x.shape();
        shape[a] = end - start;
        int offset = x.offset() + start * x.stridesRef()[a];
        Tensor out = Tensor.view(x, offset, shape, x.strides());
        int[] inShape = x.shape();
        GradSlot sx = x.slot();
        return Autograd.recordReading(Autograd.NOTHING, out, "slice", gy -> {
            if (!sx.requiresGrad()) {
                return;
            }
            // In x's contiguous grad the slice is `outer` rows of (end-start)*inner floats, `size*inner` apart.
            int outer = Shapes.product(inShape, 0, a);
            int inner = Shapes.product(inShape, a + 1, inShape.length);
            Tensor dx = sx.gradSink();
            StridedRows.copy(sx.kernels(), outer, (end - start) * inner,
                    gy.buffer(), gy.offset(), (end - start) * inner,
                    dx.buffer(), dx.offset() + start * inner, size * inner, true);
        }, x);
    }

    static Tensor unsqueeze(Tensor x, int axis) {
        int rank = x.rank();
        int a = axis < 0 ? axis + rank + 1 : axis;
        if (a < 0 || a > rank) {
            throw new IllegalArgumentException("unsqueeze: axis " + axis + " out of range for shape "
                    + Shapes.str(x.shapeRef()));
        }
        int[] shape = new int[rank + 1];
        int[] strides = new int[rank + 1];
        for (int i = 0, j = 0; i <= rank; i++) {
            if (i == a) {
                shape[i] = 1;
                strides[i] = a < rank ? x.stridesRef()[a] * x.shapeRef()[a] : 1;
            } else {
                shape[i] = x.shapeRef()[j];
                strides[i] = x.stridesRef()[j];
                j++;
            }
        }
        Tensor out = Tensor.view(x, x.offset(), shape, strides);
        GradSlot sx = x.slot();
        return Autograd.recordReading(Autograd.NOTHING, out, "unsqueeze", gy -> addSameOrder(sx, gy), x);
    }

    static Tensor squeeze(Tensor x, int axis) {
        int a = Shapes.axis("squeeze", axis, x.rank(), x.shapeRef());
        if (x.shapeRef()[a] != 1) {
            throw new IllegalArgumentException("squeeze: axis " + a + " of " + Shapes.str(x.shapeRef())
                    + " has size " + x.shapeRef()[a] + ", not 1");
        }
        int rank = x.rank();
        int[] shape = new int[rank - 1];
        int[] strides = new int[rank - 1];
        for (int i = 0, j = 0; i < rank; i++) {
            if (i != a) {
                shape[j] = x.shapeRef()[i];
                strides[j] = x.stridesRef()[i];
                j++;
            }
        }
        Tensor out = Tensor.view(x, x.offset(), shape, strides);
        GradSlot sx = x.slot();
        return Autograd.recordReading(Autograd.NOTHING, out, "squeeze", gy -> addSameOrder(sx, gy), x);
    }

    static Tensor expand(Tensor x, int[] newShape) {
        int[] target = newShape.clone();
        if (target.length < x.rank()) {
            throw new IllegalArgumentException("expand: cannot expand " + Shapes.str(x.shapeRef()) + " to fewer axes "
                    + Shapes.str(newShape));
        }
        int[] padded = Shapes.padLeft(x.shapeRef(), target.length);
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1) {
                target[i] = padded[i];
            }
            if (padded[i] != target[i] && padded[i] != 1) {
                throw new IllegalArgumentException("expand: cannot expand " + Shapes.str(x.shapeRef()) + " to "
                        + Shapes.str(newShape) + " (axis " + i + " has size " + padded[i] + ")");
            }
        }
        int[] strides = Shapes.broadcastStrides(x.shapeRef(), x.stridesRef(), target);
        Tensor out = Tensor.view(x, x.offset(), target, strides);
        GradSlot sx = x.slot();
        return Autograd.recordReading(Autograd.NOTHING, out, "expand", gy -> reduceInto(sx, gy, target), x);
    }

    /** {@code x.grad += sumTo(g, x.shape)}: the gradient of broadcasting x to g's shape. */
    static void reduceInto(Tensor x, Tensor g, int[] gShape) {
        reduceInto(x.slot(), g, gShape);
    }

    /** {@code x.grad += sumTo(g, x.shape)} for the tensor whose autograd slot is {@code x}. */
    static void reduceInto(GradSlot x, Tensor g, int[] gShape) {
        if (!x.requiresGrad()) {
            return;
        }
        if (Arrays.equals(x.shapeRef(), gShape) && x.adoptGrad(g)) {
            return;
        }
        Tensor dx = x.gradSink();
        Kernels k = x.kernels();
        if (Arrays.equals(x.shapeRef(), gShape)) {
            k.axpy(1f, g.buffer(), g.offset(), dx.buffer(), dx.offset(), dx.numel());
        } else {
            int[] src = Shapes.atLeast1(gShape);
            k.sumTo(src, g.buffer(), g.offset(), Shapes.padLeft(x.shapeRef(), src.length), dx.buffer(), dx.offset(),
                    true);
        }
    }
}
