package dev.peft4j.engine;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;

/**
 * A linear layer whose frozen weight carries a trainable sparse delta:
 * {@code y = x · (W + scatter(idx, v))ᵀ + b}, with {@code idx} nnz sorted flat positions in W viewed
 * [out, in] and {@code v} the nnz trained values.
 *
 * <p>Forward: the delta is scattered into a scratch copy of W (one copy of out·in floats plus an nnz
 * scatter) and a single GEMM follows, so the adapted layer costs what the frozen one does; a separate
 * sparse product {@code x · scatter(v)ᵀ} would add rows·nnz gathers on top of the same dense GEMM.
 * Backward: {@code dX = dY · W_eff} (the GEMM a frozen layer needs anyway), {@code dv = (dYᵀ X)} at the
 * nnz positions only through {@link Kernels#sampledGemm} (cost ∝ nnz·rows) while the pattern is no denser than
 * the backend's crossover ({@link Kernels#sampledGemmMaxDensity()}: 2 % on the CPU, 7 % on PoCL), above it as one
 * dense dW gathered at the positions; and {@code db}. A dense dW is kept only when W itself requires grad.
 */
public final class SparseDeltaOp {

    private SparseDeltaOp() {
    }

    /**
     * Where a delta's entries sit in a weight of [out, in] (stored [in, out] when {@code inOut}, GPT-2's
     * Conv1D): {@link #indices()} are sorted flat positions in the [out, in] view, {@link #storage()} the
     * same entries' positions in the stored array. Arrays are owned by the pattern; do not modify them.
     */
    public static final class Pattern {
        private final int out;
        private final int in;
        private final boolean inOut;
        private final int[] indices;
        private final int[] storage;

        private Pattern(int out, int in, boolean inOut, int[] indices, int[] storage) {
            this.out = out;
            this.in = in;
            this.inOut = inOut;
            this.indices = indices;
            this.storage = storage;
        }

        /**
         * Checks {@code indices} (strictly ascending inside [0, out·in)) and derives the storage positions;
         * {@code what} names the layer in errors.
         */
        public static Pattern of(int out, int in, boolean inOut, int[] indices, String what) {
            if (out < 0 || in < 0) {
                throw new IllegalArgumentException(what + ": negative size [" + out + ", " + in + "]");
            }
            long limit = (long) out * in;
            if (limit > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(what + ": [" + out + ", " + in + "] has more entries than int32 indices reach");
            }
            int[] storage = new int[indices.length];
            for (int k = 0; k < indices.length; k++) {
                int f = indices[k];
                if (f < 0 || f >= limit) {
                    throw new IllegalArgumentException(what + ": index " + k + " = " + f + " is outside [0, "
                            + limit + ") for a [" + out + ", " + in + "] weight");
                }
                if (k > 0 && f <= indices[k - 1]) {
                    throw new IllegalArgumentException(what + ": indices must ascend strictly, but index " + (k - 1)
                            + " = " + indices[k - 1] + " and index " + k + " = " + f);
                }
                storage[k] = inOut ? (f % in) * out + f / in : f;
            }
            return new Pattern(out, in, inOut, indices.clone(), storage);
        }

        public int out() {
            return out;
        }

        public int in() {
            return in;
        }

        /** Whether the weight is stored [in, out]. */
        public boolean inOut() {
            return inOut;
        }

        public int nnz() {
            return indices.length;
        }

        /** Sorted flat positions in the [out, in] view (a copy). */
        public int[] indices() {
            return indices.clone();
        }

        /** Positions in the stored weight array, in the order of {@link #indices()} (a copy). */
        public int[] storage() {
            return storage.clone();
        }

        int[] indicesRef() {
            return indices;
        }

        int[] storageRef() {
            return storage;
        }

        private int[] storedShape() {
            return inOut ? new int[] {in, out} : new int[] {out, in};
        }
    }

    /**
     * {@code x · (W + scatter(pattern, values))ᵀ + bias} for x [..., in], W as stored ([out, in], or
     * [in, out] when {@code pattern.inOut()}), values [nnz], bias [out] or null.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias, Pattern pattern, Tensor values) {
        checkOperands(weight, pattern, values);
        x.requireSameBackend("sparseDeltaLinear", weight);
        int out = pattern.out;
        int in = pattern.in;
        int[] xs = x.shapeRef();
        if (xs.length == 0 || xs[xs.length - 1] != in) {
            throw new IllegalArgumentException("sparseDeltaLinear: x " + Shapes.str(xs) + " does not end in the weight's "
                    + in + " input features");
        }
        Tensor xc = x.contiguous();
        Tensor eff = scattered(weight, pattern, values);
        Tensor y;
        try (var ignored = Autograd.noGrad()) {
            y = LinearOp.linear(xc, pattern.inOut ? eff.t() : eff, bias);
        }
        int rows = in == 0 ? 0 : xc.numel() / in;
        Kernels k = x.kernels();
        Tensor wc = weight.isContiguous() ? weight : weight.contiguous();
        Tensor targetX = xc.requiresGrad() ? xc : null;
        Tensor targetV = values.requiresGrad() ? values : null;
        Tensor targetW = wc.requiresGrad() ? wc : null;
        Tensor targetB = bias != null && bias.requiresGrad() ? bias : null;
        Tensor savedEff = targetX != null ? eff : null;
        Tensor savedX = targetV != null || targetW != null ? xc : null;
        int[] idx = pattern.indicesRef();
        boolean inOut = pattern.inOut;
        return Autograd.record(y, "sparse_delta_linear", gy -> {
            if (rows == 0) {
                return;
            }
            if (targetX != null) {
                Tensor dx = targetX.gradSink();
                // dX[rows, in] += dY[rows, out] · W_eff[out, in]; a stored [in, out] W_eff is read transposed.
                k.gemm(false, inOut, rows, in, out, 1f, gy.buffer(), gy.offset(), out,
                        savedEff.buffer(), savedEff.offset(), inOut ? out : in, 1f, dx.buffer(), dx.offset(), in);
            }
            if (targetV != null) {
                valuesGradient(k, rows, out, in, gy, savedX, idx, targetV.gradSink());
            }
            if (targetW != null) {
                Tensor dw = targetW.gradSink();
                if (inOut) {
                    k.gemm(true, false, in, out, rows, 1f, savedX.buffer(), savedX.offset(), in,
                            gy.buffer(), gy.offset(), out, 1f, dw.buffer(), dw.offset(), out);
                } else {
                    k.gemm(true, false, out, in, rows, 1f, gy.buffer(), gy.offset(), out,
                            savedX.buffer(), savedX.offset(), in, 1f, dw.buffer(), dw.offset(), in);
                }
            }
            if (targetB != null) {
                Tensor db = targetB.gradSink();
                k.sumTo(new int[] {rows, out}, gy.buffer(), gy.offset(), new int[] {1, out}, db.buffer(), db.offset(), true);
            }
        }, xc, wc, bias, values);
    }

    /** {@code dv += (dYᵀ X)[idx]}: sampled up to the backend's crossover density, a dense dW gathered above it. */
    private static void valuesGradient(Kernels k, int rows, int out, int in, Tensor gy, Tensor x, int[] idx,
                                       Tensor dv) {
        if (idx.length <= k.sampledGemmMaxDensity() * out * in) {
            k.sampledGemm(rows, out, in, 1f, gy.buffer(), gy.offset(), out, x.buffer(), x.offset(), in,
                    idx, idx.length, 1f, dv.buffer(), dv.offset());
            return;
        }
        try (Buffer dw = k.allocate(out * in); Buffer picked = k.allocate(idx.length)) {
            k.gemm(true, false, out, in, rows, 1f, gy.buffer(), gy.offset(), out, x.buffer(), x.offset(), in,
                    0f, dw, 0, in);
            k.embedding(dw, 0, out * in, 1, idx, picked, 0); // a gather of single floats: rows of width 1
            k.axpy(1f, picked, 0, dv.buffer(), dv.offset(), idx.length);
        }
    }

    /**
     * {@code W + scatter(pattern, values)} as a new tensor in W's storage layout (no autograd): a copy of W
     * and one scatter-add of the nnz values into it.
     */
    public static Tensor scattered(Tensor weight, Pattern pattern, Tensor values) {
        checkOperands(weight, pattern, values);
        Tensor wc = weight.isContiguous() ? weight : weight.contiguous();
        Tensor vc = values.isContiguous() ? values : values.contiguous();
        Tensor eff = wc.newZeros(pattern.storedShape());
        Kernels k = weight.kernels();
        k.copy(wc.buffer(), wc.offset(), eff.buffer(), eff.offset(), eff.numel());
        if (pattern.nnz() > 0) {
            // Positions are unique, so the scatter-add of rows of width 1 is a plain scatter onto W.
            k.embeddingBackward(vc.buffer(), vc.offset(), pattern.storageRef(), 1, eff.buffer(), eff.offset());
        }
        return eff;
    }

    private static void checkOperands(Tensor weight, Pattern pattern, Tensor values) {
        weight.requireSameBackend("sparseDeltaLinear", values);
        int[] want = pattern.storedShape();
        int[] ws = weight.shapeRef();
        if (ws.length != 2 || ws[0] != want[0] || ws[1] != want[1]) {
            throw new IllegalArgumentException("sparseDeltaLinear: weight " + Shapes.str(ws) + " differs from the pattern's "
                    + Shapes.str(want) + (pattern.inOut ? " ([in, out] storage)" : " ([out, in] storage)"));
        }
        if (values.rank() != 1 || values.dim(0) != pattern.nnz()) {
            throw new IllegalArgumentException("sparseDeltaLinear: values " + Shapes.str(values.shapeRef())
                    + " do not match the pattern's " + pattern.nnz() + " indices (expected [" + pattern.nnz() + "])");
        }
    }
}
