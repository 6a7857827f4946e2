package dev.peft4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Discovery and the error messages a user sees. */
class OpenClDevicesTest {

    @Test
    void listsDevicesWithSaneProperties() {
        OpenClTestBackend.get(); // skips when no platform
        List<OpenClDevice> devices = OpenClDevices.list();
        assertFalse(devices.isEmpty());
        for (int i = 0; i < devices.size(); i++) {
            OpenClDevice d = devices.get(i);
            assertEquals(i, d.index());
            assertFalse(d.name().isBlank());
            assertFalse(d.platform().isBlank());
            assertTrue(d.globalMemBytes() > 0 && d.computeUnits() > 0 && d.maxWorkGroupSize() > 0, d.toString());
            assertTrue(d.describe().startsWith("opencl:" + i), d.describe());
        }
    }

    @Test
    void unknownDeviceIndexSaysHowManyExist() {
        OpenClTestBackend.get();
        OpenClException e = assertThrows(OpenClException.class, () -> OpenClKernels.create(999));
        assertTrue(e.getMessage().contains("no OpenCL device 999"), e.getMessage());
    }

    @Test
    void buildFailureCarriesTheBuildLog() {
        OpenClKernels cl = OpenClTestBackend.get();
        OpenClException e = assertThrows(OpenClException.class,
                () -> cl.context().program("__kernel void broken(__global float* x) { x[0] = undefined_name; }", ""));
        assertTrue(e.getMessage().contains("build log"), e.getMessage());
        assertTrue(e.getMessage().contains("undefined_name"), "the log names the bad identifier: " + e.getMessage());
    }

    @Test
    void oversizedAllocationNamesRequestAndDeviceMemory() {
        OpenClKernels cl = OpenClTestBackend.get();
        long largest = 4L * Integer.MAX_VALUE;
        if (OpenClBufferPool.sizeClass(largest) > cl.context().maxAllocBytes) { // the public path can exceed it
            OpenClOutOfMemoryException e = assertThrows(OpenClOutOfMemoryException.class,
                    () -> cl.allocate(Integer.MAX_VALUE));
            assertEquals(largest, e.requestedBytes());
            assertTrue(e.getMessage().contains("requested 8.00 GiB") && e.getMessage().contains("global memory"),
                    e.getMessage());
        }
        // Devices whose single allocation holds 2^31 floats (PoCL on a 24 GiB host allows 8 GiB): one float over.
        long over = cl.context().maxAllocBytes + 4;
        OpenClOutOfMemoryException e = assertThrows(OpenClOutOfMemoryException.class,
                () -> cl.pool().requireSingleAllocation(OpenClBufferPool.sizeClass(over), over));
        assertEquals(over, e.requestedBytes());
        assertTrue(e.getMessage().contains("(" + over + " bytes)") && e.getMessage().contains("max single allocation")
                && e.getMessage().contains(cl.context().info.name()), e.getMessage());
    }
}
