package dev.peft4j.kernels.opencl;

import static org.jocl.CL.*;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jocl.CLException;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_queue_properties;

/**
 * One device's context and in-order command queue, the device limits the kernels are sized by, and
 * the cache of programs built for it (building is slow, so each source set is compiled once).
 */
final class OpenClContext implements AutoCloseable {

    final OpenClDevice info;
    final cl_device_id device;
    final cl_context context;
    final cl_command_queue queue;
    final long maxAllocBytes;
    final long localMemBytes;
    final boolean fp64;
    private final Map<String, OpenClProgram> programs = new HashMap<>();

    private OpenClContext(OpenClDevices.Handle handle) {
        this.info = handle.info();
        this.device = handle.device();
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, handle.platform());
        this.context = clCreateContext(props, 1, new cl_device_id[]{device}, null, null, null);
        cl_queue_properties queueProps = new cl_queue_properties();
        // Profiling is cheap and lets benchmarks time kernels with events.
        queueProps.addProperty(CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE);
        this.queue = clCreateCommandQueueWithProperties(context, device, queueProps, null);
        this.maxAllocBytes = OpenClDevices.deviceLong(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
        this.localMemBytes = OpenClDevices.deviceLong(device, CL_DEVICE_LOCAL_MEM_SIZE);
        this.fp64 = OpenClDevices.deviceString(device, CL_DEVICE_EXTENSIONS).contains("cl_khr_fp64");
    }

    /** Opens device {@code index} of {@link OpenClDevices#list()}. */
    static OpenClContext open(int index) {
        List<OpenClDevices.Handle> handles = OpenClDevices.handles();
        if (handles.isEmpty()) {
            throw new OpenClException("no OpenCL platform or device found (the OpenCL loader is installed but lists"
                    + " no platform; install a driver such as PoCL or a GPU vendor's ICD); use --device cpu");
        }
        if (index < 0 || index >= handles.size()) {
            throw new OpenClException("no OpenCL device " + index + ": " + handles.size()
                    + " device(s) found, indices 0.." + (handles.size() - 1) + " (see `peft4j devices`)");
        }
        try {
            return new OpenClContext(handles.get(index));
        } catch (CLException e) {
            throw new OpenClException("could not open OpenCL device " + index + " (" + handles.get(index).info().name()
                    + "): " + e.getMessage(), e);
        }
    }

    /** The program built from {@code sources} with {@code options}, built on first request only. */
    OpenClProgram program(String sources, String options) {
        return programs.computeIfAbsent(options + "\n" + sources,
                key -> OpenClProgram.build(context, device, info.name(), sources, options));
    }

    long maxWorkGroupSize() {
        return info.maxWorkGroupSize();
    }

    void finish() {
        clFinish(queue);
    }

    @Override
    public void close() {
        programs.values().forEach(OpenClProgram::close);
        programs.clear();
        clReleaseCommandQueue(queue);
        clReleaseContext(context);
    }
}
