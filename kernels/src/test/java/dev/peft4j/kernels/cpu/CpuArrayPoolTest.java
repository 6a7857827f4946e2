package dev.peft4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.Buffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Closed CPU buffers' arrays serve later allocations: zero-filled, once per close, by exact length. */
class CpuArrayPoolTest {

    private static final int MIN = 100;

    private static CpuBuffer pooled(CpuArrayPool pool, int length) {
        return new CpuBuffer(pool.take(length), pool);
    }

    @Test
    void aClosedBufferServesTheNextAllocationOfItsLengthZeroFilled() {
        CpuArrayPool pool = new CpuArrayPool(MIN, false);
        CpuBuffer first = pooled(pool, MIN);
        float[] a = first.array();
        Arrays.fill(a, 3f);
        first.close();
        assertNotSame(a, pool.take(MIN + 1), "another length gets a new array");
        float[] again = pool.take(MIN);
        assertSame(a, again);
        for (float v : again) {
            assertEquals(0f, v, "a recycled array comes back zero-filled");
        }
        assertEquals(1, pool.reused());
    }

    @Test
    void aSecondCloseDoesNotHandTheArrayOutTwice() {
        CpuArrayPool pool = new CpuArrayPool(MIN, false);
        CpuBuffer b = pooled(pool, MIN);
        b.close();
        b.close();
        assertNotSame(pool.take(MIN), pool.take(MIN));
        assertEquals(1, pool.reused());
    }

    @Test
    void shortArraysAndCallersArraysAreLeftToTheCollector() {
        CpuArrayPool pool = new CpuArrayPool(MIN, false);
        CpuBuffer small = pooled(pool, MIN - 1);
        float[] s = small.array();
        small.close();
        assertNotSame(s, pool.take(MIN - 1));
        float[] mine = new float[MIN];
        new CpuBuffer(mine).close(); // wraps an array the caller made: never pooled
        assertNotSame(mine, pool.take(MIN));
        assertEquals(0, pool.reused());
    }

    @Test
    void thePoolKeepsABoundedNumberPerLength() {
        CpuArrayPool pool = new CpuArrayPool(MIN, false);
        List<CpuBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < CpuArrayPool.MAX_PER_LENGTH + 3; i++) {
            buffers.add(pooled(pool, MIN));
        }
        buffers.forEach(CpuBuffer::close);
        for (int i = 0; i < CpuArrayPool.MAX_PER_LENGTH + 3; i++) {
            pool.take(MIN);
        }
        assertEquals(CpuArrayPool.MAX_PER_LENGTH, pool.reused());
    }

    @Test
    void theBackendAllocatesFromItsPool() {
        try (CpuKernels k = new CpuKernels(1, CpuKernels.DEFAULT_MIN_PARALLEL_WORK)) {
            int n = CpuArrayPool.DEFAULT_MIN_LENGTH; // pooled at the default threshold and any lower one
            Buffer b = k.allocate(n);
            float[] a = ((CpuBuffer) b).array();
            b.close();
            assertSame(a, ((CpuBuffer) k.allocate(n)).array());
            assertEquals(1, k.recycledArrays());
        }
    }

    @Test
    void aPoisoningPoolFillsEveryClosedArrayWithNaN() {
        CpuArrayPool pool = new CpuArrayPool(MIN, true);
        for (int length : new int[] {MIN - 1, MIN}) { // poisoned whether or not it is kept
            CpuBuffer b = pooled(pool, length);
            Arrays.fill(b.array(), 1f);
            b.close();
            for (float v : b.array()) {
                assertTrue(Float.isNaN(v), "length " + length);
            }
        }
        for (float v : pool.take(MIN)) {
            assertEquals(0f, v, "handed out zero-filled again");
        }
    }

    @Test
    void aThresholdBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new CpuArrayPool(0, false));
    }
}
