package dev.peft4j.kernels.opencl;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.GemmEpilogue;

/**
 * Chooses and launches the GEMM kernels. Large products run the tiled kernel on the largest
 * tile-multiple block of C and the direct kernel on the right and bottom edge strips, so odd sizes
 * (vocabularies, LoRA ranks) need neither padding copies nor a slow path for the whole matrix.
 */
final class OpenClGemm {

    /** Below this many multiply-adds the tiled kernel's fixed costs do not pay off. */
    static final long TILED_MIN_MACS = 64L * 64 * 64;

    private final OpenClKernels backend;
    private final GemmTunables t;

    OpenClGemm(OpenClKernels backend, GemmTunables tunables) {
        this.backend = backend;
        this.t = tunables;
    }

    GemmTunables tunables() {
        return t;
    }

    void gemm(boolean ta, boolean tb, int m, int n, int k, float alpha,
              OpenClBuffer a, int aOff, int lda, long strideA,
              OpenClBuffer b, int bOff, int ldb, long strideB,
              float beta, OpenClBuffer c, int cOff, int ldc, long strideC, int batch) {
        validate(ta, tb, m, n, k, a, aOff, lda, strideA, b, bOff, ldb, strideB, c, cOff, ldc, strideC, batch);
        if (m == 0 || n == 0) return;
        boolean tiled = m >= t.mwg() && n >= t.nwg() && (long) m * n * k >= TILED_MIN_MACS;
        if (!tiled) {
            direct(ta, tb, 0, 0, m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB,
                    beta, c, cOff, ldc, strideC, batch);
            return;
        }
        int m0 = m - m % t.mwg();
        int n0 = n - n % t.nwg();
        backend.launch("gemm_tiled_" + variant(ta, tb))
                .i(k).f(alpha).f(beta)
                .mem(a).i(aOff).i(lda).l(strideA)
                .mem(b).i(bOff).i(ldb).l(strideB)
                .mem(c).i(cOff).i(ldc).l(strideC)
                .run(new long[]{(long) n0 / t.nwg() * t.ndimc(), (long) m0 / t.mwg() * t.mdimc(), batch},
                        new long[]{t.ndimc(), t.mdimc(), 1});
        if (n0 < n) {
            direct(ta, tb, 0, n0, m, n - n0, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB,
                    beta, c, cOff, ldc, strideC, batch);
        }
        if (m0 < m) {
            direct(ta, tb, m0, 0, m - m0, n0, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB,
                    beta, c, cOff, ldc, strideC, batch);
        }
    }

    /**
     * One matrix with a fused epilogue: the {@code gemm_*_epi_*} kernels finish each element of C in their
     * store phase (same tiled/direct split as {@link #gemm}); {@code e} is already validated.
     */
    void gemm(boolean ta, boolean tb, int m, int n, int k, float alpha, OpenClBuffer a, int aOff, int lda,
              OpenClBuffer b, int bOff, int ldb, float beta, OpenClBuffer c, int cOff, int ldc, Epilogue e) {
        validate(ta, tb, m, n, k, a, aOff, lda, 0, b, bOff, ldb, 0, c, cOff, ldc, 0, 1);
        if (m == 0 || n == 0) return;
        boolean tiled = m >= t.mwg() && n >= t.nwg() && (long) m * n * k >= TILED_MIN_MACS;
        int m0 = tiled ? m - m % t.mwg() : 0;
        int n0 = tiled ? n - n % t.nwg() : 0;
        if (tiled) {
            e.append(backend.launch("gemm_tiled_epi_" + variant(ta, tb))
                            .i(k).f(alpha).f(beta).mem(a).i(aOff).i(lda).mem(b).i(bOff).i(ldb).mem(c).i(cOff).i(ldc), 0, 0)
                    .run(new long[]{(long) n0 / t.nwg() * t.ndimc(), (long) m0 / t.mwg() * t.mdimc()},
                            new long[]{t.ndimc(), t.mdimc()});
        }
        // Edge strips (or the whole matrix when it is too small to tile): right, then bottom.
        if (n0 < n) {
            directEpilogue(ta, tb, 0, n0, m, n - n0, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, e);
        }
        if (m0 < m && n0 > 0) {
            directEpilogue(ta, tb, m0, 0, m - m0, n0, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, e);
        }
    }

    private void directEpilogue(boolean ta, boolean tb, int row0, int col0, int rows, int cols, int k, float alpha,
                                OpenClBuffer a, int aOff, int lda, OpenClBuffer b, int bOff, int ldb,
                                float beta, OpenClBuffer c, int cOff, int ldc, Epilogue e) {
        int wgd = t.wgd();
        e.append(backend.launch("gemm_direct_epi_" + variant(ta, tb))
                        .i(rows).i(cols).i(k).f(alpha).f(beta)
                        .mem(a).i(aOff + (ta ? row0 : row0 * lda)).i(lda)
                        .mem(b).i(bOff + (tb ? col0 * ldb : col0)).i(ldb)
                        .mem(c).i(cOff + row0 * ldc + col0).i(ldc), row0, col0)
                .run(new long[]{(long) ceilDiv(cols, wgd) * t.ndimcd(), (long) ceilDiv(rows, wgd) * t.mdimcd()},
                        new long[]{t.ndimcd(), t.mdimcd()});
    }

    /**
     * A {@link GemmEpilogue} as kernel arguments: the part bits of gemm.cl's EPI_* and each buffer with its
     * offset. An absent part's slot holds {@code absentPart} (the caller passes C): its bit in {@code parts} is clear,
     * so the kernel never reads it, and OpenCL has no null buffer argument to pass instead.
     */
    record Epilogue(int parts, float lowRankScale, int rank, OpenClBuffer u, int uOff, int ldu,
                    OpenClBuffer v, int vOff, int ldv, OpenClBuffer bias, int biasOff,
                    OpenClBuffer colScale, int colScaleOff, OpenClBuffer colShift, int colShiftOff,
                    int activation, OpenClBuffer out, int outOff, int ldOut) {

        static final int LOW_RANK = 1;
        static final int BIAS = 2;
        static final int SCALE = 4;
        static final int SHIFT = 8;
        static final int ACTIVATION = 16;
        static final int ACTIVATION_IN_PLACE = 32; // with ACTIVATION: C receives f(t), out is not written

        static Epilogue of(OpenClKernels owner, String op, GemmEpilogue e, OpenClBuffer absentPart) {
            int parts = (e.hasLowRank() ? LOW_RANK : 0) | (e.hasBias() ? BIAS : 0) | (e.hasColScale() ? SCALE : 0)
                    | (e.hasColShift() ? SHIFT : 0) | (e.hasActivation() ? ACTIVATION : 0)
                    | (e.activationInPlace() ? ACTIVATION_IN_PLACE : 0);
            boolean lr = e.hasLowRank();
            boolean act = e.hasActivation();
            boolean actOut = act && !e.activationInPlace();
            return new Epilogue(parts, e.lowRankScale(), e.rank(),
                    part(owner, op, lr, "lowRank U", e.lowRankU(), absentPart), lr ? e.lowRankUOffset() : 0,
                    lr ? e.ldu() : 0,
                    part(owner, op, lr, "lowRank V", e.lowRankV(), absentPart), lr ? e.lowRankVOffset() : 0,
                    lr ? e.ldv() : 0,
                    part(owner, op, e.hasBias(), "bias", e.bias(), absentPart), e.hasBias() ? e.biasOffset() : 0,
                    part(owner, op, e.hasColScale(), "colScale", e.colScale(), absentPart),
                    e.hasColScale() ? e.colScaleOffset() : 0,
                    part(owner, op, e.hasColShift(), "colShift", e.colShift(), absentPart),
                    e.hasColShift() ? e.colShiftOffset() : 0,
                    act ? e.activation().ordinal() : 0,
                    part(owner, op, actOut, "activation out", e.activationOut(), absentPart),
                    actOut ? e.activationOutOffset() : 0, actOut ? e.ldOut() : 0);
        }

        /** The OpenCL buffer of a present part (named in errors as "epilogue NAME"), else {@code absentPart}. */
        private static OpenClBuffer part(OpenClKernels owner, String op, boolean present, String name,
                                         Buffer b, OpenClBuffer absentPart) {
            return present ? Args.buf(owner, op, "epilogue " + name, b) : absentPart;
        }

        /** Appends the EPI_KERNEL_PARAMS arguments for the block of C starting at (row0, col0). */
        Launch append(Launch l, int row0, int col0) {
            boolean lr = (parts & LOW_RANK) != 0;
            return l.i(parts).f(lowRankScale).i(rank)
                    .mem(u).i(lr ? uOff + row0 * ldu : 0).i(ldu)
                    .mem(v).i(lr ? vOff + col0 * ldv : 0).i(ldv)
                    .mem(bias).i((parts & BIAS) != 0 ? biasOff + col0 : 0)
                    .mem(colScale).i((parts & SCALE) != 0 ? colScaleOff + col0 : 0)
                    .mem(colShift).i((parts & SHIFT) != 0 ? colShiftOff + col0 : 0)
                    .i(activation).mem(out).i((parts & (ACTIVATION | ACTIVATION_IN_PLACE)) == ACTIVATION
                            ? outOff + row0 * ldOut + col0 : 0).i(ldOut);
        }
    }

    /** The direct kernel on the block of C starting at (row0, col0) of size rows x cols. */
    private void direct(boolean ta, boolean tb, int row0, int col0, int rows, int cols, int k, float alpha,
                        OpenClBuffer a, int aOff, int lda, long strideA,
                        OpenClBuffer b, int bOff, int ldb, long strideB,
                        float beta, OpenClBuffer c, int cOff, int ldc, long strideC, int batch) {
        int wgd = t.wgd();
        backend.launch("gemm_direct_" + variant(ta, tb))
                .i(rows).i(cols).i(k).f(alpha).f(beta)
                .mem(a).i(aOff + (ta ? row0 : row0 * lda)).i(lda).l(strideA)
                .mem(b).i(bOff + (tb ? col0 * ldb : col0)).i(ldb).l(strideB)
                .mem(c).i(cOff + row0 * ldc + col0).i(ldc).l(strideC)
                .run(new long[]{(long) ceilDiv(cols, wgd) * t.ndimcd(), (long) ceilDiv(rows, wgd) * t.mdimcd(), batch},
                        new long[]{t.ndimcd(), t.mdimcd(), 1});
    }

    private static String variant(boolean ta, boolean tb) {
        return (ta ? "t" : "n") + (tb ? "t" : "n");
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static void validate(boolean ta, boolean tb, int m, int n, int k,
                                 OpenClBuffer a, int aOff, int lda, long strideA,
                                 OpenClBuffer b, int bOff, int ldb, long strideB,
                                 OpenClBuffer c, int cOff, int ldc, long strideC, int batch) {
        String shape = "gemm(transA=" + ta + ", transB=" + tb + ", m=" + m + ", n=" + n + ", k=" + k
                + ", batch=" + batch + ")";
        if (m < 0 || n < 0 || k < 0 || batch < 1) {
            throw new IllegalArgumentException(shape + ": sizes must be >= 0 and batch >= 1");
        }
        if (batch > 1 && strideC == 0 && m > 0 && n > 0) {
            throw new IllegalArgumentException(shape + ": strideC = 0 would make batch elements overwrite one C");
        }
        checkMatrix(shape, "A", ta ? k : m, ta ? m : k, a, aOff, lda, strideA, batch);
        checkMatrix(shape, "B", tb ? n : k, tb ? k : n, b, bOff, ldb, strideB, batch);
        checkMatrix(shape, "C", m, n, c, cOff, ldc, strideC, batch);
    }

    /** A stored rows x cols matrix with row stride ld must lie inside its buffer for every batch element. */
    private static void checkMatrix(String shape, String name, int rows, int cols, OpenClBuffer buf, int off, int ld,
                                    long stride, int batch) {
        if (rows == 0 || cols == 0) return;
        if (ld < cols) {
            throw new IllegalArgumentException(shape + ": ld" + name.toLowerCase() + "=" + ld + " < " + cols
                    + " columns of the stored " + name + " (" + rows + "x" + cols + ")");
        }
        if (off < 0 || stride < 0) {
            throw new IllegalArgumentException(shape + ": " + name + " offset and batch stride must be >= 0");
        }
        long end = off + (batch - 1) * stride + (long) (rows - 1) * ld + cols;
        if (end > buf.length()) {
            throw new IllegalArgumentException(shape + ": " + name + " (" + rows + "x" + cols + ", ld=" + ld
                    + ", offset " + off + ", batch stride " + stride + ") needs " + end + " floats but its buffer holds "
                    + buf.length());
        }
    }
}
