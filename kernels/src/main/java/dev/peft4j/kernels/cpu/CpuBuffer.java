package dev.peft4j.kernels.cpu;

import dev.peft4j.kernels.Buffer;

/**
 * A heap float array: the CPU backend's buffer. Exposed so CPU code and tests can read it directly. A buffer
 * from {@link CpuKernels#allocate} hands its array back to the backend's {@link CpuArrayPool} when closed, so
 * neither it nor its array may be used after {@link #close()}; one built here with a public constructor wraps an
 * array only the garbage collector reclaims, and closing it does nothing.
 */
public final class CpuBuffer implements Buffer {

    private final float[] array;
    private final CpuArrayPool pool; // null: the garbage collector reclaims the array
    private boolean closed;

    public CpuBuffer(float[] array) {
        this(array, null);
    }

    public CpuBuffer(int length) {
        this(new float[length]);
    }

    CpuBuffer(float[] array, CpuArrayPool pool) {
        if (array == null) {
            throw new IllegalArgumentException("CpuBuffer: array must not be null");
        }
        this.array = array;
        this.pool = pool;
    }

    public float[] array() {
        return array;
    }

    @Override
    public int length() {
        return array.length;
    }

    /** Returns a pooled array for reuse (once: a second close does nothing); a no-op otherwise. */
    @Override
    public synchronized void close() {
        if (pool != null && !closed) {
            closed = true;
            pool.give(array);
        }
    }

    @Override
    public String toString() {
        return "CpuBuffer[" + array.length + " floats" + (closed ? ", closed" : "") + "]";
    }
}
