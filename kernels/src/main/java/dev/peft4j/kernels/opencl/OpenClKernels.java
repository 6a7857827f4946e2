package dev.peft4j.kernels.opencl;

import static dev.peft4j.kernels.opencl.Args.buf;
import static dev.peft4j.kernels.opencl.Args.nonNegative;
import static dev.peft4j.kernels.opencl.Args.optional;
import static dev.peft4j.kernels.opencl.Args.optionalSpan;
import static dev.peft4j.kernels.opencl.Args.range;
import static dev.peft4j.kernels.opencl.Args.span;
import static org.jocl.CL.*;

import dev.peft4j.kernels.AttentionLayout;
import dev.peft4j.kernels.Binary;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.DropoutHash;
import dev.peft4j.kernels.GemmEpilogue;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.SampledGemmDensity;
import dev.peft4j.kernels.Unary;
import dev.peft4j.kernels.cpu.FlashAttentionShape;
import dev.peft4j.kernels.cpu.SampledGemm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.LongConsumer;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;

/**
 * The OpenCL backend (JOCL). One context and in-order queue per instance; all kernels live in one
 * program built once at creation (sources under {@code dev/peft4j/kernels/opencl/*.cl}). Kernels run
 * asynchronously, and so do uploads of integer inputs (staged off-heap, {@link IntStaging}); {@link #read},
 * {@link #write} and {@link #sumOfSquares} wait for them. {@link #transfers()} counts host↔device traffic.
 * Not thread-safe: one thread drives a backend, as a training loop does.
 */
public final class OpenClKernels implements Kernels {

    private static final String[] SOURCES = {
        "common.cl", "elementwise.cl", "gemm.cl", "reduce.cl", "softmax.cl", "norm.cl", "embedding.cl", "optim.cl", "sampled.cl",
        "attention.cl"};

    /** Work-group cap of the row kernels (power of two); smaller devices get less. */
    private static final int ROW_WG = 256;

    /** Upper bound on work-groups of the whole-range sums (each writes one partial). */
    private static final int SUM_GROUPS = 256;

    private final OpenClContext cl;
    private final OpenClBufferPool pool;
    private final OpenClProgram program;
    private final OpenClGemm gemm;
    private final int rwg;
    // A one-float buffer bound to kernel arguments whose optional output is absent (OpenCL has no null cl_mem arg).
    private final OpenClBuffer absentArgument;
    private final OpenClAttention attention;
    private final IndexUploads indexUploads;
    private final IntStaging intStaging = new IntStaging();
    private LongConsumer eventTimer;
    private long floatUploads;
    private long floatUploadBytes;
    private long intUploads;
    private long intUploadBytes;
    private long downloads;
    private long downloadBytes;

    private OpenClKernels(OpenClContext cl, GemmTunables tunables) {
        this.cl = cl;
        this.pool = new OpenClBufferPool(cl);
        tunables.checkFits(cl.maxWorkGroupSize(), cl.localMemBytes);
        this.rwg = (int) Math.min(ROW_WG, Long.highestOneBit(cl.maxWorkGroupSize()));
        if (rwg < 16) {
            throw new OpenClException("OpenCL device " + cl.info.name() + " allows work-groups of only "
                    + cl.maxWorkGroupSize() + " items; peft4j needs 16");
        }
        this.program = cl.program(loadSources(), buildOptions(tunables));
        this.gemm = new OpenClGemm(this, tunables);
        // Stands in for absent optional operands: some drivers reject null buffer arguments.
        this.absentArgument = pool.acquire(1, true);
        this.attention = new OpenClAttention(this, absentArgument);
        this.indexUploads = new IndexUploads(this::uploadInts);
    }

    /** Opens device {@code deviceIndex} of {@link OpenClDevices#list()} with its default GEMM tunables. */
    public static OpenClKernels create(int deviceIndex) {
        return create(deviceIndex, null);
    }

    /** Opens a device with explicit GEMM tunables ({@code null}: defaults for its type plus overrides). */
    public static OpenClKernels create(int deviceIndex, GemmTunables tunables) {
        OpenClContext cl;
        try {
            CL.setExceptionsEnabled(true);
            cl = OpenClContext.open(deviceIndex);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw OpenClException.notAvailable(e);
        }
        try {
            return new OpenClKernels(cl, tunables != null ? tunables : GemmTunables.forDevice(cl.info));
        } catch (RuntimeException e) {
            cl.close();
            throw e;
        }
    }

    private String buildOptions(GemmTunables tunables) {
        StringBuilder sb = new StringBuilder(tunables.defines());
        sb.append(" -DRWG=").append(rwg).append(" -DUSE_DOUBLE=").append(cl.fp64 ? 1 : 0);
        for (Unary u : Unary.values()) sb.append(" -DUNARY_").append(u.name()).append('=').append(u.ordinal());
        for (Binary b : Binary.values()) sb.append(" -DBINARY_").append(b.name()).append('=').append(b.ordinal());
        return sb.toString();
    }

    private static String loadSources() {
        StringBuilder sb = new StringBuilder();
        for (String name : SOURCES) {
            try (InputStream in = OpenClKernels.class.getResourceAsStream(name)) {
                if (in == null) throw new OpenClException("OpenCL source " + name + " missing from the classpath");
                sb.append("// ---- ").append(name).append('\n')
                        .append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
            } catch (IOException e) {
                throw new OpenClException("cannot read OpenCL source " + name + ": " + e.getMessage(), e);
            }
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- backend plumbing

    /** The device this backend runs on. */
    public OpenClDevice device() {
        return cl.info;
    }

    /** The GEMM tunables the program was built with. */
    public GemmTunables gemmTunables() {
        return gemm.tunables();
    }

    /** A snapshot of the buffer pool, including its high-water marks. */
    public OpenClPoolStats poolStats() {
        return pool.stats();
    }

    /** Host↔device traffic since creation; take two snapshots and {@link OpenClTransfers#since diff} them. */
    public OpenClTransfers transfers() {
        return new OpenClTransfers(floatUploads, floatUploadBytes, intUploads, intUploadBytes, downloads, downloadBytes);
    }

    private void countDownload(long bytes) {
        downloads++;
        downloadBytes += bytes;
    }

    /** Blocks until every enqueued command has finished. */
    public void finish() {
        cl.finish();
        intStaging.completed();
    }

    /**
     * Runs {@code work}, waits for it, and returns the device time of the kernels it launched, summed
     * from profiling events. Each launch waits for its event, so use this to measure, not in training.
     */
    public long deviceNanos(Runnable work) {
        long[] total = new long[1];
        LongConsumer previous = eventTimer;
        eventTimer = ns -> total[0] += ns;
        try {
            work.run();
            finish();
        } finally {
            eventTimer = previous;
        }
        return total[0];
    }

    LongConsumer eventTimer() {
        return eventTimer;
    }

    cl_command_queue queue() {
        return cl.queue;
    }

    OpenClBufferPool pool() {
        return pool;
    }

    OpenClContext context() {
        return cl;
    }

    Launch launch(String kernel) {
        return new Launch(this, program.kernel(kernel), kernel);
    }

    OpenClOutOfMemoryException outOfMemory(CLException e, String kernel) {
        OpenClPoolStats s = pool.stats();
        return new OpenClOutOfMemoryException(cl.info.name(), s.inUseBytes(), cl.info.globalMemBytes(), cl.maxAllocBytes,
                s.heldBytes(), "kernel '" + kernel + "' could not get its buffers resident (requested = bytes in use; "
                + e.getMessage() + ")", e);
    }

    private OpenClBuffer uploadInts(int[] values, int count) {
        OpenClBuffer b = pool.acquire(Math.max(count, 1), false);
        if (count > 0) {
            if (intStaging.full()) finish();
            clEnqueueWriteBuffer(cl.queue, b.mem(), CL_FALSE, 0, 4L * count, Pointer.to(intStaging.stage(values, count)),
                    0, null, null);
            intUploads++;
            intUploadBytes += 4L * count;
        }
        return b;
    }

    @Override
    public String name() {
        return "opencl (" + cl.info.name() + ", " + cl.info.platform() + ")";
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Buffer allocate(int length) {
        nonNegative("allocate", "length", length);
        return pool.acquire(length, true);
    }

    @Override
    public Buffer upload(float[] host, int off, int len) {
        range("upload", "host", host, off, len);
        OpenClBuffer b = pool.acquire(len, false);
        write(host, off, b, 0, len);
        return b;
    }

    @Override
    public void write(float[] host, int hostOff, Buffer dst, int dstOff, int len) {
        range("write", "host", host, hostOff, len);
        OpenClBuffer d = span(this, "write", "dst", dst, dstOff, len);
        if (len == 0) return;
        try {
            clEnqueueWriteBuffer(cl.queue, d.mem(), CL_TRUE, 4L * dstOff, 4L * len,
                    Pointer.to(host).withByteOffset(4L * hostOff), 0, null, null);
        } catch (CLException e) {
            throw pool.translate(e, 4L * len, "writing to a buffer");
        }
        intStaging.completed(); // a blocking write waits for everything queued before it
        floatUploads++;
        floatUploadBytes += 4L * len;
    }

    @Override
    public void read(Buffer src, int srcOff, float[] host, int hostOff, int len) {
        range("read", "host", host, hostOff, len);
        OpenClBuffer s = span(this, "read", "src", src, srcOff, len);
        if (len == 0) return;
        clEnqueueReadBuffer(cl.queue, s.mem(), CL_TRUE, 4L * srcOff, 4L * len,
                Pointer.to(host).withByteOffset(4L * hostOff), 0, null, null);
        intStaging.completed();
        countDownload(4L * len);
    }

    @Override
    public void copy(Buffer src, int srcOff, Buffer dst, int dstOff, int len) {
        OpenClBuffer s = span(this, "copy", "src", src, srcOff, len);
        OpenClBuffer d = span(this, "copy", "dst", dst, dstOff, len);
        if (s == d && srcOff < dstOff + len && dstOff < srcOff + len && len > 0) {
            throw new IllegalArgumentException("copy: overlapping ranges [" + srcOff + ", " + (srcOff + len) + ") and ["
                    + dstOff + ", " + (dstOff + len) + ") of one buffer");
        }
        if (len == 0) return;
        clEnqueueCopyBuffer(cl.queue, s.mem(), d.mem(), 4L * srcOff, 4L * dstOff, 4L * len, 0, null, null);
    }

    @Override
    public void fill(Buffer dst, int off, int len, float value) {
        OpenClBuffer d = span(this, "fill", "dst", dst, off, len);
        if (len == 0) return;
        clEnqueueFillBuffer(cl.queue, d.mem(), Pointer.to(new float[]{value}), Sizeof.cl_float, 4L * off, 4L * len,
                0, null, null);
    }

    @Override
    public void stridedCopy(int[] shape, Buffer src, int srcOff, int[] srcStrides, Buffer dst, int dstOff) {
        String op = "stridedCopy";
        OpenClBuffer s = buf(this, op, "src", src);
        OpenClBuffer d = buf(this, op, "dst", dst);
        ShapeCollapse.Strided l = ShapeCollapse.strided(op, shape, srcStrides);
        if (l.total() == 0) return;
        checkStrided(op, "src", s, srcOff, shape, srcStrides);
        range(op, "dst", d, dstOff, l.total());
        launch("strided_copy").int8(l.shape()).mem(s).i(srcOff).int8(l.strides()[0]).mem(d).i(dstOff).i((int) l.total())
                .run1(l.total(), rwg);
    }

    /** Every element a strided view reaches must lie inside its buffer. */
    private static void checkStrided(String op, String name, OpenClBuffer b, int off, int[] shape, int[] strides) {
        long lo = off;
        long hi = off;
        for (int d = 0; d < shape.length; d++) {
            long reach = (long) (shape[d] - 1) * strides[d];
            if (reach < 0) lo += reach;
            else hi += reach;
        }
        if (lo < 0 || hi >= b.length()) {
            throw new IllegalArgumentException(op + ": " + name + " view (offset " + off + ", shape "
                    + Arrays.toString(shape) + ", strides " + Arrays.toString(strides) + ") reaches [" + lo + ", " + hi
                    + "] outside its buffer of " + b.length() + " floats");
        }
    }

    // ---------------------------------------------------------------- GEMM

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     Buffer a, int aOff, int lda, long strideA,
                     Buffer b, int bOff, int ldb, long strideB,
                     float beta, Buffer c, int cOff, int ldc, long strideC, int batch) {
        gemm.gemm(transA, transB, m, n, k, alpha, buf(this, "gemm", "A", a), aOff, lda, strideA,
                buf(this, "gemm", "B", b), bOff, ldb, strideB, beta, buf(this, "gemm", "C", c), cOff, ldc, strideC, batch);
    }

    @Override
    public void gemmFused(boolean transA, boolean transB, int m, int n, int k, float alpha,
                          Buffer a, int aOff, int lda, Buffer b, int bOff, int ldb,
                          float beta, Buffer c, int cOff, int ldc, GemmEpilogue epilogue) {
        String op = "gemm with " + epilogue;
        OpenClBuffer cb = buf(this, op, "C", c);
        OpenClGemm.Epilogue e = OpenClGemm.Epilogue.of(this, op, epilogue, cb);
        epilogue.validate(op, m, n);
        gemm.gemm(transA, transB, m, n, k, alpha, buf(this, op, "A", a), aOff, lda, buf(this, op, "B", b), bOff, ldb,
                beta, cb, cOff, ldc, e);
    }

    /**
     * Measured on PoCL (AMD Zen 4, 2 threads, 512 rows, {@code peft4j bench sparse --device opencl}): the crossover
     * is 7.4 % of a 768 x 3072 weight and 19 % of a 768 x 768 one, so CPU devices take the lower. GPUs are
     * unmeasured and keep the CPU backend's 2 % (their dense GEMM runs closer to peak than a gather-bound sampled
     * product, so the crossover is not expected higher there); {@link SampledGemmDensity#PROPERTY} sets a
     * measured one.
     */
    static final double CPU_DEVICE_SAMPLED_GEMM_MAX_DENSITY = 0.07;
    static final double OTHER_DEVICE_SAMPLED_GEMM_MAX_DENSITY = 0.02;

    @Override
    public double sampledGemmMaxDensity() {
        return SampledGemmDensity.configured("CPU".equals(cl.info.type()) ? CPU_DEVICE_SAMPLED_GEMM_MAX_DENSITY
                : OTHER_DEVICE_SAMPLED_GEMM_MAX_DENSITY);
    }

    @Override
    public void sampledGemm(int rows, int m, int n, float alpha, Buffer a, int aOff, int lda, Buffer b, int bOff,
                            int ldb, int[] idx, int nnz, float beta, Buffer out, int outOff) {
        String op = "sampledGemm";
        OpenClBuffer ab = buf(this, op, "a", a);
        OpenClBuffer bb = buf(this, op, "b", b);
        OpenClBuffer ob = buf(this, op, "out", out);
        nonNegative(op, "rows", rows);
        nonNegative(op, "m", m);
        nonNegative(op, "n", n);
        SampledGemm.checkIndices(op, idx, nnz, (long) m * n);
        range(op, "out", ob, outOff, nnz);
        if (nnz == 0) return;
        Args.matrix(op, "a", ab, aOff, lda, rows, m);
        Args.matrix(op, "b", bb, bOff, ldb, rows, n);
        launch("sampled_gemm").i(rows).i(n).f(alpha).mem(ab).i(aOff).i(lda).mem(bb).i(bOff).i(ldb)
                .mem(indexUploads.get(idx, nnz)).i(nnz).f(beta).mem(ob).i(outOff).run1(nnz, rwg);
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public void unary(Unary op, Buffer x, int xOff, Buffer y, int yOff, int n) {
        String name = "unary " + op;
        OpenClBuffer xb = span(this, name, "x", x, xOff, n);
        OpenClBuffer yb = span(this, name, "y", y, yOff, n);
        launch("unary_fwd").i(op.ordinal()).mem(xb).i(xOff).mem(yb).i(yOff).i(n).run1(n, rwg);
    }

    @Override
    public void unaryBackward(Unary op, Buffer x, int xOff, Buffer dy, int dyOff, Buffer dx, int dxOff, int n) {
        String name = "unaryBackward " + op;
        OpenClBuffer xb = span(this, name, "x", x, xOff, n);
        OpenClBuffer dyb = span(this, name, "dy", dy, dyOff, n);
        OpenClBuffer dxb = optionalSpan(this, name, "dx", dx, dxOff, n);
        if (dxb == null) return;
        launch("unary_bwd").i(op.ordinal()).mem(xb).i(xOff).mem(dyb).i(dyOff).mem(dxb).i(dxOff).i(n).run1(n, rwg);
    }

    @Override
    public void binary(Binary op, Buffer a, int aOff, Buffer b, int bOff, Buffer out, int outOff, int n) {
        String name = "binary " + op;
        OpenClBuffer ab = span(this, name, "a", a, aOff, n);
        OpenClBuffer bb = span(this, name, "b", b, bOff, n);
        OpenClBuffer ob = span(this, name, "out", out, outOff, n);
        launch("binary_op").i(op.ordinal()).mem(ab).i(aOff).mem(bb).i(bOff).mem(ob).i(outOff).i(n).run1(n, rwg);
    }

    @Override
    public void broadcastBinary(Binary op, int[] shape, Buffer a, int aOff, int[] aStrides,
                                Buffer b, int bOff, int[] bStrides, Buffer out, int outOff) {
        String name = "broadcastBinary " + op;
        OpenClBuffer ab = buf(this, name, "a", a);
        OpenClBuffer bb = buf(this, name, "b", b);
        OpenClBuffer ob = buf(this, name, "out", out);
        ShapeCollapse.Strided l = ShapeCollapse.strided(name, shape, aStrides, bStrides);
        if (l.total() == 0) return;
        checkStrided(name, "a", ab, aOff, shape, aStrides);
        checkStrided(name, "b", bb, bOff, shape, bStrides);
        range(name, "out", ob, outOff, l.total());
        launch("broadcast_binary").i(op.ordinal()).int8(l.shape())
                .mem(ab).i(aOff).int8(l.strides()[0]).mem(bb).i(bOff).int8(l.strides()[1])
                .mem(ob).i(outOff).i((int) l.total()).run1(l.total(), rwg);
    }

    @Override
    public void sumTo(int[] srcShape, Buffer src, int srcOff, int[] dstShape, Buffer dst, int dstOff, boolean accumulate) {
        String op = "sumTo";
        OpenClBuffer s = buf(this, op, "src", src);
        OpenClBuffer d = buf(this, op, "dst", dst);
        ShapeCollapse.Reduction r = ShapeCollapse.sumTo(op, srcShape, dstShape);
        long srcTotal = 1;
        for (int v : srcShape) srcTotal *= v;
        range(op, "src", s, srcOff, srcTotal);
        range(op, "dst", d, dstOff, r.dstTotal());
        if (r.dstTotal() == 0) return;
        if (srcTotal == 0) {
            if (!accumulate) fill(d, dstOff, (int) r.dstTotal(), 0f);
            return;
        }
        if (r.dstTotal() == 1) { // a full reduction: use the parallel tree sum, not one serial work-item
            sum(s, srcOff, (int) srcTotal, d, dstOff, accumulate);
            return;
        }
        launch("sum_to").int8(r.srcShape()).int8(r.srcStrides()).mem(s).i(srcOff).int8(r.dstShape())
                .mem(d).i(dstOff).i((int) r.dstTotal()).i(accumulate ? 1 : 0).run1(r.dstTotal(), rwg);
    }

    @Override
    public void scale(Buffer x, int xOff, float alpha, float beta, Buffer y, int yOff, int n) {
        OpenClBuffer xb = span(this, "scale", "x", x, xOff, n);
        OpenClBuffer yb = span(this, "scale", "y", y, yOff, n);
        launch("scale_shift").mem(xb).i(xOff).f(alpha).f(beta).mem(yb).i(yOff).i(n).run1(n, rwg);
    }

    @Override
    public void axpy(float alpha, Buffer x, int xOff, Buffer y, int yOff, int n) {
        OpenClBuffer xb = span(this, "axpy", "x", x, xOff, n);
        OpenClBuffer yb = span(this, "axpy", "y", y, yOff, n);
        launch("axpy").f(alpha).mem(xb).i(xOff).mem(yb).i(yOff).i(n).run1(n, rwg);
    }

    @Override
    public void fma(Buffer a, int aOff, Buffer b, int bOff, Buffer c, int cOff, Buffer out, int outOff, int n) {
        OpenClBuffer ab = span(this, "fma", "a", a, aOff, n);
        OpenClBuffer bb = span(this, "fma", "b", b, bOff, n);
        OpenClBuffer cb = span(this, "fma", "c", c, cOff, n);
        OpenClBuffer ob = span(this, "fma", "out", out, outOff, n);
        launch("fma_op").mem(ab).i(aOff).mem(bb).i(bOff).mem(cb).i(cOff).mem(ob).i(outOff).i(n).run1(n, rwg);
    }

    @Override
    public void scaleByScalar(Buffer x, int xOff, Buffer s, int sOff, int n) {
        OpenClBuffer xb = span(this, "scaleByScalar", "x", x, xOff, n);
        OpenClBuffer sb = span(this, "scaleByScalar", "s", s, sOff, 1);
        launch("scale_by_scalar").mem(xb).i(xOff).mem(sb).i(sOff).i(n).run1(n, rwg);
    }

    @Override
    public void dropoutMask(Buffer mask, int off, int n, float p, long seed) {
        OpenClBuffer mb = span(this, "dropoutMask", "mask", mask, off, n);
        if (!(p >= 0f && p <= 1f)) {
            throw new IllegalArgumentException("dropoutMask: probability p = " + p + " outside [0, 1]");
        }
        launch("dropout_mask").mem(mb).i(off).i(n).f(p).l(DropoutHash.key(seed)).f(1.0f / (1.0f - p)).run1(n, rwg);
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public void sumRows(Buffer x, int xOff, int rows, int cols, Buffer out, int outOff, boolean accumulate) {
        OpenClBuffer xb = span(this, "sumRows", "x", x, xOff, (long) rows * cols);
        OpenClBuffer ob = span(this, "sumRows", "out", out, outOff, rows);
        launch("sum_rows").mem(xb).i(xOff).i(cols).mem(ob).i(outOff).i(accumulate ? 1 : 0).run1((long) rows * rwg, rwg);
    }

    @Override
    public void maxRows(Buffer x, int xOff, int rows, int cols, Buffer out, int outOff) {
        OpenClBuffer xb = span(this, "maxRows", "x", x, xOff, (long) rows * cols);
        OpenClBuffer ob = span(this, "maxRows", "out", out, outOff, rows);
        launch("max_rows").mem(xb).i(xOff).i(cols).mem(ob).i(outOff).run1((long) rows * rwg, rwg);
    }

    @Override
    public void sum(Buffer x, int xOff, int n, Buffer out, int outOff, boolean accumulate) {
        OpenClBuffer xb = span(this, "sum", "x", x, xOff, n);
        OpenClBuffer ob = span(this, "sum", "out", out, outOff, 1);
        try (OpenClBuffer partials = partialSums(xb, xOff, n, false)) {
            launch("finish_sum").mem(partials).i(sumGroups(n)).mem(ob).i(outOff).i(accumulate ? 1 : 0).run1(rwg, rwg);
        }
    }

    @Override
    public double sumOfSquares(Buffer x, int xOff, int n) {
        OpenClBuffer xb = span(this, "sumOfSquares", "x", x, xOff, n);
        int groups = sumGroups(n);
        try (OpenClBuffer partials = partialSums(xb, xOff, n, true)) {
            countDownload((cl.fp64 ? 8L : 4L) * groups);
            double total = 0;
            if (cl.fp64) {
                double[] host = new double[groups];
                clEnqueueReadBuffer(cl.queue, partials.mem(), CL_TRUE, 0, 8L * groups, Pointer.to(host), 0, null, null);
                for (double v : host) total += v;
            } else {
                float[] host = new float[groups];
                clEnqueueReadBuffer(cl.queue, partials.mem(), CL_TRUE, 0, 4L * groups, Pointer.to(host), 0, null, null);
                for (float v : host) total += v;
            }
            intStaging.completed(); // the blocking read drained the queue
            return total;
        }
    }

    private int sumGroups(int n) {
        return (int) Math.max(1, Math.min(SUM_GROUPS, ((long) n + rwg - 1) / rwg));
    }

    /** One accumulator-typed partial per work-group; the caller closes the returned buffer. */
    private OpenClBuffer partialSums(OpenClBuffer x, int xOff, int n, boolean squared) {
        int groups = sumGroups(n);
        OpenClBuffer partials = pool.acquire(groups * (cl.fp64 ? 2 : 1), false);
        launch("partial_sum").mem(x).i(xOff).i(n).i(squared ? 1 : 0).mem(partials).run1((long) groups * rwg, rwg);
        return partials;
    }

    // ---------------------------------------------------------------- softmax family

    @Override
    public void softmax(Buffer x, int xOff, Buffer y, int yOff, int rows, int cols, float scale,
                        boolean causal, int rowsPerBlock) {
        OpenClBuffer xb = span(this, "softmax", "x", x, xOff, (long) rows * cols);
        OpenClBuffer yb = span(this, "softmax", "y", y, yOff, (long) rows * cols);
        if (causal && (rowsPerBlock <= 0 || rowsPerBlock > cols || rows % rowsPerBlock != 0)) {
            throw new IllegalArgumentException("softmax: causal rowsPerBlock = " + rowsPerBlock + " must be in [1, cols="
                    + cols + "] and divide rows = " + rows);
        }
        launch("softmax_rows").mem(xb).i(xOff).mem(yb).i(yOff).i(cols).f(scale).i(causal ? 1 : 0)
                .i(causal ? rowsPerBlock : 1).run1((long) rows * rwg, rwg);
    }

    @Override
    public void softmaxBackward(Buffer y, int yOff, Buffer dy, int dyOff, Buffer dx, int dxOff, int rows, int cols,
                                float scale) {
        rowBackward("softmaxBackward", "softmax_bwd", y, yOff, dy, dyOff, dx, dxOff, rows, cols, scale, true);
    }

    @Override
    public void logSoftmax(Buffer x, int xOff, Buffer y, int yOff, int rows, int cols) {
        OpenClBuffer xb = span(this, "logSoftmax", "x", x, xOff, (long) rows * cols);
        OpenClBuffer yb = span(this, "logSoftmax", "y", y, yOff, (long) rows * cols);
        launch("log_softmax_rows").mem(xb).i(xOff).mem(yb).i(yOff).i(cols).run1((long) rows * rwg, rwg);
    }

    @Override
    public void logSoftmaxBackward(Buffer y, int yOff, Buffer dy, int dyOff, Buffer dx, int dxOff, int rows, int cols) {
        rowBackward("logSoftmaxBackward", "log_softmax_bwd", y, yOff, dy, dyOff, dx, dxOff, rows, cols, 1f, false);
    }

    private void rowBackward(String op, String kernel, Buffer y, int yOff, Buffer dy, int dyOff, Buffer dx, int dxOff,
                             int rows, int cols, float scale, boolean withScale) {
        OpenClBuffer yb = buf(this, op, "y", y);
        OpenClBuffer dyb = buf(this, op, "dy", dy);
        OpenClBuffer dxb = optional(this, op, "dx", dx);
        long n = (long) rows * cols;
        range(op, "y", yb, yOff, n);
        range(op, "dy", dyb, dyOff, n);
        range(op, "dx", dxb, dxOff, n);
        if (dxb == null) return;
        Launch l = launch(kernel).mem(yb).i(yOff).mem(dyb).i(dyOff).mem(dxb).i(dxOff).i(cols);
        if (withScale) l.f(scale);
        l.run1((long) rows * rwg, rwg);
    }

    @Override
    public void crossEntropy(Buffer logits, int logitsOff, int[] targets, int ignoreIndex, int rows, int vocab,
                             Buffer losses, int lossesOff, Buffer lse, int lseOff) {
        String op = "crossEntropy";
        OpenClBuffer lb = span(this, op, "logits", logits, logitsOff, (long) rows * vocab);
        OpenClBuffer ob = span(this, op, "losses", losses, lossesOff, rows);
        OpenClBuffer sb = optionalSpan(this, op, "lse", lse, lseOff, rows);
        checkTargets(op, targets, ignoreIndex, rows, vocab);
        if (rows == 0) return;
        try (OpenClBuffer t = uploadInts(targets, rows)) {
            OpenClBuffer lseOut = sb != null ? sb : pool.acquire(rows, false);
            try {
                launch("cross_entropy_fwd").mem(lb).i(logitsOff).mem(t).i(ignoreIndex).i(vocab).mem(ob).i(lossesOff)
                        .mem(lseOut).i(sb != null ? lseOff : 0).run1((long) rows * rwg, rwg);
            } finally {
                if (sb == null) lseOut.close();
            }
        }
    }

    @Override
    public void crossEntropyBackward(Buffer logits, int logitsOff, Buffer lse, int lseOff, int[] targets, int ignoreIndex,
                                     int rows, int vocab, Buffer dLoss, int dLossOff, float scale,
                                     Buffer dlogits, int dlogitsOff) {
        String op = "crossEntropyBackward";
        OpenClBuffer lb = span(this, op, "logits", logits, logitsOff, (long) rows * vocab);
        OpenClBuffer sb = span(this, op, "lse", lse, lseOff, rows);
        OpenClBuffer db = span(this, op, "dLoss", dLoss, dLossOff, 1);
        OpenClBuffer gb = optionalSpan(this, op, "dlogits", dlogits, dlogitsOff, (long) rows * vocab);
        checkTargets(op, targets, ignoreIndex, rows, vocab);
        if (gb == null || rows == 0) return;
        try (OpenClBuffer t = uploadInts(targets, rows)) {
            launch("cross_entropy_bwd").mem(lb).i(logitsOff).mem(sb).i(lseOff).mem(t).i(ignoreIndex).i(vocab)
                    .mem(db).i(dLossOff).f(scale).mem(gb).i(dlogitsOff)
                    .run(new long[]{vocab, rows}, new long[]{rwg, 1});
        }
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

    // ---------------------------------------------------------------- normalisation

    @Override
    public void layerNorm(Buffer x, int xOff, Buffer gamma, int gammaOff, Buffer beta, int betaOff,
                          Buffer y, int yOff, Buffer mean, int meanOff, Buffer rstd, int rstdOff,
                          int rows, int cols, float eps) {
        String op = "layerNorm";
        OpenClBuffer xb = buf(this, op, "x", x);
        OpenClBuffer gb = optional(this, op, "gamma", gamma);
        OpenClBuffer bb = optional(this, op, "beta", beta);
        OpenClBuffer yb = buf(this, op, "y", y);
        OpenClBuffer mb = buf(this, op, "mean", mean);
        OpenClBuffer rb = buf(this, op, "rstd", rstd);
        checkRows(op, xb, xOff, yb, yOff, rows, cols);
        range(op, "gamma", gb, gammaOff, cols);
        range(op, "beta", bb, betaOff, cols);
        range(op, "mean", mb, meanOff, rows);
        range(op, "rstd", rb, rstdOff, rows);
        launch("layer_norm_fwd").mem(xb).i(xOff).mem(or(gb)).i(gammaOff).i(gb != null ? 1 : 0)
                .mem(or(bb)).i(betaOff).i(bb != null ? 1 : 0).mem(yb).i(yOff).mem(mb).i(meanOff).mem(rb).i(rstdOff)
                .i(cols).f(eps).run1((long) rows * rwg, rwg);
    }

    @Override
    public void layerNormBackward(Buffer x, int xOff, Buffer gamma, int gammaOff, Buffer mean, int meanOff,
                                  Buffer rstd, int rstdOff, Buffer dy, int dyOff,
                                  Buffer dx, int dxOff, Buffer dgamma, int dgammaOff, Buffer dbeta, int dbetaOff,
                                  int rows, int cols) {
        String op = "layerNormBackward";
        normBackward(op, x, xOff, gamma, gammaOff, buf(this, op, "mean", mean), meanOff, rstd, rstdOff, dy, dyOff,
                dx, dxOff, dgamma, dgammaOff, dbeta, dbetaOff, rows, cols);
    }

    @Override
    public void rmsNorm(Buffer x, int xOff, Buffer gamma, int gammaOff, Buffer y, int yOff, Buffer rstd, int rstdOff,
                        int rows, int cols, float eps) {
        String op = "rmsNorm";
        OpenClBuffer xb = buf(this, op, "x", x);
        OpenClBuffer gb = optional(this, op, "gamma", gamma);
        OpenClBuffer yb = buf(this, op, "y", y);
        OpenClBuffer rb = buf(this, op, "rstd", rstd);
        checkRows(op, xb, xOff, yb, yOff, rows, cols);
        range(op, "gamma", gb, gammaOff, cols);
        range(op, "rstd", rb, rstdOff, rows);
        launch("rms_norm_fwd").mem(xb).i(xOff).mem(or(gb)).i(gammaOff).i(gb != null ? 1 : 0).mem(yb).i(yOff)
                .mem(rb).i(rstdOff).i(cols).f(eps).run1((long) rows * rwg, rwg);
    }

    @Override
    public void rmsNormBackward(Buffer x, int xOff, Buffer gamma, int gammaOff, Buffer rstd, int rstdOff,
                                Buffer dy, int dyOff, Buffer dx, int dxOff, Buffer dgamma, int dgammaOff,
                                int rows, int cols) {
        normBackward("rmsNormBackward", x, xOff, gamma, gammaOff, null, 0, rstd, rstdOff, dy, dyOff,
                dx, dxOff, dgamma, dgammaOff, null, 0, rows, cols);
    }

    /** Shared LayerNorm/RMSNorm backward; a null {@code mean} means RMSNorm (nothing centred). */
    private void normBackward(String op, Buffer x, int xOff, Buffer gamma, int gammaOff, OpenClBuffer mean, int meanOff,
                              Buffer rstd, int rstdOff, Buffer dy, int dyOff, Buffer dx, int dxOff,
                              Buffer dgamma, int dgammaOff, Buffer dbeta, int dbetaOff, int rows, int cols) {
        OpenClBuffer xb = buf(this, op, "x", x);
        OpenClBuffer gb = optional(this, op, "gamma", gamma);
        OpenClBuffer rb = buf(this, op, "rstd", rstd);
        OpenClBuffer dyb = buf(this, op, "dy", dy);
        OpenClBuffer dxb = optional(this, op, "dx", dx);
        OpenClBuffer dgb = optional(this, op, "dgamma", dgamma);
        OpenClBuffer dbb = optional(this, op, "dbeta", dbeta);
        checkRows(op, xb, xOff, dyb, dyOff, rows, cols);
        range(op, "dx", dxb, dxOff, (long) rows * cols);
        range(op, "gamma", gb, gammaOff, cols);
        range(op, "mean", mean, meanOff, rows);
        range(op, "rstd", rb, rstdOff, rows);
        range(op, "dgamma", dgb, dgammaOff, cols);
        range(op, "dbeta", dbb, dbetaOff, cols);
        int hasMean = mean != null ? 1 : 0;
        if (dxb != null) {
            launch("norm_bwd_dx").mem(xb).i(xOff).mem(or(gb)).i(gammaOff).i(gb != null ? 1 : 0)
                    .mem(or(mean)).i(meanOff).i(hasMean).mem(rb).i(rstdOff).mem(dyb).i(dyOff).mem(dxb).i(dxOff).i(cols)
                    .run1((long) rows * rwg, rwg);
        }
        if (dgb != null || dbb != null) {
            int colsPerGroup = rwg / 8; // matches CWG = RWG / CSL in norm.cl
            launch("norm_bwd_params").mem(xb).i(xOff).mem(or(mean)).i(meanOff).i(hasMean).mem(rb).i(rstdOff)
                    .mem(dyb).i(dyOff).mem(or(dgb)).i(dgammaOff).i(dgb != null ? 1 : 0)
                    .mem(or(dbb)).i(dbetaOff).i(dbb != null ? 1 : 0).i(rows).i(cols)
                    .run(new long[]{cols, 8}, new long[]{colsPerGroup, 8});
        }
    }

    private static void checkRows(String op, OpenClBuffer in, int inOff, OpenClBuffer out, int outOff, int rows, int cols) {
        nonNegative(op, "rows", rows);
        if (cols <= 0) throw new IllegalArgumentException(op + ": cols must be > 0, got " + cols);
        range(op, "input", in, inOff, (long) rows * cols);
        range(op, "output", out, outOff, (long) rows * cols);
    }

    private OpenClBuffer or(OpenClBuffer b) {
        return b != null ? b : absentArgument;
    }

    // ---------------------------------------------------------------- attention

    @Override
    public void attention(Buffer q, int qOff, AttentionLayout qLayout, Buffer k, int kOff, AttentionLayout kLayout,
                          Buffer v, int vOff, AttentionLayout vLayout, int bh, int tq, int tk, int d, int dv,
                          float scale, boolean causal, Buffer out, int outOff, AttentionLayout outLayout, Buffer lse,
                          int lseOff) {
        attention.forward(q, qOff, qLayout, k, kOff, kLayout, v, vOff, vLayout,
                new FlashAttentionShape("attention", bh, tq, tk, d, dv, causal), scale, out, outOff, outLayout,
                lse, lseOff);
    }

    @Override
    public void attentionBackward(Buffer q, int qOff, AttentionLayout qLayout, Buffer k, int kOff,
                                  AttentionLayout kLayout, Buffer v, int vOff, AttentionLayout vLayout, Buffer out,
                                  int outOff, AttentionLayout outLayout, Buffer lse, int lseOff, Buffer dOut,
                                  int dOutOff, AttentionLayout dOutLayout, int bh, int tq, int tk, int d, int dv,
                                  float scale, boolean causal, Buffer dq, int dqOff, Buffer dk, int dkOff,
                                  Buffer dvOut, int dvOutOff) {
        attention.backward(q, qOff, qLayout, k, kOff, kLayout, v, vOff, vLayout, out, outOff, outLayout, lse, lseOff,
                dOut, dOutOff, dOutLayout, new FlashAttentionShape("attentionBackward", bh, tq, tk, d, dv, causal),
                scale, dq, dqOff, dk, dkOff, dvOut, dvOutOff);
    }

    // ---------------------------------------------------------------- embeddings

    @Override
    public void embedding(Buffer table, int tableOff, int tableRows, int dim, int[] ids, Buffer out, int outOff) {
        String op = "embedding";
        OpenClBuffer tb = buf(this, op, "table", table);
        OpenClBuffer ob = buf(this, op, "out", out);
        int n = ids == null ? 0 : ids.length;
        Args.ids(op, "ids", ids, n, tableRows);
        range(op, "table", tb, tableOff, (long) tableRows * dim);
        range(op, "out", ob, outOff, (long) n * dim);
        if (n == 0 || dim == 0) return;
        try (OpenClBuffer idb = uploadInts(ids, n)) {
            launch("embedding_gather").mem(tb).i(tableOff).i(dim).mem(idb).mem(ob).i(outOff)
                    .run(new long[]{dim, n}, new long[]{rwg, 1});
        }
    }

    @Override
    public void embeddingBackward(Buffer dOut, int dOutOff, int[] ids, int dim, Buffer dTable, int dTableOff) {
        String op = "embeddingBackward";
        OpenClBuffer gb = buf(this, op, "dOut", dOut);
        OpenClBuffer tb = optional(this, op, "dTable", dTable);
        if (ids == null) throw new IllegalArgumentException(op + ": ids is null");
        int n = ids.length;
        range(op, "dOut", gb, dOutOff, (long) n * dim);
        if (tb == null || n == 0 || dim == 0) return;
        Args.ids(op, "ids", ids, n, (tb.length() - (long) dTableOff) / dim);
        int[] index = EmbeddingIndex.group(ids);
        int unique = (index.length - n - 1) / 2;
        try (OpenClBuffer idx = uploadInts(index, index.length)) {
            launch("embedding_scatter_add").mem(gb).i(dOutOff).i(dim).mem(idx).i(unique).mem(tb).i(dTableOff)
                    .run(new long[]{dim, unique}, new long[]{rwg, 1});
        }
    }

    // ---------------------------------------------------------------- optimizers

    @Override
    public void adamW(Buffer param, int pOff, Buffer grad, int gOff, Buffer m, int mOff, Buffer v, int vOff, int n,
                      float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
        String op = "adamW";
        OpenClBuffer pb = span(this, op, "param", param, pOff, n);
        OpenClBuffer gb = span(this, op, "grad", grad, gOff, n);
        OpenClBuffer mb = span(this, op, "m", m, mOff, n);
        OpenClBuffer vb = span(this, op, "v", v, vOff, n);
        if (step < 1) throw new IllegalArgumentException(op + ": step is 1-based, got " + step);
        float bc1 = (float) (1.0 - Math.pow(beta1, step));
        float bc2 = (float) (1.0 - Math.pow(beta2, step));
        launch("adamw").mem(pb).i(pOff).mem(gb).i(gOff).mem(mb).i(mOff).mem(vb).i(vOff).i(n)
                .f(lr).f(beta1).f(beta2).f(eps).f(weightDecay).f(bc1).f(bc2).run1(n, rwg);
    }

    @Override
    public void sgd(Buffer param, int pOff, Buffer grad, int gOff, Buffer momentumBuf, int bOff, int n,
                    float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean firstStep) {
        String op = "sgd";
        OpenClBuffer pb = span(this, op, "param", param, pOff, n);
        OpenClBuffer gb = span(this, op, "grad", grad, gOff, n);
        OpenClBuffer bb = optionalSpan(this, op, "momentumBuf", momentumBuf, bOff, n);
        if (momentum != 0f && bb == null) {
            throw new IllegalArgumentException(op + ": momentum = " + momentum + " needs a momentumBuf");
        }
        launch("sgd").mem(pb).i(pOff).mem(gb).i(gOff).mem(or(bb)).i(bOff).i(bb != null ? 1 : 0).i(n)
                .f(lr).f(momentum).f(dampening).f(weightDecay).i(nesterov ? 1 : 0).i(firstStep ? 1 : 0).run1(n, rwg);
    }

    @Override
    public void close() {
        try {
            cl.finish();
        } finally {
            indexUploads.close();
            pool.close();
            cl.close();
        }
    }
}
