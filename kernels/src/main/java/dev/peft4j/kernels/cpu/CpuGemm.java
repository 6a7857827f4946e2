package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.GemmMicroKernel.MR;
import static dev.peft4j.kernels.cpu.GemmMicroKernel.NR;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Row-major SGEMM on heap arrays: {@code C = alpha·op(A)·op(B) + beta·C}, GotoBLAS/BLIS style.
 *
 * <p>Loops, outermost first: NC columns of C → KC slice of k (pack op(B) KC×NC) → MC rows (pack op(A)
 * MC×KC) → NR-column micro-panels → MR-row micro-panels → {@link GemmMicroKernel}. The packing absorbs
 * the transposes. Work is split into rectangular regions of C (whole k each, so no reduction across
 * threads); the calling thread and {@code parallelism − 1} {@link HelperThreads} take regions from a shared
 * counter.
 * Problems under {@link #SERIAL_FLOPS} stay on the calling thread. A product with a side of at most one
 * vector (a LoRA rank) goes to {@link SkinnyGemm} instead, which packs only its narrow operand.
 */
public final class CpuGemm implements AutoCloseable {

    /** k slice: a KC×NR packed B micro-panel (32 KiB at NR = 32) stays in the 48 KiB L1. */
    static final int KC = 256;
    /**
     * C of at least this many floats (4 MiB) outgrows a core's L2, so each k slice is another pass over memory
     * for it: GPT-2's c_attn and c_fc outputs ([512, 2304], [512, 3072]), an LM head's vocabulary block or its
     * logits and weight gradient. Such products take k in slices of up to {@link #KC_LARGE_C} (one pass for
     * GPT-2's d = 768), trading the L1-resident B micro-panel for fewer passes over C: inside a GPT-2 LoRA step
     * those products ran 6-11 % faster (c_attn 214 -> 237 GFLOP/s). Smaller C keeps KC = 256: a longer slice
     * for every product lost 5-7 % of the step.
     */
    static final long LARGE_C = 1L << 20;
    static final int KC_LARGE_C = 768;
    /** Columns of C whose bf16 B slice {@link SkinnyGemm}'s transposed path widens at once (256·k floats). */
    static final int SKINNY_WIDEN_COLUMNS = 256;
    /** Rows of op(A) packed at once: MC×KC floats (192 KiB) stay in L2 while B micro-panels stream past. */
    static final int MC = 16 * MR;
    /** Columns of op(B) packed at once: KC×NC floats (2 MiB) are reused by every MC block of A. */
    static final int NC = 64 * NR;
    /**
     * Row parts start on a multiple of this: {@link GemmMicroKernel} takes edge rows four at a time, so 512 rows
     * split at 256 (21 tiles and 4 rows each) instead of at 264 (22 tiles against 20 and an 8-row edge).
     */
    static final int ROW_SPLIT_ALIGN = MR == 12 ? 4 : MR;
    /** Row split of a tall C: parts of this many rows repack B rarely yet still balance a busy machine. */
    static final int ROWS_PER_PART = 8 * MC;
    /** Below this many multiply-adds (batch·m·n·k) forking costs more than it saves. */
    static final long SERIAL_FLOPS = 1L << 21;
    /**
     * The same for {@link SkinnyGemm} products. A LoRA rank-8 product (512×8×768, 60-200 µs) once ran no faster
     * split in two, a parked pool worker taking as long to wake as it saved; {@link HelperThreads} start within
     * microseconds, and splitting every rank-8 product of a GPT-2 LoRA step cut their time from ~19 to ~12 ms.
     */
    static final long SKINNY_SERIAL_FLOPS = 1L << 20;

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    private static final class SharedHelpers {
        static final HelperThreads HELPERS = new HelperThreads(Runtime.getRuntime().availableProcessors() - 1);
    }

    private static final CpuGemm SERIAL = new CpuGemm(new HelperThreads(0)); // no helper: every call inline

    private final HelperThreads helpers;
    private final boolean ownsHelpers;

    /** Uses helpers shared by all default instances: one thread per available processor, the caller included. */
    public CpuGemm() {
        this(SharedHelpers.HELPERS, false);
    }

    /** Runs each large call on {@code threads} threads (the caller included), on helpers of its own. */
    public CpuGemm(int threads) {
        this(newHelpers(threads), true);
    }

    /** Runs on the caller and {@code helpers} (a backend's, shared with its other kernels). */
    CpuGemm(HelperThreads helpers) {
        this(helpers, false);
    }

    private CpuGemm(HelperThreads helpers, boolean ownsHelpers) {
        this.helpers = helpers;
        this.ownsHelpers = ownsHelpers;
    }

    private static HelperThreads newHelpers(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("CpuGemm: threads must be >= 1, got " + threads);
        }
        return new HelperThreads(threads - 1);
    }

    /** An instance that runs every call on the calling thread, for kernels that already split their work. */
    static CpuGemm serial() {
        return SERIAL;
    }

    /** Threads one large call uses. */
    public int parallelism() {
        return helpers.size() + 1;
    }

    /** Stops the helpers this instance made ({@link #CpuGemm(int)}); shared ones stay. */
    @Override
    public void close() {
        if (ownsHelpers) {
            helpers.close();
        }
    }

    /** C = alpha * op(A) * op(B) + beta * C for one matrix; see {@code Kernels.gemm}. */
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        gemmBatched(transA, transB, m, n, k, alpha, a, aOff, lda, 0, b, bOff, ldb, 0, beta, c, cOff, ldc, 0, 1);
    }

    /**
     * Batched {@code C[i] = alpha·op(A[i])·op(B[i]) + beta·C[i]} for i &lt; batch, where matrix i starts
     * at {@code off + i·stride}; a stride of 0 shares one matrix across the batch (not allowed for C).
     */
    public void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, long strideA,
                            float[] b, int bOff, int ldb, long strideB,
                            float beta, float[] c, int cOff, int ldc, long strideC, int batch) {
        check(transA, transB, m, n, k, a, aOff, lda, strideA, lengthOf(b), bOff, ldb, strideB, c, cOff, ldc, strideC,
                batch);
        if (m == 0 || n == 0 || batch == 0) {
            return;
        }
        execute(new Problem(transA, transB, m, n, k, alpha, a, aOff, lda, strideA,
                b, bOff, ldb, strideB, beta, c, cOff, ldc, strideC, null, null), batch);
    }

    /**
     * {@link #gemmBatched} with a bfloat16 B ({@link Bf16} bits): each panel of op(B) is widened to float32
     * while it is packed, so the product and its accumulation are exactly those of a float32 B holding the
     * same values.
     */
    public void gemmBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int aOff, int lda, long strideA,
                            short[] b, int bOff, int ldb, long strideB,
                            float beta, float[] c, int cOff, int ldc, long strideC, int batch) {
        check(transA, transB, m, n, k, a, aOff, lda, strideA, b == null ? 0 : b.length, bOff, ldb, strideB,
                c, cOff, ldc, strideC, batch);
        if (m == 0 || n == 0 || batch == 0) {
            return;
        }
        execute(new Problem(transA, transB, m, n, k, alpha, a, aOff, lda, strideA,
                null, bOff, ldb, strideB, beta, c, cOff, ldc, strideC, b, null), batch);
    }

    /**
     * One matrix with a fused epilogue ({@link GemmEpilogueTile}, null for none), applied to each tile of C
     * after its last k slice; B is float32 {@code b} or, when {@code b} is null, bf16 {@code bBf16}.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
              float[] b, short[] bBf16, int bOff, int ldb, float beta, float[] c, int cOff, int ldc,
              GemmEpilogueTile epilogue) {
        check(transA, transB, m, n, k, a, aOff, lda, 0, b != null ? b.length : bBf16 == null ? 0 : bBf16.length,
                bOff, ldb, 0, c, cOff, ldc, 0, 1);
        if (m == 0 || n == 0) {
            return;
        }
        execute(new Problem(transA, transB, m, n, k, alpha, a, aOff, lda, 0,
                b, bOff, ldb, 0, beta, c, cOff, ldc, 0, b == null ? bBf16 : null, epilogue), 1);
    }

    /** Runs a checked, non-empty problem, timed per shape when {@link GemmTimes} is on. */
    private void execute(Problem pr, int batch) {
        if (GemmTimes.ON) {
            long t0 = System.nanoTime();
            run(pr, batch);
            GemmTimes.record(pr.transA, pr.transB, pr.m, pr.n, pr.k, batch, pr.epilogue != null, pr.beta != 0f,
                    System.nanoTime() - t0);
        } else {
            run(pr, batch);
        }
    }

    /** Runs a checked, non-empty problem on the calling thread or across the pool. */
    private void run(Problem pr, int batch) {
        int m = pr.m;
        int n = pr.n;
        int k = pr.k;
        long flops = (long) batch * m * n * Math.max(k, 1);
        int threads = helpers.isHelperThread() ? 1 : parallelism(); // a helper's nested call runs inline
        if (threads <= 1 || flops < (SkinnyGemm.fits(m, n) ? SKINNY_SERIAL_FLOPS : SERIAL_FLOPS)) {
            Workspace ws = WORKSPACE.get();
            for (int i = 0; i < batch; i++) {
                pr.region(i, 0, m, 0, n, ws);
            }
            return;
        }
        runParallel(pr, batch, threads);
    }

    /** Splits every matrix of the batch into regions and lets {@code threads} participants drain them. */
    private void runParallel(Problem pr, int batch, int threads) {
        int rowParts = 1;
        int colParts = 1;
        if (batch < 2 * threads) {
            // Too few matrices to keep everyone busy: split each one along the side whose split repacks less.
            boolean splitRows = pr.rowSplitIsCheaper(threads);
            if (splitRows) {
                rowParts = Math.min(Math.max(threads, ceilDiv(pr.m, ROWS_PER_PART)), ceilDiv(pr.m, MR));
            } else {
                colParts = Math.min(Math.max(threads, ceilDiv(pr.n, NC)), ceilDiv(pr.n, NR));
            }
        }
        int rowStep = roundUp(ceilDiv(pr.m, rowParts), ROW_SPLIT_ALIGN);
        int colStep = roundUp(ceilDiv(pr.n, colParts), NR);
        rowParts = ceilDiv(pr.m, rowStep);
        colParts = ceilDiv(pr.n, colStep);
        int perMatrix = rowParts * colParts;
        int total = batch * perMatrix;
        AtomicInteger next = new AtomicInteger();
        int finalRowParts = rowParts;
        Runnable drain = () -> {
            Workspace ws = WORKSPACE.get();
            for (int t; (t = next.getAndIncrement()) < total; ) {
                int mat = t / perMatrix;
                int r = t % perMatrix;
                int i0 = (r % finalRowParts) * rowStep;
                int j0 = (r / finalRowParts) * colStep;
                pr.region(mat, i0, Math.min(pr.m, i0 + rowStep), j0, Math.min(pr.n, j0 + colStep), ws);
            }
        };
        HelperThreads.Task[] forked = new HelperThreads.Task[Math.min(threads, total) - 1];
        for (int h = 0; h < forked.length; h++) {
            forked[h] = helpers.submit(drain);
        }
        Throwable failure = null;
        try {
            drain.run();
        } catch (RuntimeException | Error e) {
            next.set(total);
            failure = e;
        }
        for (HelperThreads.Task task : forked) {
            try {
                task.join();
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        } else if (failure instanceof Error err) {
            throw err;
        }
    }

    /** One call's arguments; {@link #region} computes a rectangle of one batch element's C. */
    private record Problem(boolean transA, boolean transB, int m, int n, int k, float alpha,
                           float[] a, int aOff, int lda, long strideA,
                           float[] b, int bOff, int ldb, long strideB,
                           float beta, float[] c, int cOff, int ldc, long strideC,
                           short[] bBf16, // B's bits when B is bf16 (then b is null)
                           GemmEpilogueTile epilogue) { // null: none; only with one matrix

        /**
         * Splitting rows makes every part pack all of op(B); splitting columns makes every part pack all
         * of op(A). Transposing packs cost about three times a straight copy.
         */
        boolean rowSplitIsCheaper(int threads) {
            double costA = (double) m * k * (transA ? 1 : 3);
            double costB = (double) n * k * (transB ? 3 : 1);
            int colBlocks = ceilDiv(n, NC);
            double rowSplit = threads * costB + costA * colBlocks;
            double colSplit = Math.max(threads, colBlocks) * costA + costB;
            return rowSplit < colSplit && m >= 2 * MR;
        }

        void region(int mat, int i0, int i1, int j0, int j1, Workspace ws) {
            int ao = (int) (aOff + mat * strideA);
            int bo = (int) (bOff + mat * strideB);
            int co = (int) (cOff + mat * strideC);
            if (k == 0 || alpha == 0f) {
                scale(co, i0, i1, j0, j1);
                if (epilogue != null) {
                    epilogue.applyRegion(c, co, ldc, i0, i1, j0, j1, ws.packedV(epilogue));
                }
                return;
            }
            if (SkinnyGemm.fits(m, n)) {
                skinnyRegion(ao, bo, co, i0, i1, j0, j1, ws);
                if (epilogue != null) {
                    epilogue.applyRegion(c, co, ldc, i0, i1, j0, j1, ws.packedV(epilogue));
                }
                return;
            }
            int kcStep = (long) m * n >= LARGE_C ? Math.max(KC, Math.min(k, KC_LARGE_C)) : KC;
            float[] aPack = ws.aPack(kcStep);
            float[] bPack = ws.bPack(kcStep);
            for (int jc = j0; jc < j1; jc += NC) {
                int nc = Math.min(NC, j1 - jc);
                for (int pc = 0; pc < k; pc += kcStep) {
                    int kc = Math.min(kcStep, k - pc);
                    float betaNow = pc == 0 ? beta : 1f;
                    GemmEpilogueTile epi = pc + kc == k ? epilogue : null; // once per element, after the last slice
                    if (bBf16 != null) {
                        GemmPack.packB(transB, bBf16, bo, ldb, pc, kc, jc, nc, bPack, ws.rowIdx);
                    } else {
                        GemmPack.packB(transB, b, bo, ldb, pc, kc, jc, nc, bPack, ws.rowIdx);
                    }
                    for (int ic = i0; ic < i1; ic += MC) {
                        int mc = Math.min(MC, i1 - ic);
                        GemmPack.packA(transA, a, ao, lda, ic, mc, pc, kc, aPack, ws.rowIdx);
                        macroKernel(mc, nc, kc, aPack, bPack, ws, betaNow, co + ic * ldc + jc, epi, ic, jc);
                    }
                }
            }
        }

        /**
         * A rectangle of C through {@link SkinnyGemm}: with n ≤ L its rows are C' rows and op(B) is the packed
         * narrow operand; otherwise (m ≤ L) C' = Cᵀ, so op(A)ᵀ is packed and op(B)ᵀ is read in place (a bf16 B
         * widened a chunk of C's columns at a time).
         */
        private void skinnyRegion(int ao, int bo, int co, int i0, int i1, int j0, int j1, Workspace ws) {
            int rowA = transA ? 1 : lda; // op(A)(i, p) = a[ao + i·rowA + p·stepA]
            int stepA = transA ? lda : 1;
            int rowB = transB ? 1 : ldb; // op(B)(p, j) = b[bo + p·rowB + j·stepB]
            int stepB = transB ? ldb : 1;
            float[] packed = ws.skinnyPacked(k);
            if (n <= GemmMicroKernel.L) {
                SkinnyGemm.Narrow narrow = new SkinnyGemm.Narrow(b, bBf16, bo + j0 * stepB, rowB, stepB);
                SkinnyGemm.multiply(i1 - i0, j1 - j0, k, alpha, a, ao + i0 * rowA, rowA, stepA, narrow, beta,
                        c, co + i0 * ldc + j0, ldc, 1, packed, ws.skinnyLanes);
                return;
            }
            SkinnyGemm.Narrow narrow = new SkinnyGemm.Narrow(a, null, ao + i0 * rowA, stepA, rowA);
            if (bBf16 == null) {
                SkinnyGemm.multiply(j1 - j0, i1 - i0, k, alpha, b, bo + j0 * stepB, stepB, rowB, narrow, beta,
                        c, co + i0 * ldc + j0, 1, ldc, packed, ws.skinnyLanes);
                return;
            }
            // Widened in B's own layout, so the strides, loop and rounding are those of a float32 B.
            for (int jc = j0; jc < j1; jc += SKINNY_WIDEN_COLUMNS) {
                int cols = Math.min(SKINNY_WIDEN_COLUMNS, j1 - jc);
                float[] widened = ws.skinnyWidened(cols * k);
                if (transB) { // op(B) column jc + jj is stored row jc + jj: widened[jj·k + p]
                    for (int jj = 0; jj < cols; jj++) {
                        Bf16.widen(bBf16, bo + (jc + jj) * ldb, widened, jj * k, k);
                    }
                    SkinnyGemm.multiply(cols, i1 - i0, k, alpha, widened, 0, k, 1, narrow, beta,
                            c, co + i0 * ldc + jc, 1, ldc, packed, ws.skinnyLanes);
                } else { // op(B) row p holds the columns: widened[p·cols + jj]
                    for (int p = 0; p < k; p++) {
                        Bf16.widen(bBf16, bo + p * ldb + jc, widened, p * cols, cols);
                    }
                    SkinnyGemm.multiply(cols, i1 - i0, k, alpha, widened, 0, 1, cols, narrow, beta,
                            c, co + i0 * ldc + jc, 1, ldc, packed, ws.skinnyLanes);
                }
            }
        }

        /** One packed MC×KC block of A against a KC×NC panel of B; C[ic, jc] is {@code c[cIdx]}. */
        private void macroKernel(int mc, int nc, int kc, float[] aPack, float[] bPack, Workspace ws, float betaNow,
                                 int cIdx, GemmEpilogueTile epi, int ic, int jc) {
            float[] vt = epi == null ? null : ws.packedV(epi);
            for (int jr = 0; jr < nc; jr += NR) {
                int nr = Math.min(NR, nc - jr);
                if (epi != null) {
                    epi.packV(jc + jr, nr, vt);
                }
                for (int ir = 0; ir < mc; ir += MR) {
                    int mr = Math.min(MR, mc - ir);
                    int cTile = cIdx + ir * ldc + jr;
                    if (betaNow != 1f) {
                        GemmMicroKernel.scaleTile(c, cTile, ldc, mr, nr, betaNow);
                    }
                    GemmMicroKernel.run(kc, aPack, ir * kc, bPack, jr * kc, alpha, c, cTile, ldc, mr, nr, ws.tile);
                    if (epi != null) { // per tile while it is in L1, never inside the micro-kernel
                        epi.apply(c, cTile, ldc, ic + ir, jc + jr, mr, nr, vt);
                    }
                }
            }
            if (epi != null) {
                epi.activate(c, cIdx, ldc, ic, jc, mc, nc);
            }
        }

        /** C = beta·C on a rectangle (beta = 0 writes zeros, ignoring NaNs in C). */
        private void scale(int co, int i0, int i1, int j0, int j1) {
            for (int i = i0; i < i1; i++) {
                int row = co + i * ldc;
                for (int j = j0; j < j1; j++) {
                    c[row + j] = beta == 0f ? 0f : beta * c[row + j];
                }
            }
        }
    }

    /** One thread's packing buffers, reused by every call on that thread. */
    private static final class Workspace {
        private final float[] aPack = new float[MC * KC + GemmMicroKernel.L]; // slack for GemmPack's spilling stores
        private final float[] bPack = new float[KC * NC];
        private float[] aPackLong = new float[0];
        private float[] bPackLong = new float[0];
        final float[] tile = new float[MR * NR];
        final int[] rowIdx = new int[GemmMicroKernel.L];
        private float[] vPack = new float[0];
        private float[] skinnyPacked = new float[0];
        private float[] skinnyWidened = new float[0];
        final float[] skinnyLanes = new float[SkinnyGemm.LANES_SIZE];

        /** The A block buffer for k slices of {@code kc}; longer slices than KC get their own, made on first use. */
        float[] aPack(int kc) {
            if (kc <= KC) {
                return aPack;
            }
            if (aPackLong.length < MC * kc + GemmMicroKernel.L) {
                aPackLong = new float[MC * kc + GemmMicroKernel.L];
            }
            return aPackLong;
        }

        /** The B panel buffer for k slices of {@code kc}; see {@link #aPack(int)}. */
        float[] bPack(int kc) {
            if (kc <= KC) {
                return bPack;
            }
            if (bPackLong.length < kc * NC) {
                bPackLong = new float[kc * NC];
            }
            return bPackLong;
        }

        /** {@link SkinnyGemm}'s packed narrow operand for a k of {@code k}. */
        float[] skinnyPacked(int k) {
            if (skinnyPacked.length < SkinnyGemm.packedSize(k)) {
                skinnyPacked = new float[SkinnyGemm.packedSize(k)];
            }
            return skinnyPacked;
        }

        /** Scratch for a chunk of a bf16 B widened on {@link SkinnyGemm}'s transposed path. */
        float[] skinnyWidened(int size) {
            if (skinnyWidened.length < size) {
                skinnyWidened = new float[size];
            }
            return skinnyWidened;
        }

        /** Scratch for the epilogue's packed V panel, grown to its rank. */
        float[] packedV(GemmEpilogueTile epilogue) {
            if (vPack.length < epilogue.packedVSize()) {
                vPack = new float[epilogue.packedVSize()];
            }
            return vPack;
        }
    }

    private static void check(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
                              long strideA, int bLength, int bOff, int ldb, long strideB, float[] c, int cOff,
                              int ldc, long strideC, int batch) {
        if (m < 0 || n < 0 || k < 0 || batch < 0) {
            throw new IllegalArgumentException("gemm: negative size m=" + m + " n=" + n + " k=" + k + " batch=" + batch);
        }
        if (m == 0 || n == 0 || batch == 0) {
            return;
        }
        if (batch > 1 && strideC == 0) {
            throw new IllegalArgumentException("gemm: strideC is 0 with batch " + batch + " (outputs would overlap)");
        }
        checkOperand("A", lengthOf(a), aOff, lda, strideA, batch, transA ? k : m, transA ? m : k);
        checkOperand("B", bLength, bOff, ldb, strideB, batch, transB ? n : k, transB ? k : n);
        checkOperand("C", lengthOf(c), cOff, ldc, strideC, batch, m, n);
    }

    private static int lengthOf(float[] x) {
        return x == null ? 0 : x.length;
    }

    /**
     * A stored rows×cols matrix with leading dimension ld must lie inside the {@code length} elements for every
     * batch element.
     */
    private static void checkOperand(String name, int length, int off, int ld, long stride, int batch, int rows,
                                     int cols) {
        if (rows == 0 || cols == 0) {
            return;
        }
        if (ld < cols) {
            throw new IllegalArgumentException("gemm: ld" + name.toLowerCase() + "=" + ld + " < " + cols
                    + " columns of stored " + name + " (" + rows + "x" + cols + ")");
        }
        long first = off + Math.min(0, (batch - 1) * stride);
        long last = off + Math.max(0, (batch - 1) * stride) + (long) (rows - 1) * ld + cols;
        if (first < 0 || last > length) {
            throw new IllegalArgumentException("gemm: " + name + " (" + rows + "x" + cols + ", ld " + ld + ", offset "
                    + off + ", stride " + stride + ", batch " + batch + ") needs elements [" + first + ", " + last
                    + ") of an array of " + length);
        }
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    private static int roundUp(int x, int y) {
        return ceilDiv(x, y) * y;
    }
}
