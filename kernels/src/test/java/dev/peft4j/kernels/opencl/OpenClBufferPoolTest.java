package dev.peft4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Unary;
import org.junit.jupiter.api.Test;

/** The pool must reach a steady state: after warm-up a training loop creates no new device memory. */
class OpenClBufferPoolTest {

    @Test
    void highWaterMarkStaysFlatOverAThousandTrainingSteps() {
        OpenClKernels cl = OpenClTestBackend.get();
        float[] input = new float[16 * 48];
        for (int i = 0; i < input.length; i++) input[i] = (i % 13) / 13f - 0.5f;
        OpenClPoolStats afterWarmup = null;
        float[] loss = new float[1];
        try (Buffer w = cl.allocate(48 * 32); Buffer wGrad = cl.allocate(48 * 32);
             Buffer m = cl.allocate(48 * 32); Buffer v = cl.allocate(48 * 32)) {
            cl.fill(w, 0, 48 * 32, 0.01f);
            for (int step = 1; step <= 1000; step++) {
                // forward: x (16x48) @ w (48x32) -> gelu -> sum; backward: dW = x^T @ gelu'(h); AdamW
                try (Buffer x = cl.upload(input, 0, input.length); Buffer h = cl.allocate(16 * 32);
                     Buffer a = cl.allocate(16 * 32); Buffer s = cl.allocate(1); Buffer ones = cl.allocate(16 * 32);
                     Buffer dh = cl.allocate(16 * 32)) {
                    cl.gemm(false, false, 16, 32, 48, 1f, x, 0, 48, w, 0, 32, 0f, h, 0, 32);
                    cl.unary(Unary.GELU_TANH, h, 0, a, 0, 16 * 32);
                    cl.sum(a, 0, 16 * 32, s, 0, false);
                    cl.fill(ones, 0, 16 * 32, 1f);
                    cl.unaryBackward(Unary.GELU_TANH, h, 0, ones, 0, dh, 0, 16 * 32);
                    cl.gemm(true, false, 48, 32, 16, 1f, x, 0, 48, dh, 0, 32, 0f, wGrad, 0, 32);
                    cl.adamW(w, 0, wGrad, 0, m, 0, v, 0, 48 * 32, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, step);
                    if (step == 1000) cl.read(s, 0, loss, 0, 1);
                }
                if (step == 5) afterWarmup = cl.poolStats();
            }
        }
        OpenClPoolStats end = cl.poolStats();
        assertTrue(Float.isFinite(loss[0]), "the loop computed something");
        assertEquals(afterWarmup.highWaterBytes(), end.highWaterBytes(), "high-water bytes grew: " + afterWarmup + " -> " + end);
        assertEquals(afterWarmup.highWaterCount(), end.highWaterCount(), "high-water count grew");
        assertEquals(afterWarmup.created(), end.created(), "steady-state steps must reuse, not create, memory objects");
        assertTrue(end.reused() - afterWarmup.reused() >= 995L * 7, "every step's buffers come from the pool: " + end);
    }

    @Test
    void sizeClassesBoundSlackAndRoundUp() {
        assertEquals(256, OpenClBufferPool.sizeClass(1));
        assertEquals(1024, OpenClBufferPool.sizeClass(1000));
        assertEquals(1280, OpenClBufferPool.sizeClass(1025));
        for (long bytes = 1; bytes < 1 << 22; bytes = bytes * 3 / 2 + 1) {
            long c = OpenClBufferPool.sizeClass(bytes);
            assertTrue(c >= bytes && (c <= 256 || c < bytes * 1.25 + 1), bytes + " -> " + c);
        }
    }

    @Test
    void closedBuffersAreRejectedAndDoubleCloseIsHarmless() {
        OpenClKernels cl = OpenClTestBackend.get();
        Buffer b = cl.allocate(10);
        b.close();
        b.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cl.fill(b, 0, 10, 1f));
        assertTrue(e.getMessage().contains("after close"), e.getMessage());
        float[] got = new float[7];
        try (Buffer reused = cl.allocate(7)) { // recycled memory must come back zero-filled
            cl.read(reused, 0, got, 0, 7);
        }
        for (float f : got) assertEquals(0f, f);
    }
}
