package dev.peft4j.kernels.opencl;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;

/**
 * One OpenCL backend per test JVM: building the program is slow on PoCL, so every test class shares it.
 * Without any OpenCL platform the tests are skipped with the reason; where one exists they must run.
 * {@code -Dpeft4j.opencl.device=N} picks another device.
 */
final class OpenClTestBackend {

    private static OpenClKernels shared;
    private static String unavailable;

    private OpenClTestBackend() {
    }

    static synchronized OpenClKernels get() {
        if (shared == null && unavailable == null) {
            try {
                List<OpenClDevice> devices = OpenClDevices.list();
                if (devices.isEmpty()) {
                    unavailable = "no OpenCL platform/device installed";
                } else {
                    shared = OpenClKernels.create(Integer.getInteger("peft4j.opencl.device", 0));
                }
            } catch (OpenClException e) {
                if (e.getMessage().startsWith("OpenCL is not available")) unavailable = e.getMessage();
                else throw e; // a present but broken runtime, or a kernel build failure, must fail loudly
            }
        }
        assumeTrue(shared != null, () -> "OpenCL tests skipped: " + unavailable);
        return shared;
    }
}
