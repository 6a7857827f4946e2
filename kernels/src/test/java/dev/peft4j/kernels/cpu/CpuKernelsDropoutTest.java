package dev.peft4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.DropoutHash;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CpuKernelsDropoutTest {

    /**
     * Values of the documented arithmetic computed outside Java (Python integers masked to 64 bits), so a
     * change of the hash, which would silently desynchronise CPU and OpenCL masks, fails here.
     */
    @Test
    void hashMatchesTheDocumentedArithmetic() {
        assertEquals(0L, DropoutHash.mix(0L));
        assertEquals(14819496 * 0x1.0p-24f, DropoutHash.uniform(0L, 0L));
        assertEquals(4675151 * 0x1.0p-24f, DropoutHash.uniform(42L, 12345L));
        assertEquals(11841687 * 0x1.0p-24f, DropoutHash.uniform(-7L, 1L << 40));
    }

    @Test
    void sameSeedSameMaskAndKeepFractionNearOneMinusP() {
        int n = 100_003;
        float p = 0.3f;
        float[] a = new float[n];
        float[] b = new float[n + 11];
        CpuKernelsTestSupport.FORKING.dropoutMask(new CpuBuffer(a), 0, n, p, 1234L);
        CpuKernelsTestSupport.DEFAULT.dropoutMask(new CpuBuffer(b), 11, n, p, 1234L);
        assertArrayEquals(a, Arrays.copyOfRange(b, 11, n + 11), "offset and thread count must not change the mask");
        int kept = 0;
        float keptValue = 1f / (1f - p);
        for (int i = 0; i < n; i++) {
            assertTrue(a[i] == 0f || a[i] == keptValue, "mask value " + a[i] + " at " + i);
            assertEquals(DropoutHash.maskValue(1234L, i, p), a[i]);
            kept += a[i] != 0f ? 1 : 0;
        }
        double fraction = kept / (double) n;
        double sigma = Math.sqrt(p * (1 - p) / n);
        assertEquals(1 - p, fraction, 5 * sigma, "keep fraction");

        float[] other = new float[n];
        CpuKernelsTestSupport.DEFAULT.dropoutMask(new CpuBuffer(other), 0, n, p, 1235L);
        assertFalse(Arrays.equals(a, other), "a different seed must draw a different mask");
    }

    @Test
    void extremeProbabilitiesAndInvalidP() {
        float[] m = new float[37];
        CpuKernelsTestSupport.DEFAULT.dropoutMask(new CpuBuffer(m), 0, 37, 0f, 9L);
        for (float v : m) {
            assertEquals(1f, v);
        }
        CpuKernelsTestSupport.DEFAULT.dropoutMask(new CpuBuffer(m), 0, 37, 1f, 9L);
        for (float v : m) {
            assertEquals(0f, v);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuKernelsTestSupport.DEFAULT.dropoutMask(new CpuBuffer(m), 0, 37, 1.5f, 9L));
        assertTrue(e.getMessage().contains("1.5"), e.getMessage());
    }
}
