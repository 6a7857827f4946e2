package dev.peft4j.kernels.opencl;

import static org.jocl.CL.*;

import java.util.function.LongConsumer;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_event;
import org.jocl.cl_kernel;

/**
 * Sets a kernel's arguments in order and enqueues it. Global sizes are rounded up to whole work-groups
 * (kernels bounds-check their tails), and a local size is always given: a null or 1x1 local size can
 * cost an order of magnitude on some drivers.
 */
final class Launch {

    private final OpenClKernels backend;
    private final cl_kernel kernel;
    private final String name;
    private int index;

    Launch(OpenClKernels backend, cl_kernel kernel, String name) {
        this.backend = backend;
        this.kernel = kernel;
        this.name = name;
    }

    Launch mem(OpenClBuffer buffer) {
        clSetKernelArg(kernel, index++, Sizeof.cl_mem, Pointer.to(buffer.mem()));
        return this;
    }

    Launch i(int value) {
        clSetKernelArg(kernel, index++, Sizeof.cl_int, Pointer.to(new int[]{value}));
        return this;
    }

    Launch l(long value) {
        clSetKernelArg(kernel, index++, Sizeof.cl_long, Pointer.to(new long[]{value}));
        return this;
    }

    Launch f(float value) {
        clSetKernelArg(kernel, index++, Sizeof.cl_float, Pointer.to(new float[]{value}));
        return this;
    }

    /** An {@code int8} vector argument (shapes and strides of up to rank 8). */
    Launch int8(int[] values) {
        if (values.length != 8) throw new IllegalArgumentException("int8 argument needs 8 values, got " + values.length);
        clSetKernelArg(kernel, index++, Sizeof.cl_int * 8, Pointer.to(values));
        return this;
    }

    /** 1-D launch over {@code n} items. */
    void run1(long n, int local) {
        run(new long[]{roundUp(n, local)}, new long[]{local});
    }

    void run(long[] global, long[] local) {
        for (int d = 0; d < global.length; d++) {
            if (global[d] == 0) return; // nothing to do; OpenCL rejects empty ranges
            global[d] = roundUp(global[d], local[d]);
        }
        LongConsumer timer = backend.eventTimer();
        cl_event event = timer == null ? null : new cl_event();
        try {
            clEnqueueNDRangeKernel(backend.queue(), kernel, global.length, null, global, local, 0, null, event);
        } catch (CLException e) {
            if (OpenClBufferPool.isOutOfMemory(e.getStatus())) throw backend.outOfMemory(e, name);
            throw new OpenClException("launching OpenCL kernel '" + name + "' failed: " + e.getMessage(), e);
        }
        if (event != null) {
            clWaitForEvents(1, new cl_event[]{event});
            long[] start = new long[1];
            long[] end = new long[1];
            clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, Sizeof.cl_ulong, Pointer.to(start), null);
            clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, Sizeof.cl_ulong, Pointer.to(end), null);
            clReleaseEvent(event);
            timer.accept(end[0] - start[0]);
        }
    }

    static long roundUp(long n, long multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}
