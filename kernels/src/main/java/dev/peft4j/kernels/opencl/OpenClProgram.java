package dev.peft4j.kernels.opencl;

import static org.jocl.CL.*;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

/** A built OpenCL program; each kernel object is created on first lookup and reused afterwards. */
final class OpenClProgram implements AutoCloseable {

    private final cl_program program;
    private final Map<String, cl_kernel> kernels = new HashMap<>();

    private OpenClProgram(cl_program program) {
        this.program = program;
    }

    static OpenClProgram build(cl_context context, cl_device_id device, String deviceName, String source,
                               String options) {
        cl_program program = clCreateProgramWithSource(context, 1, new String[]{source}, null, null);
        try {
            clBuildProgram(program, 1, new cl_device_id[]{device}, options, null, null);
        } catch (CLException e) {
            String log = buildLog(program, device);
            clReleaseProgram(program);
            throw new OpenClException("OpenCL program build failed on " + deviceName + " (" + e.getMessage()
                    + ") with options [" + options + "]; build log:\n" + log, e);
        }
        return new OpenClProgram(program);
    }

    /** The kernel named {@code name}; fails naming it when the program has no such kernel. */
    cl_kernel kernel(String name) {
        return kernels.computeIfAbsent(name, n -> {
            try {
                return clCreateKernel(program, n, null);
            } catch (CLException e) {
                throw new OpenClException("OpenCL kernel '" + n + "' not found in program: " + e.getMessage(), e);
            }
        });
    }

    private static String buildLog(cl_program program, cl_device_id device) {
        long[] size = new long[1];
        clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, null, size);
        byte[] bytes = new byte[(int) size[0]];
        clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, bytes.length, Pointer.to(bytes), null);
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) end++;
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        kernels.values().forEach(k -> clReleaseKernel(k));
        kernels.clear();
        clReleaseProgram(program);
    }
}
