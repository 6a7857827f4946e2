package dev.peft4j.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;

/**
 * Runs one fused {@code gemm(..., GemmEpilogue)} on a backend and checks it twice: against the unfused
 * composition on the same backend (plain gemm, low-rank gemm with beta 1, broadcast bias add, column
 * multiply and add, {@code unary}) within {@code tol·(1 + |x|)}, and against a float64 loop within
 * {@code 1e-5·(1 + Σ|terms|)} so the semantics are pinned independently of the other kernels.
 */
public final class GemmEpilogueCheck {

    /** Which parts one case sets. */
    public record Parts(int rank, boolean bias, boolean scale, boolean shift, Unary activation) {
        public static final Parts ALL = new Parts(8, true, true, true, Unary.GELU_TANH);

        public static Parts lowRank(int rank) {
            return new Parts(rank, false, false, false, null);
        }

        public static Parts activation(Unary f) {
            return new Parts(0, false, false, false, f);
        }

        @Override
        public String toString() {
            return "rank=" + rank + (bias ? " bias" : "") + (scale ? " scale" : "") + (shift ? " shift" : "")
                    + (activation != null ? " " + activation : "");
        }
    }

    public static final Parts BIAS = new Parts(0, true, false, false, null);
    public static final Parts SCALE = new Parts(0, false, true, false, null);
    public static final Parts SHIFT = new Parts(0, false, false, true, null);
    /** (IA)³ on a Linear: bias, then the learned column scale. */
    public static final Parts IA3 = new Parts(0, true, true, false, null);

    private GemmEpilogueCheck() {
    }

    /**
     * One case: C is m×n at offset {@code pad} with row stride n + pad (so tiles never touch the row
     * ends), A, B, U, V and out likewise padded; C starts random (NaN where beta is 0, which must be ignored).
     */
    public static void check(Kernels kx, boolean ta, boolean tb, int m, int n, int k, float alpha, float beta,
                             Parts parts, int pad, double tol, long seed) {
        String what = "gemm epilogue [" + parts + "] ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k
                + " alpha=" + alpha + " beta=" + beta + " pad=" + pad;
        Random rnd = new Random(seed);
        int lda = (ta ? m : k) + pad;
        int ldb = (tb ? k : n) + pad;
        int ldc = n + pad;
        int rank = parts.rank;
        int ldu = rank + pad;
        int ldv = rank + pad;
        int ldOut = n + pad;
        float[] a = uniform(rnd, pad + (ta ? k : m) * lda, -1, 1);
        float[] b = uniform(rnd, pad + (tb ? n : k) * ldb, -1, 1);
        float[] c0 = uniform(rnd, pad + m * ldc, -1, 1);
        if (beta == 0f) {
            java.util.Arrays.fill(c0, Float.NaN);
        }
        float[] u = uniform(rnd, pad + Math.max(rank, 1) * m * 2 + m * pad, -1, 1);
        float[] v = uniform(rnd, pad + Math.max(rank, 1) * n * 2 + n * pad, -1, 1);
        float[] bias = uniform(rnd, pad + n, -1, 1);
        float[] scale = uniform(rnd, pad + n, 0.5f, 1.5f);
        float[] shift = uniform(rnd, pad + n, -1, 1);
        float lowRankScale = 0.625f;

        // Fused.
        float[] fusedC;
        float[] fusedOut = null;
        try (Buffer ab = kx.upload(a, 0, a.length); Buffer bb = kx.upload(b, 0, b.length);
             Buffer cb = kx.upload(c0, 0, c0.length); Buffer ub = kx.upload(u, 0, u.length);
             Buffer vb = kx.upload(v, 0, v.length); Buffer biasB = kx.upload(bias, 0, bias.length);
             Buffer scaleB = kx.upload(scale, 0, scale.length); Buffer shiftB = kx.upload(shift, 0, shift.length);
             Buffer outB = kx.allocate(pad + m * ldOut)) {
            GemmEpilogue.Builder eb = GemmEpilogue.builder();
            if (rank > 0) eb.lowRank(lowRankScale, rank, ub, pad, ldu, vb, pad, ldv);
            if (parts.bias) eb.bias(biasB, pad);
            if (parts.scale) eb.colScale(scaleB, pad);
            if (parts.shift) eb.colShift(shiftB, pad);
            if (parts.activation != null) eb.activation(parts.activation, outB, pad, ldOut);
            kx.gemm(ta, tb, m, n, k, alpha, ab, pad, lda, bb, pad, ldb, beta, cb, pad, ldc, eb.build());
            fusedC = read(kx, cb, c0.length);
            if (parts.activation != null) fusedOut = read(kx, outB, pad + m * ldOut);
        }
        if (parts.activation != null) {
            checkInPlace(kx, ta, tb, m, n, k, alpha, beta, parts, pad, a, b, c0, u, v, bias, scale, shift,
                    lowRankScale, fusedOut, what);
        }

        // Unfused, on the same backend, in a contiguous m×n R.
        float[] r;
        float[] rOut = null;
        int mn = m * n;
        try (Buffer ab = kx.upload(a, 0, a.length); Buffer bb = kx.upload(b, 0, b.length);
             Buffer rb = kx.allocate(mn); Buffer tmp = kx.allocate(mn); Buffer ub = kx.upload(u, 0, u.length);
             Buffer vb = kx.upload(v, 0, v.length); Buffer biasB = kx.upload(bias, 0, bias.length);
             Buffer scaleB = kx.upload(scale, 0, scale.length); Buffer shiftB = kx.upload(shift, 0, shift.length);
             Buffer outB = kx.allocate(mn); Buffer cb = kx.upload(c0, 0, c0.length)) {
            kx.stridedCopy(new int[]{m, n}, cb, pad, new int[]{ldc, 1}, rb, 0);
            kx.gemm(ta, tb, m, n, k, alpha, ab, pad, lda, bb, pad, ldb, beta, rb, 0, n);
            if (rank > 0) kx.gemm(false, true, m, n, rank, lowRankScale, ub, pad, ldu, vb, pad, ldv, 1f, rb, 0, n);
            if (parts.bias) columnOp(kx, Binary.ADD, m, n, rb, biasB, pad, tmp);
            if (parts.scale) columnOp(kx, Binary.MUL, m, n, rb, scaleB, pad, tmp);
            if (parts.shift) columnOp(kx, Binary.ADD, m, n, rb, shiftB, pad, tmp);
            if (parts.activation != null) {
                kx.unary(parts.activation, rb, 0, outB, 0, mn);
                rOut = read(kx, outB, mn);
            }
            r = read(kx, rb, mn);
        }

        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float got = fusedC[pad + i * ldc + j];
                float want = r[i * n + j];
                if (!(Math.abs(got - want) <= tol * (1 + Math.abs(want)))) {
                    fail(what + ": C[" + i + "," + j + "] fused " + got + " vs unfused " + want);
                }
                // float64 semantics of the whole epilogue.
                double t = 0;
                double mag = 0;
                for (int p = 0; p < k; p++) {
                    double x = (double) a[pad + (ta ? p * lda + i : i * lda + p)] * b[pad + (tb ? j * ldb + p : p * ldb + j)];
                    t += x;
                    mag += Math.abs(x);
                }
                t *= alpha;
                mag *= Math.abs(alpha);
                if (beta != 0f) {
                    t += (double) beta * c0[pad + i * ldc + j];
                    mag += Math.abs((double) beta * c0[pad + i * ldc + j]);
                }
                for (int q = 0; q < rank; q++) {
                    double x = (double) lowRankScale * u[pad + i * ldu + q] * v[pad + j * ldv + q];
                    t += x;
                    mag += Math.abs(x);
                }
                if (parts.bias) {
                    t += bias[pad + j];
                    mag += Math.abs(bias[pad + j]);
                }
                if (parts.scale) {
                    t *= scale[pad + j];
                    mag *= scale[pad + j];
                }
                if (parts.shift) {
                    t += shift[pad + j];
                    mag += Math.abs(shift[pad + j]);
                }
                if (!(Math.abs(got - t) <= 1e-5 * (1 + mag))) {
                    fail(what + ": C[" + i + "," + j + "] fused " + got + " vs float64 " + t);
                }
                if (parts.activation != null) {
                    float o = fusedOut[pad + i * ldOut + j];
                    float ro = rOut[i * n + j];
                    if (!(Math.abs(o - ro) <= tol * (1 + Math.abs(got)))) {
                        fail(what + ": out[" + i + "," + j + "] fused " + o + " vs unfused " + ro + " (pre-activation " + got + ")");
                    }
                    double f = activation64(parts.activation, got);
                    if (!(Math.abs(o - f) <= 1e-5 * (1 + Math.abs(got)))) {
                        fail(what + ": out[" + i + "," + j + "] fused " + o + " vs float64 f(" + got + ") = " + f);
                    }
                }
            }
        }
        // Padding around C and out is untouched.
        for (int i = 0; i < m; i++) {
            for (int j = n; j < ldc && i * ldc + j + pad < fusedC.length; j++) {
                int at = pad + i * ldc + j;
                assertTrue(Float.compare(fusedC[at], c0[at]) == 0, what + ": C padding at " + at + " changed");
            }
        }
        for (int at = 0; at < pad; at++) {
            assertTrue(Float.compare(fusedC[at], c0[at]) == 0, what + ": C before its offset changed at " + at);
            if (fusedOut != null) {
                assertTrue(fusedOut[at] == 0f, what + ": out before its offset changed at " + at);
            }
        }
    }

    /**
     * The same epilogue with its activation in place: C must hold exactly what {@code out} held (the same
     * function of the same pre-activation), and C's padding must stay as it was.
     */
    private static void checkInPlace(Kernels kx, boolean ta, boolean tb, int m, int n, int k, float alpha,
                                     float beta, Parts parts, int pad, float[] a, float[] b, float[] c0, float[] u,
                                     float[] v, float[] bias, float[] scale, float[] shift, float lowRankScale,
                                     float[] fusedOut, String what) {
        int ldc = n + pad;
        float[] inPlace;
        try (Buffer ab = kx.upload(a, 0, a.length); Buffer bb = kx.upload(b, 0, b.length);
             Buffer cb = kx.upload(c0, 0, c0.length); Buffer ub = kx.upload(u, 0, u.length);
             Buffer vb = kx.upload(v, 0, v.length); Buffer biasB = kx.upload(bias, 0, bias.length);
             Buffer scaleB = kx.upload(scale, 0, scale.length); Buffer shiftB = kx.upload(shift, 0, shift.length)) {
            GemmEpilogue.Builder eb = GemmEpilogue.builder();
            if (parts.rank > 0) eb.lowRank(lowRankScale, parts.rank, ub, pad, parts.rank + pad, vb, pad, parts.rank + pad);
            if (parts.bias) eb.bias(biasB, pad);
            if (parts.scale) eb.colScale(scaleB, pad);
            if (parts.shift) eb.colShift(shiftB, pad);
            eb.activationInPlace(parts.activation);
            kx.gemm(ta, tb, m, n, k, alpha, ab, pad, (ta ? m : k) + pad, bb, pad, (tb ? k : n) + pad, beta,
                    cb, pad, ldc, eb.build());
            inPlace = read(kx, cb, c0.length);
        }
        for (int at = 0; at < inPlace.length; at++) {
            int i = (at - pad) / ldc;
            int j = (at - pad) % ldc;
            boolean inC = at >= pad && i < m && j < n;
            float want = inC ? fusedOut[pad + i * (n + pad) + j] : c0[at];
            if (Float.compare(inPlace[at], want) != 0) {
                fail(what + ": in place, C element " + at + " is " + inPlace[at] + ", expected "
                        + (inC ? "f(t) = " : "untouched ") + want);
            }
        }
    }

    private static double activation64(Unary f, double x) {
        return switch (f) {
            case RELU -> Math.max(x, 0);
            case SILU -> x / (1 + Math.exp(-x));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case TANH -> Math.tanh(x);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            default -> throw new IllegalArgumentException("no float64 reference for " + f);
        };
    }

    /** R[i, j] = R[i, j] op w[wOff + j] through broadcastBinary into tmp, then back. */
    private static void columnOp(Kernels kx, Binary op, int m, int n, Buffer rb, Buffer w, int wOff, Buffer tmp) {
        kx.broadcastBinary(op, new int[]{m, n}, rb, 0, new int[]{n, 1}, w, wOff, new int[]{0, 1}, tmp, 0);
        kx.copy(tmp, 0, rb, 0, m * n);
    }

    private static float[] read(Kernels kx, Buffer b, int len) {
        float[] out = new float[len];
        kx.read(b, 0, out, 0, len);
        return out;
    }

    private static float[] uniform(Random rnd, int n, float lo, float hi) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = lo + (hi - lo) * rnd.nextFloat();
        }
        return x;
    }
}
