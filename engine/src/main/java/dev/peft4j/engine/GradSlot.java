package dev.peft4j.engine;

import dev.peft4j.kernels.Kernels;

/**
 * The autograd side of one {@link Tensor}: whether it requires grad, the op that made it, and where its
 * gradient accumulates. It holds no data, so the tape ({@link Node} inputs, and backward rules that only
 * accumulate into an input) keeps an input's slot alive, not its storage: an activation that no backward
 * rule saves is freed as soon as the forward code drops it, as in PyTorch, where the graph holds grad_fn
 * nodes and saved tensors but never the tensors themselves.
 */
final class GradSlot {

    private final Kernels kernels;
    private final int[] shape;

    private boolean requiresGrad;
    private boolean retainGrad;
    private Tensor grad;
    private Node gradFn;

    GradSlot(Kernels kernels, int[] shape) {
        this.kernels = kernels;
        this.shape = shape;
    }

    Kernels kernels() {
        return kernels;
    }

    /** The owner's shape (shared, never modified). */
    int[] shapeRef() {
        return shape;
    }

    int numel() {
        return Shapes.numel(shape);
    }

    boolean requiresGrad() {
        return requiresGrad || gradFn != null;
    }

    void setRequiresGrad(boolean on) {
        if (gradFn != null) {
            throw new IllegalStateException("requiresGrad: only leaf tensors can change it; this one was made by "
                    + gradFn.op() + " " + Shapes.str(shape));
        }
        requiresGrad = on;
        if (!on) {
            grad = null;
        }
    }

    Node gradFn() {
        return gradFn;
    }

    void setGradFn(Node node) {
        gradFn = node;
    }

    /** The name of the op that produced the owner, or null for a leaf. */
    String op() {
        return gradFn == null ? null : gradFn.op();
    }

    void retainGrad() {
        retainGrad = true;
    }

    boolean retainsGrad() {
        return retainGrad;
    }

    Tensor gradOrNull() {
        return grad;
    }

    /** Whether a gradient has been allocated (a backward rule may then write instead of accumulate). */
    boolean hasGrad() {
        return grad != null;
    }

    /** The gradient to accumulate into, allocated zero-filled on first use. */
    Tensor gradSink() {
        if (grad == null) {
            grad = Tensor.zeros(kernels, shape);
        }
        return grad;
    }

    void releaseGrad() {
        if (grad != null) {
            if (!grad.lent) {
                grad.buffer().close();
            }
            grad = null;
        }
    }

    /** Lets the owner's backward rule hand its gradient buffer to an input (see {@link #adoptGrad}). */
    void lendGrad(boolean on) {
        if (grad != null) {
            grad.lendable = on && !retainGrad;
        }
    }

    /**
     * Takes {@code g} (a consumer's gradient holding the owner's elements in row-major order) as the owner's
     * gradient without a copy, when it has none yet and g's owner is done with it. Returns false (nothing
     * changed) otherwise; the caller then accumulates as usual.
     */
    boolean adoptGrad(Tensor g) {
        if (grad != null || !g.lendable || g.lent || !g.isContiguous() || g.numel() != numel()
                || g.kernels() != kernels) {
            return false;
        }
        grad = Tensor.view(g, g.offset(), shape.clone(), Shapes.rowMajorStrides(shape));
        g.lendable = false;
        g.lent = true;
        return true;
    }
}
