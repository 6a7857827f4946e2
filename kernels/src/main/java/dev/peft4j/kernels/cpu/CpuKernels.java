package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.Checks.array;
import static dev.peft4j.kernels.cpu.Checks.nonNegative;
import static dev.peft4j.kernels.cpu.Checks.optionalArray;
import static dev.peft4j.kernels.cpu.Checks.optionalSpan;
import static dev.peft4j.kernels.cpu.Checks.range;
import static dev.peft4j.kernels.cpu.Checks.span;

import dev.peft4j.kernels.AttentionLayout;
import dev.peft4j.kernels.Binary;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.GemmEpilogue;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.SampledGemmDensity;
import dev.peft4j.kernels.Unary;
import java.util.Arrays;

/**
 * The CPU backend: heap float arrays, Java Vector API loops, and {@link HelperThreads} splitting rows or
 * index ranges across cores. This class checks arguments and dispatches; the loops live in one class per
 * op family ({@link Elementwise}, {@link StridedLoops}, {@link SumTo}, {@link Reductions},
 * {@link SoftmaxKernels}, {@link NormKernels}, {@link EmbeddingKernels}, {@link OptimizerKernels}) and GEMM
 * in {@link CpuGemm} and {@link SampledGemm}.
 */
public final class CpuKernels implements Kernels {

    /** Element operations below which work stays on the calling thread (a fork costs a few microseconds). */
    public static final long DEFAULT_MIN_PARALLEL_WORK = 1 << 15;

    private final Parallel parallel;
    private final CpuGemm gemm;
    private final Elementwise elementwise;
    private final StridedLoops strided;
    private final SumTo sumTo;
    private final Reductions reductions;
    private final SoftmaxKernels softmax;
    private final NormKernels norms;
    private final EmbeddingKernels embeddings;
    private final OptimizerKernels optimizers;
    private final SampledGemm sampledGemm;
    private final FlashAttention attention;
    private final FlashAttentionBackward attentionBackward;
    private final LinearSoftmaxPass linearSoftmax;
    private final CpuArrayPool arrays = CpuArrayPool.configured();

    /** One thread per available core. */
    public CpuKernels() {
        this(Runtime.getRuntime().availableProcessors(), DEFAULT_MIN_PARALLEL_WORK);
    }

    /**
     * @param threads         threads per op, the caller included
     * @param minParallelWork element operations each forked task must have at least (tests lower it to
     *                        exercise the parallel paths on small inputs)
     */
    public CpuKernels(int threads, long minParallelWork) {
        this.parallel = new Parallel(threads, minParallelWork);
        this.gemm = new CpuGemm(parallel.helpers()); // one set of helper threads for every kernel
        this.elementwise = new Elementwise(parallel);
        this.strided = new StridedLoops(parallel);
        this.sumTo = new SumTo(parallel);
        this.reductions = new Reductions(parallel);
        this.softmax = new SoftmaxKernels(parallel);
        this.norms = new NormKernels(parallel);
        this.embeddings = new EmbeddingKernels(parallel);
        this.optimizers = new OptimizerKernels(parallel);
        this.sampledGemm = new SampledGemm(parallel);
        this.attention = new FlashAttention(parallel);
        this.attentionBackward = new FlashAttentionBackward(parallel);
        this.linearSoftmax = new LinearSoftmaxPass(parallel, arrays);
    }

    @Override
    public String name() {
        int bits = UnaryMath.SPECIES.vectorBitSize();
        String isa = switch (bits) {
            case 512 -> "AVX-512";
            case 256 -> "AVX2";
            default -> bits + "-bit SIMD";
        };
        return "cpu (" + isa + ", " + parallel.threads() + (parallel.threads() == 1 ? " thread)" : " threads)");
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Buffer allocate(int length) {
        nonNegative("allocate", "length", length);
        return new CpuBuffer(arrays.take(length), arrays);
    }

    /**
     * Allocations served so far by an array a closed buffer gave back ({@link CpuArrayPool}): what a training
     * step recycles instead of leaving to the garbage collector.
     */
    public long recycledArrays() {
        return arrays.reused();
    }

    /** Allocations so far long enough for the array pool: {@link #recycledArrays()} of them came from it. */
    public long poolableAllocations() {
        return arrays.requested();
    }

    @Override
    public Buffer upload(float[] host, int off, int len) {
        range("upload", "host", host, off, len);
        return new CpuBuffer(Arrays.copyOfRange(host, off, off + len));
    }

    @Override
    public void write(float[] host, int hostOff, Buffer dst, int dstOff, int len) {
        float[] d = span("write", "dst", dst, dstOff, len);
        range("write", "host", host, hostOff, len);
        System.arraycopy(host, hostOff, d, dstOff, len);
    }

    @Override
    public void read(Buffer src, int srcOff, float[] host, int hostOff, int len) {
        range("read", "host", host, hostOff, len);
        short[] h = Checks.bf16OrNull(src);
        if (h != null) {
            bf16Range("read", "src", h, srcOff, len);
            Bf16.widen(h, srcOff, host, hostOff, len);
            return;
        }
        float[] s = span("read", "src", src, srcOff, len);
        System.arraycopy(s, srcOff, host, hostOff, len);
    }

    @Override
    public void copy(Buffer src, int srcOff, Buffer dst, int dstOff, int len) {
        float[] d = span("copy", "dst", dst, dstOff, len);
        short[] h = Checks.bf16OrNull(src);
        if (h != null) {
            bf16Range("copy", "src", h, srcOff, len);
            Bf16.widen(h, srcOff, d, dstOff, len);
            return;
        }
        float[] s = span("copy", "src", src, srcOff, len);
        elementwise.copy(s, srcOff, d, dstOff, len);
    }

    @Override
    public void fill(Buffer dst, int off, int len, float value) {
        float[] d = span("fill", "dst", dst, off, len);
        elementwise.fill(d, off, len, value);
    }

    @Override
    public void stridedCopy(int[] shape, Buffer src, int srcOff, int[] srcStrides, Buffer dst, int dstOff) {
        float[] s = array("stridedCopy", "src", src);
        float[] d = array("stridedCopy", "dst", dst);
        long volume = Checks.volume("stridedCopy", "shape", shape);
        range("stridedCopy", "dst", d, dstOff, volume);
        if (volume == 0) {
            return;
        }
        Checks.stridedRange("stridedCopy", "src", s, srcOff, shape, srcStrides);
        strided.stridedCopy(shape, s, srcOff, srcStrides, d, dstOff);
    }

    @Override
    public Buffer toBf16(Buffer src, int off, int len) {
        float[] s = span("toBf16", "src", src, off, len);
        return new Bf16Buffer(Bf16.round(s, off, len));
    }

    /** {@code [off, off + len)} lies inside a bf16 buffer's elements. */
    private static void bf16Range(String op, String name, short[] bits, int off, long len) {
        if (len < 0 || off < 0 || off + len > bits.length) {
            throw new IndexOutOfBoundsException(op + ": bf16 '" + name + "' range [" + off + ", " + (off + len)
                    + ") lies outside its buffer of " + bits.length + " elements");
        }
    }

    // ---------------------------------------------------------------- GEMM

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     Buffer a, int aOff, int lda, long strideA,
                     Buffer b, int bOff, int ldb, long strideB,
                     float beta, Buffer c, int cOff, int ldc, long strideC, int batch) {
        String op = "gemm";
        float[] av = array(op, "a", a);
        short[] bh = Checks.bf16OrNull(b); // a bf16 B (a frozen weight) is widened while packing
        float[] bv = bh == null ? array(op, "b", b) : null;
        float[] cv = array(op, "c", c);
        nonNegative(op, "m", m);
        nonNegative(op, "n", n);
        nonNegative(op, "k", k);
        nonNegative(op, "batch", batch);
        if (m == 0 || n == 0 || batch == 0) {
            return;
        }
        // Stored shapes: A is m x k (k x m when transposed), B is k x n (n x k), C is m x n.
        checkMatrix(op, "a", av, aOff, lda, strideA, transA ? k : m, transA ? m : k, batch);
        checkMatrix(op, "b", bh != null ? bh.length : bv.length, bOff, ldb, strideB, transB ? n : k, transB ? k : n,
                batch);
        checkMatrix(op, "c", cv, cOff, ldc, strideC, m, n, batch);
        if (bh != null) {
            gemm.gemmBatched(transA, transB, m, n, k, alpha, av, aOff, lda, strideA, bh, bOff, ldb, strideB,
                    beta, cv, cOff, ldc, strideC, batch);
            return;
        }
        gemm.gemmBatched(transA, transB, m, n, k, alpha, av, aOff, lda, strideA, bv, bOff, ldb, strideB,
                beta, cv, cOff, ldc, strideC, batch);
    }

    @Override
    public void gemmFused(boolean transA, boolean transB, int m, int n, int k, float alpha,
                          Buffer a, int aOff, int lda, Buffer b, int bOff, int ldb,
                          float beta, Buffer c, int cOff, int ldc, GemmEpilogue epilogue) {
        String op = "gemm with " + epilogue;
        float[] av = array(op, "a", a);
        short[] bh = Checks.bf16OrNull(b);
        float[] bv = bh == null ? array(op, "b", b) : null;
        float[] cv = array(op, "c", c);
        nonNegative(op, "m", m);
        nonNegative(op, "n", n);
        nonNegative(op, "k", k);
        if (m == 0 || n == 0) {
            return;
        }
        checkMatrix(op, "a", av, aOff, lda, 0, transA ? k : m, transA ? m : k, 1);
        checkMatrix(op, "b", bh != null ? bh.length : bv.length, bOff, ldb, 0, transB ? n : k, transB ? k : n, 1);
        checkMatrix(op, "c", cv, cOff, ldc, 0, m, n, 1);
        epilogue.validate(op, m, n);
        gemm.gemm(transA, transB, m, n, k, alpha, av, aOff, lda, bv, bh, bOff, ldb, beta, cv, cOff, ldc,
                GemmEpilogueTile.of(op, epilogue));
    }

    /**
     * {@code peft4j bench sparse} (2 threads, AMD Zen 4, 512 rows) puts the crossover at 2.5 % of a 768 x 3072
     * weight and 2.1 % of a 768 x 768 one (JMH: between 2 and 5 %); at 10 % the sampled product is 2.6-3.2x
     * slower, at 0.1 % 10-12x faster. Both costs grow with the rows alike, so the crossover does not move with
     * the batch.
     */
    static final double SAMPLED_GEMM_MAX_DENSITY = 0.02;

    @Override
    public double sampledGemmMaxDensity() {
        return SampledGemmDensity.configured(SAMPLED_GEMM_MAX_DENSITY);
    }

    @Override
    public void sampledGemm(int rows, int m, int n, float alpha, Buffer a, int aOff, int lda, Buffer b, int bOff,
                            int ldb, int[] idx, int nnz, float beta, Buffer out, int outOff) {
        String op = "sampledGemm";
        float[] av = array(op, "a", a);
        float[] bv = array(op, "b", b);
        float[] ov = array(op, "out", out);
        nonNegative(op, "rows", rows);
        nonNegative(op, "m", m);
        nonNegative(op, "n", n);
        SampledGemm.checkIndices(op, idx, nnz, (long) m * n);
        range(op, "out", ov, outOff, nnz);
        if (nnz == 0) {
            return;
        }
        checkMatrix(op, "a", av, aOff, lda, 0, rows, m, 1);
        checkMatrix(op, "b", bv, bOff, ldb, 0, rows, n, 1);
        sampledGemm.run(rows, n, alpha, av, aOff, lda, bv, bOff, ldb, idx, nnz, beta, ov, outOff);
    }

    /** Every batch element's stored rows x cols matrix with row stride ld lies inside the buffer. */
    private static void checkMatrix(String op, String name, float[] data, int off, int ld, long stride,
                                    int rows, int cols, int batch) {
        checkMatrix(op, name, data.length, off, ld, stride, rows, cols, batch);
    }

    /** {@link #checkMatrix} against a buffer of {@code length} elements (float32 or bf16). */
    private static void checkMatrix(String op, String name, int length, int off, int ld, long stride,
                                    int rows, int cols, int batch) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException(op + ": ld" + name + " = " + ld + " is smaller than the "
                    + cols + " columns of the stored " + rows + "x" + cols + " matrix '" + name + "'");
        }
        if (stride < 0) {
            throw new IllegalArgumentException(op + ": stride of '" + name + "' = " + stride + " is negative");
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        long last = off + (batch - 1) * stride + (long) (rows - 1) * ld + cols;
        if (off < 0 || last > length) {
            throw new IndexOutOfBoundsException(op + ": " + batch + " x (" + rows + "x" + cols + ", ld " + ld
                    + ") matrix '" + name + "' at offset " + off + " with batch stride " + stride
                    + " reaches element " + last + " of a buffer of " + length);
        }
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public void unary(Unary op, Buffer x, int xOff, Buffer y, int yOff, int n) {
        String name = "unary " + op;
        float[] xv = span(name, "x", x, xOff, n);
        float[] yv = span(name, "y", y, yOff, n);
        elementwise.unary(op, xv, xOff, yv, yOff, n);
    }

    @Override
    public void unaryBackward(Unary op, Buffer x, int xOff, Buffer dy, int dyOff, Buffer dx, int dxOff, int n) {
        String name = "unaryBackward " + op;
        float[] dxv = optionalSpan(name, "dx", dx, dxOff, n);
        if (dxv == null) {
            return;
        }
        float[] xv = span(name, "x", x, xOff, n);
        float[] dyv = span(name, "dy", dy, dyOff, n);
        elementwise.unaryBackward(op, xv, xOff, dyv, dyOff, dxv, dxOff, n);
    }

    @Override
    public void binary(Binary op, Buffer a, int aOff, Buffer b, int bOff, Buffer out, int outOff, int n) {
        String name = "binary " + op;
        float[] av = span(name, "a", a, aOff, n);
        float[] bv = span(name, "b", b, bOff, n);
        float[] ov = span(name, "out", out, outOff, n);
        elementwise.binary(op, av, aOff, bv, bOff, ov, outOff, n);
    }

    @Override
    public void broadcastBinary(Binary op, int[] shape, Buffer a, int aOff, int[] aStrides,
                                Buffer b, int bOff, int[] bStrides, Buffer out, int outOff) {
        String name = "broadcastBinary " + op;
        float[] av = array(name, "a", a);
        float[] bv = array(name, "b", b);
        float[] ov = array(name, "out", out);
        long volume = Checks.volume(name, "shape", shape);
        range(name, "out", ov, outOff, volume);
        if (volume == 0) {
            return;
        }
        Checks.stridedRange(name, "a", av, aOff, shape, aStrides);
        Checks.stridedRange(name, "b", bv, bOff, shape, bStrides);
        strided.broadcastBinary(op, shape, av, aOff, aStrides, bv, bOff, bStrides, ov, outOff);
    }

    @Override
    public void sumTo(int[] srcShape, Buffer src, int srcOff, int[] dstShape, Buffer dst, int dstOff, boolean accumulate) {
        String op = "sumTo";
        float[] s = array(op, "src", src);
        float[] d = array(op, "dst", dst);
        long srcVolume = Checks.volume(op, "srcShape", srcShape);
        long dstVolume = Checks.volume(op, "dstShape", dstShape);
        if (dstShape.length != srcShape.length) {
            throw new IllegalArgumentException(op + ": dstShape " + Arrays.toString(dstShape)
                    + " must have the rank of srcShape " + Arrays.toString(srcShape));
        }
        for (int i = 0; i < srcShape.length; i++) {
            if (dstShape[i] != srcShape[i] && dstShape[i] != 1) {
                throw new IllegalArgumentException(op + ": cannot sum srcShape " + Arrays.toString(srcShape)
                        + " to dstShape " + Arrays.toString(dstShape) + ": axis " + i + " must be "
                        + srcShape[i] + " or 1");
            }
        }
        range(op, "src", s, srcOff, srcVolume);
        range(op, "dst", d, dstOff, dstVolume);
        if (srcVolume == 0) {
            if (!accumulate) {
                Arrays.fill(d, dstOff, dstOff + (int) dstVolume, 0f); // an empty sum is 0
            }
            return;
        }
        sumTo.sumTo(srcShape, s, srcOff, dstShape, d, dstOff, accumulate);
    }

    @Override
    public void scale(Buffer x, int xOff, float alpha, float beta, Buffer y, int yOff, int n) {
        float[] xv = span("scale", "x", x, xOff, n);
        float[] yv = span("scale", "y", y, yOff, n);
        elementwise.scale(xv, xOff, alpha, beta, yv, yOff, n);
    }

    @Override
    public void axpy(float alpha, Buffer x, int xOff, Buffer y, int yOff, int n) {
        float[] xv = span("axpy", "x", x, xOff, n);
        float[] yv = span("axpy", "y", y, yOff, n);
        elementwise.axpy(alpha, xv, xOff, yv, yOff, n);
    }

    @Override
    public void fma(Buffer a, int aOff, Buffer b, int bOff, Buffer c, int cOff, Buffer out, int outOff, int n) {
        float[] av = span("fma", "a", a, aOff, n);
        float[] bv = span("fma", "b", b, bOff, n);
        float[] cv = span("fma", "c", c, cOff, n);
        float[] ov = span("fma", "out", out, outOff, n);
        elementwise.fma(av, aOff, bv, bOff, cv, cOff, ov, outOff, n);
    }

    @Override
    public void scaleByScalar(Buffer x, int xOff, Buffer s, int sOff, int n) {
        float[] xv = span("scaleByScalar", "x", x, xOff, n);
        float[] sv = span("scaleByScalar", "s", s, sOff, 1);
        elementwise.scale(xv, xOff, sv[sOff], 0f, xv, xOff, n);
    }

    @Override
    public void dropoutMask(Buffer mask, int off, int n, float p, long seed) {
        float[] mv = span("dropoutMask", "mask", mask, off, n);
        if (!(p >= 0f && p <= 1f)) {
            throw new IllegalArgumentException("dropoutMask: probability p = " + p + " outside [0, 1]");
        }
        elementwise.dropoutMask(mv, off, n, p, seed);
    }

    // ---------------------------------------------------------------- reductions over rows

    @Override
    public void sumRows(Buffer x, int xOff, int rows, int cols, Buffer out, int outOff, boolean accumulate) {
        checkRows("sumRows", rows, cols);
        float[] xv = span("sumRows", "x", x, xOff, (long) rows * cols);
        float[] ov = span("sumRows", "out", out, outOff, rows);
        reductions.sumRows(xv, xOff, rows, cols, ov, outOff, accumulate);
    }

    @Override
    public void maxRows(Buffer x, int xOff, int rows, int cols, Buffer out, int outOff) {
        checkRows("maxRows", rows, cols);
        float[] xv = span("maxRows", "x", x, xOff, (long) rows * cols);
        float[] ov = span("maxRows", "out", out, outOff, rows);
        reductions.maxRows(xv, xOff, rows, cols, ov, outOff);
    }

    @Override
    public void sum(Buffer x, int xOff, int n, Buffer out, int outOff, boolean accumulate) {
        float[] xv = span("sum", "x", x, xOff, n);
        float[] ov = span("sum", "out", out, outOff, 1);
        double total = reductions.sum(xv, xOff, n);
        ov[outOff] = (float) (accumulate ? ov[outOff] + total : total);
    }

    @Override
    public double sumOfSquares(Buffer x, int xOff, int n) {
        float[] xv = span("sumOfSquares", "x", x, xOff, n);
        return reductions.sumOfSquares(xv, xOff, n);
    }

    // ---------------------------------------------------------------- softmax family

    @Override
    public void softmax(Buffer x, int xOff, Buffer y, int yOff, int rows, int cols, float scale,
                        boolean causal, int rowsPerBlock) {
        checkRows("softmax", rows, cols);
        float[] xv = span("softmax", "x", x, xOff, (long) rows * cols);
        float[] yv = span("softmax", "y", y, yOff, (long) rows * cols);
        if (causal && (rowsPerBlock < 1 || rowsPerBlock > cols)) {
            throw new IllegalArgumentException("softmax: causal rowsPerBlock = " + rowsPerBlock
                    + " must lie in [1, cols = " + cols + "] (cols - rowsPerBlock is the cached prefix)");
        }
        softmax.softmax(xv, xOff, yv, yOff, rows, cols, scale, causal, rowsPerBlock);
    }

    @Override
    public void onlineSoftmaxBlock(Buffer x, int xOff, int rows, int cols, Buffer max, Buffer sum, Buffer rescale,
                                   int stateOff, boolean first) {
        checkRows("onlineSoftmaxBlock", rows, cols);
        float[] xv = span("onlineSoftmaxBlock", "x", x, xOff, (long) rows * cols);
        float[] mv = span("onlineSoftmaxBlock", "max", max, stateOff, rows);
        float[] sv = span("onlineSoftmaxBlock", "sum", sum, stateOff, rows);
        float[] rv = first ? null : span("onlineSoftmaxBlock", "rescale", rescale, stateOff, rows);
        softmax.onlineSoftmaxBlock(xv, xOff, rows, cols, mv, sv, rv, stateOff, first);
    }

    @Override
    public void linearSoftmaxPass(Buffer x, int xOff, int rows, int in, Buffer w, int wOff, int vocab, int block,
                                  Buffer max, Buffer sum, Buffer acc) {
        String op = "linearSoftmaxPass";
        Kernels.checkLinearSoftmaxPass(rows, in, vocab, block);
        float[] xv = span(op, "x", x, xOff, (long) rows * in);
        short[] wh = Checks.bf16OrNull(w);
        float[] wv = null;
        if (wh != null) {
            bf16Range(op, "w", wh, wOff, (long) vocab * in);
        } else {
            wv = span(op, "w", w, wOff, (long) vocab * in);
        }
        float[] mv = span(op, "max", max, 0, rows);
        float[] sv = span(op, "sum", sum, 0, rows);
        float[] av = acc == null ? null : span(op, "acc", acc, 0, (long) rows * in);
        linearSoftmax.run(xv, xOff, rows, in, wv, wh, wOff, vocab, block, mv, sv, av);
    }

    @Override
    public void softmaxBackward(Buffer y, int yOff, Buffer dy, int dyOff, Buffer dx, int dxOff,
                                int rows, int cols, float scale) {
        float[] dxv = optionalArray("softmaxBackward", "dx", dx);
        if (dxv == null) {
            return;
        }
        checkRows("softmaxBackward", rows, cols);
        long len = (long) rows * cols;
        float[] yv = span("softmaxBackward", "y", y, yOff, len);
        float[] dyv = span("softmaxBackward", "dy", dy, dyOff, len);
        range("softmaxBackward", "dx", dxv, dxOff, len);
        softmax.softmaxBackward(yv, yOff, dyv, dyOff, dxv, dxOff, rows, cols, scale);
    }

    @Override
    public void logSoftmax(Buffer x, int xOff, Buffer y, int yOff, int rows, int cols) {
        checkRows("logSoftmax", rows, cols);
        float[] xv = span("logSoftmax", "x", x, xOff, (long) rows * cols);
        float[] yv = span("logSoftmax", "y", y, yOff, (long) rows * cols);
        softmax.logSoftmax(xv, xOff, yv, yOff, rows, cols);
    }

    @Override
    public void logSoftmaxBackward(Buffer y, int yOff, Buffer dy, int dyOff, Buffer dx, int dxOff, int rows, int cols) {
        float[] dxv = optionalArray("logSoftmaxBackward", "dx", dx);
        if (dxv == null) {
            return;
        }
        checkRows("logSoftmaxBackward", rows, cols);
        long len = (long) rows * cols;
        float[] yv = span("logSoftmaxBackward", "y", y, yOff, len);
        float[] dyv = span("logSoftmaxBackward", "dy", dy, dyOff, len);
        range("logSoftmaxBackward", "dx", dxv, dxOff, len);
        softmax.logSoftmaxBackward(yv, yOff, dyv, dyOff, dxv, dxOff, rows, cols);
    }

    @Override
    public void crossEntropy(Buffer logits, int logitsOff, int[] targets, int ignoreIndex, int rows, int vocab,
                             Buffer losses, int lossesOff, Buffer lse, int lseOff) {
        String op = "crossEntropy";
        checkRows(op, rows, vocab);
        float[] lv = span(op, "logits", logits, logitsOff, (long) rows * vocab);
        float[] lossv = span(op, "losses", losses, lossesOff, rows);
        float[] lsev = optionalSpan(op, "lse", lse, lseOff, rows);
        checkTargets(op, targets, ignoreIndex, rows, vocab);
        softmax.crossEntropy(lv, logitsOff, targets, ignoreIndex, rows, vocab, lossv, lossesOff, lsev, lseOff);
    }

    @Override
    public void crossEntropyBackward(Buffer logits, int logitsOff, Buffer lse, int lseOff, int[] targets,
                                     int ignoreIndex, int rows, int vocab, Buffer dLoss, int dLossOff, float scale,
                                     Buffer dlogits, int dlogitsOff) {
        String op = "crossEntropyBackward";
        float[] dv = optionalArray(op, "dlogits", dlogits);
        if (dv == null) {
            return;
        }
        checkRows(op, rows, vocab);
        float[] lv = span(op, "logits", logits, logitsOff, (long) rows * vocab);
        float[] lsev = span(op, "lse", lse, lseOff, rows);
        float[] dl = span(op, "dLoss", dLoss, dLossOff, 1);
        range(op, "dlogits", dv, dlogitsOff, (long) rows * vocab);
        checkTargets(op, targets, ignoreIndex, rows, vocab);
        softmax.crossEntropyBackward(lv, logitsOff, lsev, lseOff, targets, ignoreIndex, rows, vocab,
                dl[dLossOff] * scale, dv, dlogitsOff);
    }

    private static void checkTargets(String op, int[] targets, int ignoreIndex, int rows, int vocab) {
        if (targets == null || targets.length < rows) {
            throw new IllegalArgumentException(op + ": need " + rows + " targets, got "
                    + (targets == null ? "null" : targets.length));
        }
        for (int r = 0; r < rows; r++) {
            int t = targets[r];
            if (t != ignoreIndex && (t < 0 || t >= vocab)) {
                throw new IllegalArgumentException(op + ": targets[" + r + "] = " + t + " outside [0, " + vocab
                        + ") and not the ignore index " + ignoreIndex);
            }
        }
    }

    // ---------------------------------------------------------------- attention

    @Override
    public void attention(Buffer q, int qOff, AttentionLayout qLayout, Buffer k, int kOff, AttentionLayout kLayout,
                          Buffer v, int vOff, AttentionLayout vLayout, int bh, int tq, int tk, int d, int dv,
                          float scale, boolean causal, Buffer out, int outOff, AttentionLayout outLayout, Buffer lse,
                          int lseOff) {
        String op = "attention";
        FlashAttentionShape s = new FlashAttentionShape(op, bh, tq, tk, d, dv, causal);
        float[] qv = array(op, "q", q);
        float[] kv = array(op, "k", k);
        float[] vv = array(op, "v", v);
        float[] ov = array(op, "out", out);
        float[] lv = array(op, "lse", lse);
        laidOut(op, "q", qv, qOff, qLayout, bh, tq, d);
        laidOut(op, "k", kv, kOff, kLayout, bh, tk, d);
        laidOut(op, "v", vv, vOff, vLayout, bh, tk, dv);
        laidOut(op, "out", ov, outOff, outLayout, bh, tq, dv);
        range(op, "lse", lv, lseOff, s.lseLength());
        attention.forward(qv, qOff, qLayout, kv, kOff, kLayout, vv, vOff, vLayout, s, scale, ov, outOff, outLayout,
                lv, lseOff);
    }

    @Override
    public void attentionBackward(Buffer q, int qOff, AttentionLayout qLayout, Buffer k, int kOff,
                                  AttentionLayout kLayout, Buffer v, int vOff, AttentionLayout vLayout, Buffer out,
                                  int outOff, AttentionLayout outLayout, Buffer lse, int lseOff, Buffer dOut,
                                  int dOutOff, AttentionLayout dOutLayout, int bh, int tq, int tk, int d, int dv,
                                  float scale, boolean causal, Buffer dq, int dqOff, Buffer dk, int dkOff,
                                  Buffer dvOut, int dvOutOff) {
        String op = "attentionBackward";
        FlashAttentionShape s = new FlashAttentionShape(op, bh, tq, tk, d, dv, causal);
        float[] qv = array(op, "q", q);
        float[] kv = array(op, "k", k);
        float[] vv = array(op, "v", v);
        float[] ov = array(op, "out", out);
        float[] lv = array(op, "lse", lse);
        float[] gv = array(op, "dOut", dOut);
        float[] dqv = optionalArray(op, "dq", dq);
        float[] dkv = optionalArray(op, "dk", dk);
        float[] dvv = optionalArray(op, "dv", dvOut);
        laidOut(op, "q", qv, qOff, qLayout, bh, tq, d);
        laidOut(op, "k", kv, kOff, kLayout, bh, tk, d);
        laidOut(op, "v", vv, vOff, vLayout, bh, tk, dv);
        laidOut(op, "out", ov, outOff, outLayout, bh, tq, dv);
        range(op, "lse", lv, lseOff, s.lseLength());
        laidOut(op, "dOut", gv, dOutOff, dOutLayout, bh, tq, dv);
        laidOut(op, "dq", dqv, dqOff, qLayout, bh, tq, d);
        laidOut(op, "dk", dkv, dkOff, kLayout, bh, tk, d);
        laidOut(op, "dv", dvv, dvOutOff, vLayout, bh, tk, dv);
        attentionBackward.backward(qv, qOff, qLayout, kv, kOff, kLayout, vv, vOff, vLayout, ov, outOff, outLayout,
                lv, lseOff, gv, dOutOff, dOutLayout, s, scale, dqv, dqOff, dkv, dkOff, dvv, dvOutOff);
    }

    /**
     * Checks that an attention operand of {@code bh} heads × {@code rows} rows × {@code width} floats, laid out as
     * {@code layout} from {@code off}, lies inside its buffer (skipped when a is null: an unwanted gradient).
     */
    private static void laidOut(String op, String name, float[] a, int off, AttentionLayout layout, int bh, int rows,
                                int width) {
        if (a == null) {
            return;
        }
        if (layout == null) {
            throw new IllegalArgumentException(op + ": layout of '" + name + "' is null");
        }
        long extent = layout.extent(bh, rows, width);
        if (off < 0 || off + extent > a.length) {
            throw new IndexOutOfBoundsException(op + ": '" + name + "' [bh " + bh + ", rows " + rows + ", width "
                    + width + "] in " + layout + " at offset " + off + " reaches [" + off + ", " + (off + extent)
                    + ") outside its buffer of " + a.length + " floats");
        }
    }

    // ---------------------------------------------------------------- normalisation

    @Override
    public void layerNorm(Buffer x, int xOff, Buffer gamma, int gammaOff, Buffer beta, int betaOff,
                          Buffer y, int yOff, Buffer mean, int meanOff, Buffer rstd, int rstdOff,
                          int rows, int cols, float eps) {
        String op = "layerNorm";
        checkRows(op, rows, cols);
        float[] xv = span(op, "x", x, xOff, (long) rows * cols);
        float[] gv = optionalSpan(op, "gamma", gamma, gammaOff, cols);
        float[] bv = optionalSpan(op, "beta", beta, betaOff, cols);
        float[] yv = span(op, "y", y, yOff, (long) rows * cols);
        float[] mv = optionalSpan(op, "mean", mean, meanOff, rows);
        float[] rv = optionalSpan(op, "rstd", rstd, rstdOff, rows);
        norms.layerNorm(xv, xOff, gv, gammaOff, bv, betaOff, yv, yOff, mv, meanOff, rv, rstdOff, rows, cols, eps);
    }

    @Override
    public void layerNormBackward(Buffer x, int xOff, Buffer gamma, int gammaOff, Buffer mean, int meanOff,
                                  Buffer rstd, int rstdOff, Buffer dy, int dyOff,
                                  Buffer dx, int dxOff, Buffer dgamma, int dgammaOff, Buffer dbeta, int dbetaOff,
                                  int rows, int cols) {
        String op = "layerNormBackward";
        float[] dxv = optionalArray(op, "dx", dx);
        float[] dgv = optionalArray(op, "dgamma", dgamma);
        float[] dbv = optionalArray(op, "dbeta", dbeta);
        if (dxv == null && dgv == null && dbv == null) {
            return;
        }
        checkRows(op, rows, cols);
        long len = (long) rows * cols;
        float[] xv = span(op, "x", x, xOff, len);
        float[] gv = optionalSpan(op, "gamma", gamma, gammaOff, cols);
        float[] mv = span(op, "mean", mean, meanOff, rows);
        float[] rv = span(op, "rstd", rstd, rstdOff, rows);
        float[] dyv = span(op, "dy", dy, dyOff, len);
        range(op, "dx", dxv, dxOff, len);
        range(op, "dgamma", dgv, dgammaOff, cols);
        range(op, "dbeta", dbv, dbetaOff, cols);
        norms.layerNormBackward(xv, xOff, gv, gammaOff, mv, meanOff, rv, rstdOff, dyv, dyOff,
                dxv, dxOff, dgv, dgammaOff, dbv, dbetaOff, rows, cols);
    }

    @Override
    public void rmsNorm(Buffer x, int xOff, Buffer gamma, int gammaOff, Buffer y, int yOff, Buffer rstd, int rstdOff,
                        int rows, int cols, float eps) {
        String op = "rmsNorm";
        checkRows(op, rows, cols);
        float[] xv = span(op, "x", x, xOff, (long) rows * cols);
        float[] gv = optionalSpan(op, "gamma", gamma, gammaOff, cols);
        float[] yv = span(op, "y", y, yOff, (long) rows * cols);
        float[] rv = optionalSpan(op, "rstd", rstd, rstdOff, rows);
        norms.rmsNorm(xv, xOff, gv, gammaOff, yv, yOff, rv, rstdOff, rows, cols, eps);
    }

    @Override
    public void rmsNormBackward(Buffer x, int xOff, Buffer gamma, int gammaOff, Buffer rstd, int rstdOff,
                                Buffer dy, int dyOff, Buffer dx, int dxOff, Buffer dgamma, int dgammaOff,
                                int rows, int cols) {
        String op = "rmsNormBackward";
        float[] dxv = optionalArray(op, "dx", dx);
        float[] dgv = optionalArray(op, "dgamma", dgamma);
        if (dxv == null && dgv == null) {
            return;
        }
        checkRows(op, rows, cols);
        long len = (long) rows * cols;
        float[] xv = span(op, "x", x, xOff, len);
        float[] gv = optionalSpan(op, "gamma", gamma, gammaOff, cols);
        float[] rv = span(op, "rstd", rstd, rstdOff, rows);
        float[] dyv = span(op, "dy", dy, dyOff, len);
        range(op, "dx", dxv, dxOff, len);
        range(op, "dgamma", dgv, dgammaOff, cols);
        norms.rmsNormBackward(xv, xOff, gv, gammaOff, rv, rstdOff, dyv, dyOff, dxv, dxOff, dgv, dgammaOff, rows, cols);
    }

    // ---------------------------------------------------------------- embeddings

    @Override
    public void embedding(Buffer table, int tableOff, int tableRows, int dim, int[] ids, Buffer out, int outOff) {
        String op = "embedding";
        checkRows(op, tableRows, dim);
        short[] th = Checks.bf16OrNull(table); // a bf16 table's rows are widened as they are gathered
        float[] tv = null;
        if (th != null) {
            bf16Range(op, "table", th, tableOff, (long) tableRows * dim);
        } else {
            tv = span(op, "table", table, tableOff, (long) tableRows * dim);
        }
        float[] ov = array(op, "out", out);
        checkIds(op, ids, tableRows);
        range(op, "out", ov, outOff, (long) ids.length * dim);
        if (th != null) {
            embeddings.embedding(th, tableOff, dim, ids, ov, outOff);
            return;
        }
        embeddings.embedding(tv, tableOff, dim, ids, ov, outOff);
    }

    @Override
    public void embeddingBackward(Buffer dOut, int dOutOff, int[] ids, int dim, Buffer dTable, int dTableOff) {
        String op = "embeddingBackward";
        float[] tv = optionalArray(op, "dTable", dTable);
        if (tv == null) {
            return;
        }
        float[] ov = array(op, "dOut", dOut);
        nonNegative(op, "dim", dim);
        if (dim == 0) {
            return;
        }
        range(op, "dTable", tv, dTableOff, 0);
        int tableRows = (tv.length - dTableOff) / dim; // the contract gives no row count: the buffer bounds it
        checkIds(op, ids, tableRows);
        range(op, "dOut", ov, dOutOff, (long) ids.length * dim);
        embeddings.embeddingBackward(ov, dOutOff, ids, dim, tv, dTableOff);
    }

    private static void checkIds(String op, int[] ids, int tableRows) {
        if (ids == null) {
            throw new IllegalArgumentException(op + ": ids is null");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= tableRows) {
                throw new IllegalArgumentException(op + ": ids[" + i + "] = " + ids[i]
                        + " outside the table's rows [0, " + tableRows + ")");
            }
        }
    }

    // ---------------------------------------------------------------- optimizers

    @Override
    public void adamW(Buffer param, int pOff, Buffer grad, int gOff, Buffer m, int mOff, Buffer v, int vOff, int n,
                      float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
        String op = "adamW";
        float[] pv = span(op, "param", param, pOff, n);
        float[] gv = span(op, "grad", grad, gOff, n);
        float[] mv = span(op, "m", m, mOff, n);
        float[] vv = span(op, "v", v, vOff, n);
        if (step < 1) {
            throw new IllegalArgumentException(op + ": step = " + step + " must be >= 1 (steps count from 1)");
        }
        optimizers.adamW(pv, pOff, gv, gOff, mv, mOff, vv, vOff, n, lr, beta1, beta2, eps, weightDecay, step);
    }

    @Override
    public void sgd(Buffer param, int pOff, Buffer grad, int gOff, Buffer momentumBuf, int bOff, int n,
                    float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean firstStep) {
        String op = "sgd";
        float[] pv = span(op, "param", param, pOff, n);
        float[] gv = span(op, "grad", grad, gOff, n);
        float[] bv = optionalArray(op, "momentumBuf", momentumBuf);
        if (momentum != 0f && bv == null) {
            throw new IllegalArgumentException(op + ": momentum = " + momentum + " needs a momentumBuf, got null");
        }
        if (nesterov && (momentum <= 0f || dampening != 0f)) {
            throw new IllegalArgumentException(op + ": Nesterov momentum needs momentum > 0 and dampening 0, got momentum "
                    + momentum + ", dampening " + dampening);
        }
        if (momentum != 0f) {
            range(op, "momentumBuf", bv, bOff, n);
        }
        optimizers.sgd(pv, pOff, gv, gOff, bv, bOff, n, lr, momentum, dampening, weightDecay, nesterov, firstStep);
    }

    private static void checkRows(String op, int rows, int cols) {
        nonNegative(op, "rows", rows);
        nonNegative(op, "cols", cols);
    }

    @Override
    public void close() {
        parallel.close();
        arrays.clear();
    }
}
