package dev.peft4j.kernels.opencl;

import static org.jocl.CL.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/** Enumerates OpenCL devices across all platforms in a stable order (platform, then device). */
public final class OpenClDevices {

    /** A listed device together with the handles needed to open it. */
    record Handle(OpenClDevice info, cl_platform_id platform, cl_device_id device) {
    }

    private OpenClDevices() {
    }

    /**
     * All devices of all platforms; empty when an OpenCL runtime is installed but offers no platform.
     *
     * @throws OpenClException when no OpenCL library or ICD loader can be loaded
     */
    public static List<OpenClDevice> list() {
        return handles().stream().map(Handle::info).toList();
    }

    static List<Handle> handles() {
        try {
            CL.setExceptionsEnabled(true);
            List<Handle> out = new ArrayList<>();
            for (cl_platform_id platform : platforms()) {
                String platformName = platformString(platform, CL_PLATFORM_NAME);
                for (cl_device_id device : devices(platform)) {
                    out.add(new Handle(describe(out.size(), platformName, device), platform, device));
                }
            }
            return List.copyOf(out);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw OpenClException.notAvailable(e);
        } catch (CLException e) {
            // The ICD loader reports "no platform" as an error; any other failure here means a broken runtime.
            if (e.getStatus() == CL_PLATFORM_NOT_FOUND_KHR) return List.of();
            throw OpenClException.notAvailable(e);
        }
    }

    private static cl_platform_id[] platforms() {
        int[] count = new int[1];
        clGetPlatformIDs(0, null, count);
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        if (count[0] > 0) clGetPlatformIDs(count[0], platforms, null);
        return platforms;
    }

    private static cl_device_id[] devices(cl_platform_id platform) {
        int[] count = new int[1];
        try {
            clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, count);
        } catch (CLException e) {
            if (e.getStatus() == CL_DEVICE_NOT_FOUND) return new cl_device_id[0];
            throw e;
        }
        cl_device_id[] devices = new cl_device_id[count[0]];
        clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, count[0], devices, null);
        return devices;
    }

    private static OpenClDevice describe(int index, String platform, cl_device_id device) {
        return new OpenClDevice(index, platform, deviceString(device, CL_DEVICE_NAME),
                typeName(deviceLong(device, CL_DEVICE_TYPE)), deviceLong(device, CL_DEVICE_GLOBAL_MEM_SIZE),
                (int) deviceInt(device, CL_DEVICE_MAX_COMPUTE_UNITS), deviceSize(device, CL_DEVICE_MAX_WORK_GROUP_SIZE));
    }

    private static String typeName(long type) {
        if ((type & CL_DEVICE_TYPE_GPU) != 0) return "GPU";
        if ((type & CL_DEVICE_TYPE_CPU) != 0) return "CPU";
        if ((type & CL_DEVICE_TYPE_ACCELERATOR) != 0) return "accelerator";
        return "other";
    }

    static String platformString(cl_platform_id platform, int param) {
        long[] size = new long[1];
        clGetPlatformInfo(platform, param, 0, null, size);
        byte[] bytes = new byte[(int) size[0]];
        clGetPlatformInfo(platform, param, bytes.length, Pointer.to(bytes), null);
        return cString(bytes);
    }

    static String deviceString(cl_device_id device, int param) {
        long[] size = new long[1];
        clGetDeviceInfo(device, param, 0, null, size);
        byte[] bytes = new byte[(int) size[0]];
        clGetDeviceInfo(device, param, bytes.length, Pointer.to(bytes), null);
        return cString(bytes);
    }

    static long deviceLong(cl_device_id device, int param) {
        long[] value = new long[1];
        clGetDeviceInfo(device, param, Sizeof.cl_ulong, Pointer.to(value), null);
        return value[0];
    }

    static long deviceInt(cl_device_id device, int param) {
        int[] value = new int[1];
        clGetDeviceInfo(device, param, Sizeof.cl_uint, Pointer.to(value), null);
        return Integer.toUnsignedLong(value[0]);
    }

    static long deviceSize(cl_device_id device, int param) {
        long[] value = new long[1];
        clGetDeviceInfo(device, param, Sizeof.size_t, Pointer.to(value), null);
        return value[0];
    }

    private static String cString(byte[] bytes) {
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) end++;
        return new String(bytes, 0, end, StandardCharsets.UTF_8).trim();
    }
}
