package dev.peft4j.kernels.opencl;

import dev.peft4j.kernels.Buffer;
import org.jocl.cl_mem;

/**
 * A float range in a pooled {@code cl_mem}. The memory object may be larger than {@link #length()}
 * (it belongs to a size class); closing hands it back to the pool for reuse. Closing twice is harmless.
 */
public final class OpenClBuffer implements Buffer {

    private final OpenClBufferPool pool;
    private final cl_mem mem;
    private final int length;
    private final long capacityBytes;
    private boolean closed;

    OpenClBuffer(OpenClBufferPool pool, cl_mem mem, int length, long capacityBytes) {
        this.pool = pool;
        this.mem = mem;
        this.length = length;
        this.capacityBytes = capacityBytes;
    }

    @Override
    public int length() {
        return length;
    }

    /** Bytes of the underlying memory object (the size class), at least {@code 4 * length()}. */
    public long capacityBytes() {
        return capacityBytes;
    }

    /** The memory object, for kernel arguments; fails on a closed buffer. */
    cl_mem mem() {
        if (closed) throw new IllegalStateException("OpenCL buffer of " + length + " floats used after close()");
        return mem;
    }

    /** The raw memory object regardless of state, for the pool's bookkeeping. */
    cl_mem rawMem() {
        return mem;
    }

    OpenClBufferPool pool() {
        return pool;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        pool.release(this);
    }

    @Override
    public String toString() {
        return "OpenClBuffer[" + length + " floats" + (closed ? ", closed" : "") + "]";
    }
}
