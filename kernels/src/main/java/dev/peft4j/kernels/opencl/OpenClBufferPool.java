package dev.peft4j.kernels.opencl;

import static org.jocl.CL.*;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.TreeMap;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_mem;

/**
 * Reuses device memory across the allocate/close churn of training steps. Requests are rounded up to a
 * size class (four classes per power of two, so at most 25% slack) and a closed buffer's memory object
 * waits in its class's free list for the next request of that class.
 */
final class OpenClBufferPool implements AutoCloseable {

    /** Smallest class: tiny scalars and shape vectors share 256-byte objects. */
    static final long MIN_CLASS_BYTES = 256;

    private final OpenClContext cl;
    private final TreeMap<Long, ArrayDeque<cl_mem>> free = new TreeMap<>();
    private final Set<cl_mem> held = Collections.newSetFromMap(new IdentityHashMap<>());
    private long heldBytes;
    private long inUseBytes;
    private int inUseCount;
    private long highWaterBytes;
    private int highWaterCount;
    private long created;
    private long reused;
    private boolean closed;

    OpenClBufferPool(OpenClContext cl) {
        this.cl = cl;
    }

    /** Size class in bytes for a request of {@code bytes}. */
    static long sizeClass(long bytes) {
        if (bytes <= MIN_CLASS_BYTES) return MIN_CLASS_BYTES;
        int octave = 63 - Long.numberOfLeadingZeros(bytes - 1);
        long step = 1L << (octave - 2);
        return (bytes + step - 1) & -step;
    }

    /** A buffer of {@code length} floats, zero-filled when asked (recycled memory holds old data). */
    synchronized OpenClBuffer acquire(int length, boolean zero) {
        if (length < 0) throw new IllegalArgumentException("buffer length must be >= 0, got " + length);
        long bytes = 4L * length;
        long cls = sizeClass(bytes);
        ArrayDeque<cl_mem> list = free.get(cls);
        cl_mem mem;
        if (list != null && !list.isEmpty()) {
            mem = list.pop();
            reused++;
        } else {
            mem = create(cls, bytes);
        }
        inUseBytes += cls;
        inUseCount++;
        OpenClBuffer buffer = new OpenClBuffer(this, mem, length, cls);
        if (zero && length > 0) {
            try {
                clEnqueueFillBuffer(cl.queue, mem, Pointer.to(new float[]{0f}), Sizeof.cl_float, 0, bytes,
                        0, null, null);
            } catch (CLException e) {
                // Drivers commit memory lazily: the first use is where exhaustion shows.
                buffer.close();
                throw translate(e, bytes, "zero-filling a new buffer");
            }
        }
        return buffer;
    }

    synchronized void release(OpenClBuffer buffer) {
        if (closed) return; // the backend is gone and took every memory object with it
        inUseBytes -= buffer.capacityBytes();
        inUseCount--;
        free.computeIfAbsent(buffer.capacityBytes(), k -> new ArrayDeque<>()).push(buffer.rawMem());
    }

    private cl_mem create(long cls, long requested) {
        requireSingleAllocation(cls, requested);
        cl_mem mem;
        try {
            mem = clCreateBuffer(cl.context, CL_MEM_READ_WRITE, cls, null, null);
        } catch (CLException first) {
            if (!isOutOfMemory(first.getStatus())) throw first;
            trim(); // cached free buffers may be exactly what the device is missing
            try {
                mem = clCreateBuffer(cl.context, CL_MEM_READ_WRITE, cls, null, null);
            } catch (CLException second) {
                throw translate(second, requested, "creating a buffer (after releasing cached buffers)");
            }
        }
        held.add(mem);
        heldBytes += cls;
        created++;
        if (heldBytes > highWaterBytes) highWaterBytes = heldBytes;
        if (held.size() > highWaterCount) highWaterCount = held.size();
        return mem;
    }

    /** Refuses a memory object of {@code cls} bytes larger than the device allows in one allocation. */
    void requireSingleAllocation(long cls, long requested) {
        if (cls > cl.maxAllocBytes) {
            throw new OpenClOutOfMemoryException(cl.info.name(), requested, cl.info.globalMemBytes(), cl.maxAllocBytes,
                    heldBytes, "the request exceeds the device's maximum single allocation", null);
        }
    }

    static boolean isOutOfMemory(int status) {
        return status == CL_MEM_OBJECT_ALLOCATION_FAILURE || status == CL_OUT_OF_RESOURCES
                || status == CL_OUT_OF_HOST_MEMORY;
    }

    /** Maps an out-of-memory status to {@link OpenClOutOfMemoryException}; other errors pass through. */
    RuntimeException translate(CLException e, long requestedBytes, String during) {
        if (!isOutOfMemory(e.getStatus())) return e;
        return new OpenClOutOfMemoryException(cl.info.name(), requestedBytes, cl.info.globalMemBytes(),
                cl.maxAllocBytes, heldBytes, "failed while " + during + " (" + e.getMessage() + ")", e);
    }

    /** Releases every cached (not in use) memory object back to the device. */
    synchronized void trim() {
        for (var entry : free.entrySet()) {
            for (cl_mem mem : entry.getValue()) {
                clReleaseMemObject(mem);
                held.remove(mem);
                heldBytes -= entry.getKey();
            }
        }
        free.clear();
    }

    synchronized OpenClPoolStats stats() {
        return new OpenClPoolStats(heldBytes, held.size(), inUseBytes, inUseCount, highWaterBytes, highWaterCount,
                created, reused);
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (cl_mem mem : held) clReleaseMemObject(mem);
        held.clear();
        free.clear();
        heldBytes = 0;
    }
}
