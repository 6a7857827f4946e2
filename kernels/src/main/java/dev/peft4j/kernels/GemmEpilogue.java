package dev.peft4j.kernels;

/**
 * Work a GEMM does on each element of C as it stores it, so a Linear's bias, a LoRA update, an (IA)³ or
 * SSF scaling and an activation cost no extra pass over C. For every element, with the parts that are
 * absent taken as identity:
 *
 * <pre>
 * t = alpha·(op(A)·op(B))[i,j] + beta·C[i,j] + lowRankScale·Σ_r U[i,r]·V[j,r] + bias[j]
 * t = colScale[j]·t + colShift[j]
 * C[i,j] = t;  out[i,j] = f(t)   (out only with an activation)
 * C[i,j] = f(t)                   (an activation in place)
 * </pre>
 *
 * U is m×rank and V n×rank, both row-major (V is LoRA's {@code lora_B} weight [out, r], U the rank-r
 * intermediate {@code dropout(x)·Aᵀ}); bias, colScale and colShift hold n floats. With an activation C keeps
 * the pre-activation value, which the activation's backward needs, and {@code out} (m×n, row stride
 * {@code ldOut}) receives f(t); {@code out} must not overlap C, U or V. An activation in place stores f(t) in C
 * and keeps no pre-activation: for a forward that records no backward. Immutable: build one with
 * {@link #builder()}; {@link #NONE} is the plain GEMM.
 */
public final class GemmEpilogue {

    /** No epilogue: the plain {@code C = alpha·op(A)·op(B) + beta·C}. */
    public static final GemmEpilogue NONE = new Builder().build();

    private final float lowRankScale;
    private final int rank;
    private final Buffer u;
    private final int uOff;
    private final int ldu;
    private final Buffer v;
    private final int vOff;
    private final int ldv;
    private final Buffer bias;
    private final int biasOff;
    private final Buffer colScale;
    private final int colScaleOff;
    private final Buffer colShift;
    private final int colShiftOff;
    private final Unary activation;
    private final Buffer out;
    private final int outOff;
    private final int ldOut;

    private GemmEpilogue(Builder b) {
        lowRankScale = b.lowRankScale;
        rank = b.rank;
        u = b.u;
        uOff = b.uOff;
        ldu = b.ldu;
        v = b.v;
        vOff = b.vOff;
        ldv = b.ldv;
        bias = b.bias;
        biasOff = b.biasOff;
        colScale = b.colScale;
        colScaleOff = b.colScaleOff;
        colShift = b.colShift;
        colShiftOff = b.colShiftOff;
        activation = b.activation;
        out = b.out;
        outOff = b.outOff;
        ldOut = b.ldOut;
    }

    /** {@link #NONE}. */
    public static GemmEpilogue none() {
        return NONE;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** True when no part is set: the GEMM is plain. */
    public boolean isNone() {
        return !hasLowRank() && !hasBias() && !hasColScale() && !hasColShift() && !hasActivation();
    }

    public boolean hasLowRank() {
        return u != null;
    }

    public float lowRankScale() {
        return lowRankScale;
    }

    /** Rank r of the low-rank update (0 without one). */
    public int rank() {
        return rank;
    }

    public Buffer lowRankU() {
        return u;
    }

    public int lowRankUOffset() {
        return uOff;
    }

    public int ldu() {
        return ldu;
    }

    public Buffer lowRankV() {
        return v;
    }

    public int lowRankVOffset() {
        return vOff;
    }

    public int ldv() {
        return ldv;
    }

    public boolean hasBias() {
        return bias != null;
    }

    public Buffer bias() {
        return bias;
    }

    public int biasOffset() {
        return biasOff;
    }

    public boolean hasColScale() {
        return colScale != null;
    }

    public Buffer colScale() {
        return colScale;
    }

    public int colScaleOffset() {
        return colScaleOff;
    }

    public boolean hasColShift() {
        return colShift != null;
    }

    public Buffer colShift() {
        return colShift;
    }

    public int colShiftOffset() {
        return colShiftOff;
    }

    public boolean hasActivation() {
        return activation != null;
    }

    /** Whether C itself receives f(t) ({@link #activationOut()} is then null). */
    public boolean activationInPlace() {
        return activation != null && out == null;
    }

    /** The activation f, or null. */
    public Unary activation() {
        return activation;
    }

    public Buffer activationOut() {
        return out;
    }

    public int activationOutOffset() {
        return outOff;
    }

    public int ldOut() {
        return ldOut;
    }

    /**
     * Checks that every part fits an m×n C: each buffer holds the floats its part reads or writes, and each
     * row stride spans its rows. {@code op} names the caller in the message.
     */
    public void validate(String op, int m, int n) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (hasLowRank()) {
            matrix(op, "epilogue lowRank U", u, uOff, ldu, m, rank);
            matrix(op, "epilogue lowRank V", v, vOff, ldv, n, rank);
        }
        if (hasBias()) {
            vector(op, "epilogue bias", bias, biasOff, n);
        }
        if (hasColScale()) {
            vector(op, "epilogue colScale", colScale, colScaleOff, n);
        }
        if (hasColShift()) {
            vector(op, "epilogue colShift", colShift, colShiftOff, n);
        }
        if (hasActivation() && !activationInPlace()) {
            if (ldOut < n) {
                throw new IllegalArgumentException(op + ": epilogue activation out has row stride ldOut = " + ldOut
                        + " < n = " + n + " columns");
            }
            matrix(op, "epilogue activation out", out, outOff, ldOut, m, n);
        }
    }

    @Override
    public String toString() {
        if (isNone()) {
            return "GemmEpilogue.NONE";
        }
        StringBuilder sb = new StringBuilder("GemmEpilogue[");
        if (hasLowRank()) sb.append("lowRank(scale=").append(lowRankScale).append(", rank=").append(rank).append(") ");
        if (hasBias()) sb.append("bias ");
        if (hasColScale()) sb.append("colScale ");
        if (hasColShift()) sb.append("colShift ");
        if (hasActivation()) sb.append("activation(").append(activation).append(activationInPlace() ? ", in place) " : ") ");
        sb.setLength(sb.length() - 1);
        return sb.append(']').toString();
    }

    private static void matrix(String op, String part, Buffer buf, int off, int ld, int rows, int cols) {
        long end = off + (long) (rows - 1) * ld + cols;
        if (end > buf.length()) {
            throw new IllegalArgumentException(op + ": " + part + " (" + rows + "x" + cols + ", ld " + ld
                    + ", offset " + off + ") needs " + end + " floats but its buffer holds " + buf.length());
        }
    }

    private static void vector(String op, String part, Buffer buf, int off, int n) {
        if ((long) off + n > buf.length()) {
            throw new IllegalArgumentException(op + ": " + part + " needs n = " + n + " floats from offset " + off
                    + " but its buffer holds " + buf.length());
        }
    }

    /** Collects the parts; each may be set once. */
    public static final class Builder {
        private float lowRankScale;
        private int rank;
        private Buffer u;
        private int uOff;
        private int ldu;
        private Buffer v;
        private int vOff;
        private int ldv;
        private Buffer bias;
        private int biasOff;
        private Buffer colScale;
        private int colScaleOff;
        private Buffer colShift;
        private int colShiftOff;
        private Unary activation;
        private Buffer out;
        private int outOff;
        private int ldOut;

        private Builder() {
        }

        /** Adds {@code scale·Σ_r U[i,r]·V[j,r]}: U is m×rank (row stride ldu), V is n×rank (row stride ldv). */
        public Builder lowRank(float scale, int rank, Buffer u, int uOff, int ldu, Buffer v, int vOff, int ldv) {
            once(this.u, "lowRank");
            if (rank <= 0) {
                throw new IllegalArgumentException("GemmEpilogue: epilogue lowRank rank must be > 0, got " + rank);
            }
            nonNull(u, "lowRank U");
            nonNull(v, "lowRank V");
            offset(uOff, "lowRank U");
            offset(vOff, "lowRank V");
            if (ldu < rank || ldv < rank) {
                throw new IllegalArgumentException("GemmEpilogue: epilogue lowRank row strides ldu = " + ldu
                        + ", ldv = " + ldv + " must be >= rank " + rank);
            }
            this.lowRankScale = scale;
            this.rank = rank;
            this.u = u;
            this.uOff = uOff;
            this.ldu = ldu;
            this.v = v;
            this.vOff = vOff;
            this.ldv = ldv;
            return this;
        }

        /** Adds {@code b[off + j]} to column j. */
        public Builder bias(Buffer b, int off) {
            once(bias, "bias");
            nonNull(b, "bias");
            offset(off, "bias");
            bias = b;
            biasOff = off;
            return this;
        }

        /** Multiplies column j by {@code s[off + j]} (after the bias and low-rank terms). */
        public Builder colScale(Buffer s, int off) {
            once(colScale, "colScale");
            nonNull(s, "colScale");
            offset(off, "colScale");
            colScale = s;
            colScaleOff = off;
            return this;
        }

        /** Adds {@code t[off + j]} to column j (after the scale). */
        public Builder colShift(Buffer t, int off) {
            once(colShift, "colShift");
            nonNull(t, "colShift");
            offset(off, "colShift");
            colShift = t;
            colShiftOff = off;
            return this;
        }

        /** Also writes {@code f(C[i,j])} to {@code out[outOff + i·ldOut + j]}; C keeps the pre-activation. */
        public Builder activation(Unary f, Buffer out, int outOff, int ldOut) {
            once(activation, "activation");
            if (f == null) {
                throw new IllegalArgumentException("GemmEpilogue: epilogue activation function is null");
            }
            nonNull(out, "activation out");
            offset(outOff, "activation out");
            activation = f;
            this.out = out;
            this.outOff = outOff;
            this.ldOut = ldOut;
            return this;
        }

        /** Stores {@code f(t)} in C itself, keeping no pre-activation (a forward without backward). */
        public Builder activationInPlace(Unary f) {
            once(activation, "activation");
            if (f == null) {
                throw new IllegalArgumentException("GemmEpilogue: epilogue activation function is null");
            }
            activation = f;
            return this;
        }

        public GemmEpilogue build() {
            return new GemmEpilogue(this);
        }

        private static void once(Object existing, String part) {
            if (existing != null) {
                throw new IllegalStateException("GemmEpilogue: epilogue " + part + " is already set");
            }
        }

        private static void nonNull(Buffer b, String part) {
            if (b == null) {
                throw new IllegalArgumentException("GemmEpilogue: epilogue " + part + " buffer is null");
            }
        }

        private static void offset(int off, String part) {
            if (off < 0) {
                throw new IllegalArgumentException("GemmEpilogue: epilogue " + part + " offset " + off + " is negative");
            }
        }
    }
}
