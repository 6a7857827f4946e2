package dev.peft4j.engine;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.Unary;

import java.util.Objects;

/**
 * A float32 n-d array over a {@link Buffer} of one {@link Kernels} backend: shape, strides (in floats)
 * and an offset, so transpose, permute, slice, expand and reshape of contiguous data are views sharing
 * storage. All arithmetic runs through the tensor's own backend.
 *
 * <p>Autograd: a leaf made with {@link #requiresGrad(boolean) requiresGrad(true)} collects gradients in
 * {@link #grad()}; ops on tensors that require grad record a backward rule (unless inside
 * {@link Autograd#noGrad()}), and {@link #backward()} on a scalar walks them in reverse. Gradients are
 * contiguous tensors of the owner's shape, allocated zero-filled on first use and accumulated into.
 */
public final class Tensor {

    private final Kernels kernels;
    private final Buffer buffer;
    private final int offset;
    private final int[] shape;
    private final int[] strides;

    // Autograd state lives apart from the data, so the tape can reach it without keeping the buffer alive.
    private final GradSlot slot;
    // Set on a gradient tensor while the backward rule of its (non-retaining) owner runs: the buffer may be
    // handed to an input whose gradient is the same elements in the same order (see GradSlot.adoptGrad).
    boolean lendable;
    boolean lent;

    Tensor(Kernels kernels, Buffer buffer, int offset, int[] shape, int[] strides) {
        this.kernels = Objects.requireNonNull(kernels, "kernels");
        this.buffer = Objects.requireNonNull(buffer, "buffer");
        this.offset = offset;
        this.shape = shape;
        this.strides = strides;
        this.slot = new GradSlot(kernels, shape);
    }

    // ------------------------------------------------------------------ creation

    /** A zero-filled tensor of {@code shape}. */
    public static Tensor zeros(Kernels kernels, int... shape) {
        int[] s = shape.clone();
        return new Tensor(kernels, kernels.allocate(Shapes.numel(s)), 0, s, Shapes.rowMajorStrides(s));
    }

    /** A tensor of {@code shape} with every element {@code value}. */
    public static Tensor full(Kernels kernels, float value, int... shape) {
        Tensor t = zeros(kernels, shape);
        if (value != 0f) {
            kernels.fill(t.buffer, 0, t.numel(), value);
        }
        return t;
    }

    public static Tensor ones(Kernels kernels, int... shape) {
        return full(kernels, 1f, shape);
    }

    /** A rank-0 tensor holding {@code value}. */
    public static Tensor scalar(Kernels kernels, float value) {
        return full(kernels, value, new int[0]);
    }

    /** A tensor holding a copy of row-major {@code data} in {@code shape}. */
    public static Tensor of(Kernels kernels, float[] data, int... shape) {
        int[] s = shape.clone();
        int n = Shapes.numel(s);
        if (data.length != n) {
            throw new IllegalArgumentException("Tensor.of: shape " + Shapes.str(s) + " holds " + n
                    + " elements but the data has " + data.length);
        }
        return new Tensor(kernels, kernels.upload(data, 0, n), 0, s, Shapes.rowMajorStrides(s));
    }

    /** Wraps an existing buffer range as a contiguous tensor (no copy). */
    public static Tensor wrap(Kernels kernels, Buffer buffer, int offset, int... shape) {
        int[] s = shape.clone();
        int n = Shapes.numel(s);
        if (offset < 0 || (long) offset + n > buffer.length()) {
            throw new IllegalArgumentException("Tensor.wrap: shape " + Shapes.str(s) + " at offset " + offset
                    + " does not fit a buffer of " + buffer.length() + " floats");
        }
        return new Tensor(kernels, buffer, offset, s, Shapes.rowMajorStrides(s));
    }

    /** A view of {@code base}'s storage with another layout; used by the view ops. */
    static Tensor view(Tensor base, int offset, int[] shape, int[] strides) {
        return new Tensor(base.kernels, base.buffer, offset, shape, strides);
    }

    /** A fresh contiguous tensor on this tensor's backend (no autograd). */
    Tensor newZeros(int... shape) {
        return zeros(kernels, shape);
    }

    // ------------------------------------------------------------------ layout

    public Kernels kernels() {
        return kernels;
    }

    /** The storage; with {@link #offset()} and {@link #strides()} it locates every element. */
    public Buffer buffer() {
        return buffer;
    }

    public int offset() {
        return offset;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int[] strides() {
        return strides.clone();
    }

    /** Number of axes. */
    public int rank() {
        return shape.length;
    }

    /** Size of {@code axis}; negative axes count from the end. */
    public int dim(int axis) {
        return shape[Shapes.axis("dim", axis, shape.length, shape)];
    }

    public int numel() {
        return Shapes.numel(shape);
    }

    /** Whether elements lie row-major without gaps from {@link #offset()}. */
    public boolean isContiguous() {
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    int[] shapeRef() {
        return shape;
    }

    int[] stridesRef() {
        return strides;
    }

    // ------------------------------------------------------------------ host data

    /** The elements in row-major order, copied to the host. */
    public float[] toArray() {
        if (isBf16() && !isContiguous()) {
            return bf16ViewToArray();
        }
        Tensor c = isContiguous() ? this : ViewOps.materialize(this);
        float[] host = new float[c.numel()];
        kernels.read(c.buffer, c.offset, host, 0, host.length);
        return host;
    }

    /** A strided view of bf16 storage (no kernel gathers bf16): widen the span it covers, then gather on the host. */
    private float[] bf16ViewToArray() {
        int n = numel();
        float[] out = new float[n];
        if (n == 0) {
            return out;
        }
        int lo = offset;
        int hi = offset;
        for (int d = 0; d < shape.length; d++) {
            int reach = (shape[d] - 1) * strides[d];
            lo += Math.min(0, reach);
            hi += Math.max(0, reach);
        }
        float[] span = new float[hi - lo + 1];
        kernels.read(buffer, lo, span, 0, span.length);
        int[] idx = new int[shape.length];
        for (int i = 0; i < n; i++) {
            int at = offset - lo;
            for (int d = 0; d < shape.length; d++) {
                at += idx[d] * strides[d];
            }
            out[i] = span[at];
            for (int d = shape.length - 1; d >= 0 && ++idx[d] == shape[d]; d--) {
                idx[d] = 0;
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ bf16 storage

    /** Whether the elements are stored as bfloat16 (a frozen base weight; see {@link #toBf16()}). */
    public boolean isBf16() {
        return buffer.isBf16();
    }

    /**
     * A copy of this tensor's values in bfloat16 storage (round to nearest even), contiguous, same shape: half
     * the memory, for a frozen weight. It never requires grad and is read-only; it serves as a linear layer's
     * weight (the GEMM widens it to float32 as it packs, so products accumulate in float32), an embedding
     * table, and {@link #toArray()}. Other ops on it fail naming the kernel. Not recorded.
     */
    public Tensor toBf16() {
        if (isBf16()) {
            return this;
        }
        Tensor c = isContiguous() ? this : ViewOps.materialize(this);
        int[] s = shape.clone();
        return new Tensor(kernels, kernels.toBf16(c.buffer, c.offset, c.numel()), 0, s, Shapes.rowMajorStrides(s));
    }

    private void requireWritable(String op) {
        if (isBf16()) {
            throw new IllegalStateException(op + ": tensor " + Shapes.str(shape) + " holds read-only bf16 frozen-base"
                    + " weights; writing, merging or loading into them is not supported: load the base model in f32"
                    + " (--base-dtype f32) to change it");
        }
    }

    /** The single element of a one-element tensor. */
    public float item() {
        if (numel() != 1) {
            throw new IllegalStateException("item: tensor " + Shapes.str(shape) + " has " + numel() + " elements");
        }
        float[] host = new float[1];
        kernels.read(buffer, offset, host, 0, 1);
        return host[0];
    }

    /** Overwrites this contiguous tensor's elements with row-major host data (not recorded). */
    public Tensor copyFrom(float[] data) {
        requireWritable("copyFrom");
        requireContiguous("copyFrom");
        if (data.length != numel()) {
            throw new IllegalArgumentException("copyFrom: tensor " + Shapes.str(shape) + " holds " + numel()
                    + " elements but the data has " + data.length);
        }
        kernels.write(data, 0, buffer, offset, data.length);
        return this;
    }

    /** Overwrites this contiguous tensor's elements with {@code src}'s (same shape, any layout; not recorded). */
    public Tensor copyFrom(Tensor src) {
        requireWritable("copyFrom");
        requireContiguous("copyFrom");
        requireSameBackend("copyFrom", src);
        if (!java.util.Arrays.equals(shape, src.shape)) {
            throw new IllegalArgumentException("copyFrom: shapes differ: " + Shapes.str(shape) + " <- "
                    + Shapes.str(src.shape));
        }
        kernels.stridedCopy(Shapes.atLeast1(shape), src.buffer, src.offset, Shapes.atLeast1Strides(src.strides),
                buffer, offset);
        return this;
    }

    /** Sets every element of this contiguous tensor to {@code value} (not recorded). */
    public Tensor fill(float value) {
        requireWritable("fill");
        requireContiguous("fill");
        kernels.fill(buffer, offset, numel(), value);
        return this;
    }

    /**
     * Throws an {@link ArithmeticException} naming {@code what} and the shape when any element is NaN or
     * infinite. Ops never check (it costs a pass); call this where a bad value must be caught early.
     */
    public Tensor checkFinite(String what) {
        Tensor c = isContiguous() ? this : ViewOps.materialize(this);
        // A sum of squares in float64 is NaN/inf exactly when some element is.
        double ss = kernels.sumOfSquares(c.buffer, c.offset, c.numel());
        if (!Double.isFinite(ss)) {
            throw new ArithmeticException(what + ": tensor " + Shapes.str(shape) + " has NaN or infinite elements");
        }
        return this;
    }

    // ------------------------------------------------------------------ autograd state

    public boolean requiresGrad() {
        return slot.requiresGrad();
    }

    /** Marks a leaf as a trainable (or frozen) parameter; returns this. */
    public Tensor requiresGrad(boolean on) {
        if (on && isBf16()) {
            throw new IllegalStateException("requiresGrad: tensor " + Shapes.str(shape) + " holds bf16 frozen-base"
                    + " weights, which cannot be trained (they would need float32 storage and gradients); load the"
                    + " base model in f32 (--base-dtype f32) to train it");
        }
        slot.setRequiresGrad(on);
        return this;
    }

    /** Whether this tensor was created by the user rather than by a recorded op. */
    public boolean isLeaf() {
        return slot.gradFn() == null;
    }

    /**
     * The accumulated gradient, or null when none has been computed (or it was zeroed). Valid until
     * {@link #zeroGrad()}: copy it (e.g. {@link #toArray()}) to keep its values past that.
     */
    public Tensor grad() {
        return slot.gradOrNull();
    }

    /**
     * Drops the gradient, handing its buffer back to the backend's pool (the OpenCL one, or the CPU's array pool),
     * so a tensor {@link #grad()} returned before must not be read after; the next backward allocates a fresh
     * zero-filled one.
     */
    public void zeroGrad() {
        releaseGrad();
    }

    /** Keeps this non-leaf tensor's gradient after backward (normally released once consumed). */
    public Tensor retainGrad() {
        slot.retainGrad();
        return this;
    }

    /** The name of the op that produced this tensor, or null for a leaf. */
    public String op() {
        return slot.op();
    }

    /** The same storage without history: a leaf that does not require grad. */
    public Tensor detach() {
        return view(this, offset, shape, strides);
    }

    /** Gradient of a scalar: seeds it with 1 and back-propagates. */
    public void backward() {
        if (numel() != 1) {
            throw new IllegalStateException("backward: needs a one-element tensor, got " + Shapes.str(shape)
                    + "; pass a gradient with backward(grad)");
        }
        Autograd.backward(this, full(kernels, 1f, shape));
    }

    /** Back-propagates {@code gradient}, the derivative of some scalar with respect to this tensor. */
    public void backward(Tensor gradient) {
        if (!java.util.Arrays.equals(shape, gradient.shape)) {
            throw new IllegalArgumentException("backward: gradient " + Shapes.str(gradient.shape)
                    + " does not match tensor " + Shapes.str(shape));
        }
        requireSameBackend("backward", gradient);
        Autograd.backward(this, gradient);
    }

    /** The autograd state: what backward rules capture when they only accumulate into this tensor. */
    GradSlot slot() {
        return slot;
    }

    Node gradFn() {
        return slot.gradFn();
    }

    void setGradFn(Node node) {
        slot.setGradFn(node);
    }

    boolean retainsGrad() {
        return slot.retainsGrad();
    }

    Tensor gradOrNull() {
        return slot.gradOrNull();
    }

    /** The gradient to accumulate into, allocated zero-filled on first use. */
    Tensor gradSink() {
        return slot.gradSink();
    }

    void releaseGrad() {
        slot.releaseGrad();
    }

    /** See {@link GradSlot#adoptGrad}. */
    boolean adoptGrad(Tensor g) {
        return slot.adoptGrad(g);
    }

    /** Whether a gradient has been allocated (a backward rule may then write instead of accumulate). */
    boolean hasGrad() {
        return slot.hasGrad();
    }

    void requireContiguous(String op) {
        if (!isContiguous()) {
            throw new IllegalStateException(op + ": needs a contiguous tensor, got shape " + Shapes.str(shape)
                    + " strides " + Shapes.str(strides) + "; call contiguous() first");
        }
    }

    void requireSameBackend(String op, Tensor other) {
        if (other.kernels != kernels) {
            throw new IllegalArgumentException(op + ": tensors live on different backends: " + kernels.name()
                    + " and " + other.kernels.name());
        }
    }

    // ------------------------------------------------------------------ elementwise

    public Tensor add(Tensor other) {
        return ElementwiseOps.add(this, other);
    }

    public Tensor sub(Tensor other) {
        return ElementwiseOps.sub(this, other);
    }

    public Tensor mul(Tensor other) {
        return ElementwiseOps.mul(this, other);
    }

    public Tensor div(Tensor other) {
        return ElementwiseOps.div(this, other);
    }

    /** {@code this * alpha + beta} elementwise. */
    public Tensor affine(float alpha, float beta) {
        return ElementwiseOps.affine(this, alpha, beta);
    }

    public Tensor add(float value) {
        return affine(1f, value);
    }

    public Tensor mul(float value) {
        return affine(value, 0f);
    }

    public Tensor neg() {
        return ElementwiseOps.unary(this, Unary.NEG);
    }

    public Tensor exp() {
        return ElementwiseOps.unary(this, Unary.EXP);
    }

    public Tensor log() {
        return ElementwiseOps.unary(this, Unary.LOG);
    }

    public Tensor sqrt() {
        return ElementwiseOps.unary(this, Unary.SQRT);
    }

    public Tensor rsqrt() {
        return ElementwiseOps.unary(this, Unary.RSQRT);
    }

    public Tensor reciprocal() {
        return ElementwiseOps.unary(this, Unary.RECIP);
    }

    public Tensor square() {
        return ElementwiseOps.unary(this, Unary.SQUARE);
    }

    public Tensor abs() {
        return ElementwiseOps.unary(this, Unary.ABS);
    }

    public Tensor tanh() {
        return ElementwiseOps.unary(this, Unary.TANH);
    }

    public Tensor relu() {
        return ElementwiseOps.unary(this, Unary.RELU);
    }

    public Tensor sigmoid() {
        return ElementwiseOps.unary(this, Unary.SIGMOID);
    }

    /** GELU, tanh approximation (GPT-2's {@code gelu_new}). */
    public Tensor gelu() {
        return ElementwiseOps.unary(this, Unary.GELU_TANH);
    }

    public Tensor silu() {
        return ElementwiseOps.unary(this, Unary.SILU);
    }

    // ------------------------------------------------------------------ reductions and softmax

    /** Sum of all elements as a rank-0 tensor. */
    public Tensor sum() {
        return ReduceOps.sumAll(this);
    }

    /** Mean of all elements as a rank-0 tensor. */
    public Tensor mean() {
        return sum().mul(1f / numel());
    }

    /** Sum over {@code axis}; keeps it as size 1 when {@code keepDim}. */
    public Tensor sum(int axis, boolean keepDim) {
        return ReduceOps.sumAxis(this, axis, keepDim);
    }

    public Tensor mean(int axis, boolean keepDim) {
        int a = Shapes.axis("mean", axis, shape.length, shape);
        return sum(a, keepDim).mul(1f / shape[a]);
    }

    /** Softmax over the last axis. */
    public Tensor softmax() {
        return ReduceOps.softmax(this);
    }

    /** Log-softmax over the last axis. */
    public Tensor logSoftmax() {
        return ReduceOps.logSoftmax(this);
    }

    // ------------------------------------------------------------------ linear algebra

    /** Matrix product over the last two axes; leading axes are batch axes (equal, or absent on {@code other}). */
    public Tensor matmul(Tensor other) {
        return MatmulOp.matmul(this, other);
    }

    // ------------------------------------------------------------------ views and layout

    /** Same elements in a new shape; one axis may be -1. A view when contiguous, else a copy. */
    public Tensor reshape(int... newShape) {
        return ViewOps.reshape(this, newShape);
    }

    /** Swaps two axes (a view). */
    public Tensor transpose(int axis0, int axis1) {
        return ViewOps.transpose(this, axis0, axis1);
    }

    /** Transpose of a 2-D tensor (a view). */
    public Tensor t() {
        if (shape.length != 2) {
            throw new IllegalArgumentException("t: needs a 2-D tensor, got " + Shapes.str(shape));
        }
        return transpose(0, 1);
    }

    /** Reorders axes: result axis i is this tensor's axis {@code order[i]} (a view). */
    public Tensor permute(int... order) {
        return ViewOps.permute(this, order);
    }

    /** Elements {@code [start, end)} along {@code axis} (a view). */
    public Tensor slice(int axis, int start, int end) {
        return ViewOps.slice(this, axis, start, end);
    }

    /** Inserts a size-1 axis at {@code axis} (a view). */
    public Tensor unsqueeze(int axis) {
        return ViewOps.unsqueeze(this, axis);
    }

    /** Removes the size-1 axis {@code axis} (a view). */
    public Tensor squeeze(int axis) {
        return ViewOps.squeeze(this, axis);
    }

    /** Broadcasts size-1 axes (and new leading axes) to {@code newShape} with stride 0 (a view). */
    public Tensor expand(int... newShape) {
        return ViewOps.expand(this, newShape);
    }

    /** This tensor if already contiguous, else a row-major copy (recorded). */
    public Tensor contiguous() {
        return isContiguous() ? this : ViewOps.contiguous(this);
    }

    /** Concatenates tensors along {@code axis}; all other axes must agree. */
    public static Tensor cat(int axis, Tensor... tensors) {
        return CatOp.cat(axis, tensors);
    }

    @Override
    public String toString() {
        return "Tensor" + Shapes.str(shape) + (slot.gradFn() != null ? " (" + slot.op() + ")"
                : slot.requiresGrad() ? " (requires grad)" : "");
    }
}
