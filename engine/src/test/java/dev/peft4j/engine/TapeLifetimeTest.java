package dev.peft4j.engine;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the tape keeps alive: backward rules that only accumulate into an input hold its autograd slot,
 * so an activation no rule saves can be collected while the graph (and the loss) are still reachable.
 */
class TapeLifetimeTest {

    private static final Kernels K = new CpuKernels();

    /** Collects until {@code ref} clears (or gives up after a few rounds; the assertion then fails). */
    private static void collect(WeakReference<?> ref) throws InterruptedException {
        for (int i = 0; i < 20 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
    }

    @Test
    void unsavedActivationsOfAFrozenLinearChainAreNotHeld() throws InterruptedException {
        Tensor x = Tensor.of(K, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor a = Tensor.of(K, new float[] {0.5f, -1, 2, 1, 0, -0.5f}, 2, 3).requiresGrad(true); // trained
        Tensor w = Tensor.of(K, new float[] {1, 2, -1, 3}, 2, 2); // frozen
        Tensor b = Tensor.of(K, new float[] {0.25f, -0.75f}, 2); // frozen

        Tensor h = Functional.linear(x, a, null);            // saves x (for dA), not h
        Tensor y = Functional.linear(h, w, b);               // frozen W: saves nothing; h is only a grad target
        Tensor z = y.add(y.mul(2f)).reshape(4).slice(0, 1, 3); // add/affine/views: targets only
        WeakReference<Buffer> hData = new WeakReference<>(h.buffer());
        WeakReference<Buffer> yData = new WeakReference<>(y.buffer());
        Tensor loss = z.sum();
        h = null;
        y = null;
        z = null;
        collect(hData);
        collect(yData);
        assertNull(hData.get(), "the tape kept a frozen linear's input, which only its gradient needs");
        assertNull(yData.get(), "the tape kept an add/affine/view input, which only its gradient needs");

        loss.backward();
        // dz/dy = 3 at flattened positions 1 and 2 of y [2, 2]: dy = [[0, 3], [3, 0]]; dh = dy·W; dA = dhᵀ·x.
        float[] dh = {3 * -1, 3 * 3, 3 * 1, 3 * 2}; // rows 3·W[1] and 3·W[0]
        float[] xs = {1, 2, 3, 4, 5, 6};
        float[] dA = new float[6];
        for (int o = 0; o < 2; o++) {
            for (int i = 0; i < 3; i++) {
                dA[o * 3 + i] = dh[o] * xs[i] + dh[2 + o] * xs[3 + i];
            }
        }
        assertNotNull(a.grad());
        assertArrayEquals(dA, a.grad().toArray(), 1e-5f);
    }

    @Test
    void intermediateGradientsAreRecycledAndARetainedOneIsKept() {
        try (CpuKernels k = new CpuKernels()) {
            int n = 1 << 16; // long enough to be pooled at the default threshold
            Tensor x = Tensor.full(k, 1f, n).requiresGrad(true);
            Tensor h = x.mul(2f).retainGrad();
            Tensor y = h.mul(3f).add(h); // dy/dh = 4; y's own gradient is released after its rule runs
            Tensor loss = y.mul(0.5f).sum();
            long before = k.recycledArrays();
            loss.backward();
            for (int i = 0; i < 4; i++) { // later allocations of the length draw every released gradient
                Buffer b = k.allocate(n);
                k.fill(b, 0, n, 7f);
            }
            assertTrue(k.recycledArrays() > before, "backward released no intermediate gradient to the pool");
            float[] dh = h.grad().toArray();
            float[] dx = x.grad().toArray();
            for (int i = 0; i < n; i++) {
                assertEquals(2f, dh[i], "a retained gradient was handed out again");
                assertEquals(4f, dx[i], "a leaf gradient was handed out again");
            }
        }
    }
}
