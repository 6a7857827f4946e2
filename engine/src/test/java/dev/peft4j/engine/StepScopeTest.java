package dev.peft4j.engine;

import dev.peft4j.engine.optim.AdamW;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Unary;
import dev.peft4j.kernels.cpu.CpuBuffer;
import dev.peft4j.kernels.cpu.CpuKernels;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link StepScope}: what a step's scope hands back to the pool (recorded outputs, saved pre-activations) and
 * what it never touches (leaves, their gradients, views of them, optimizer state), and that training inside
 * scopes, with every activation recycled, computes exactly what it computes without them.
 */
class StepScopeTest {

    private static final int N = 1 << 16; // long enough to be pooled at the default threshold

    @Test
    void closesRecordedOutputsAndNeverLeavesGradientsOrViewsOfThem() {
        try (CpuKernels k = new CpuKernels()) {
            Tensor w = Tensor.full(k, 0.5f, N).requiresGrad(true);
            Tensor x = Tensor.full(k, 2f, N);
            float[] h;
            float loss;
            try (StepScope step = StepScope.open()) {
                Tensor hidden = x.mul(w);                 // recorded, fresh storage: the scope's
                Tensor viewOfW = w.reshape(1, N);         // recorded, but w's own storage: never closed
                Tensor out = hidden.add(viewOfW.reshape(N)).sum();
                out.backward();
                loss = out.item();
                h = arrayOf(hidden.buffer());
                assertTrue(step.ownedBuffers() >= 2, "owned: " + step.ownedBuffers());
            }
            assertEquals(N * 1.5f, loss);
            // The hidden array comes back from the pool; w's data and gradient never do.
            List<float[]> served = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                served.add(arrayOf(k.allocate(N)));
            }
            assertTrue(served.stream().anyMatch(a -> a == h), "the recorded output was not handed back");
            float[] wData = arrayOf(w.buffer());
            float[] wGrad = arrayOf(w.grad().buffer());
            assertFalse(served.stream().anyMatch(a -> a == wData || a == wGrad), "a leaf or its gradient was recycled");
            for (int i = 0; i < N; i++) {
                assertEquals(0.5f, wData[i]);
                assertEquals(3f, wGrad[i]); // d(x·w + w)/dw
            }
        }
    }

    @Test
    void fusedActivationsKeepNothingPastTheScope() {
        try (CpuKernels k = new CpuKernels()) {
            Tensor x = Tensor.full(k, 0.25f, 64, 256);
            Tensor w = Tensor.full(k, 0.01f, 1024, 256).requiresGrad(true);
            try (StepScope step = StepScope.open()) {
                Tensor y = Functional.linear(x, w, null, Unary.GELU_TANH); // output + saved pre-activation
                assertEquals(2, step.ownedBuffers());
                y.sum().backward();
            }
        }
    }

    @Test
    void trainingInsideScopesComputesWhatItComputesWithout() {
        Map<Boolean, float[]> losses = new IdentityHashMap<>();
        Map<Boolean, float[]> weights = new IdentityHashMap<>();
        for (boolean scoped : new boolean[] {false, true}) {
            try (CpuKernels k = new CpuKernels()) {
                Rng rng = new Rng(7);
                Tensor x = Tensor.of(k, rng.normal(64 * 256, 0, 1f), 64, 256);
                Tensor w1 = Tensor.of(k, rng.normal(1024 * 256, 0, 0.05f), 1024, 256).requiresGrad(true);
                Tensor b1 = Tensor.zeros(k, 1024).requiresGrad(true);
                Tensor g = Tensor.ones(k, 1024).requiresGrad(true);
                Tensor w2 = Tensor.of(k, rng.normal(50 * 1024, 0, 0.05f), 50, 1024); // frozen head
                int[] targets = new int[64];
                for (int i = 0; i < targets.length; i++) {
                    targets[i] = (i * 7) % 50;
                }
                AdamW opt = new AdamW(List.of(w1, b1, g), 1e-2f);
                float[] trace = new float[5];
                for (int s = 0; s < trace.length; s++) {
                    opt.zeroGrad();
                    StepScope step = scoped ? StepScope.open() : null;
                    Tensor h = Functional.linear(x, w1, b1, Unary.GELU_TANH);
                    h = Functional.dropout(h, 0.1f, 100 + s);
                    h = Functional.layerNorm(h, g, null, 1e-5f);
                    Tensor loss = Functional.linearCrossEntropy(h, w2, targets, Functional.IGNORE_INDEX);
                    loss.backward();
                    opt.step();
                    trace[s] = loss.item();
                    if (step != null) {
                        step.close();
                    }
                }
                losses.put(scoped, trace);
                weights.put(scoped, w1.toArray());
            }
        }
        assertArrayEquals(losses.get(false), losses.get(true));
        assertArrayEquals(weights.get(false), weights.get(true));
    }

    @Test
    void opsUnderNoGradOwnNothing() {
        try (CpuKernels k = new CpuKernels(); StepScope step = StepScope.open()) {
            Tensor w = Tensor.full(k, 1f, N).requiresGrad(true);
            try (Autograd.Scope ignored = Autograd.noGrad()) {
                w.mul(2f).add(w);
            }
            assertEquals(0, step.ownedBuffers());
        }
    }

    @Test
    void anInferenceScopeOwnsWhatOpsMakeUnderNoGradAndReleasesItEarly() {
        try (CpuKernels k = new CpuKernels(); Autograd.Scope ignored = Autograd.noGrad()) {
            Tensor w = Tensor.full(k, 1f, N).requiresGrad(true);
            float[] kept;
            try (StepScope pass = StepScope.openForInference()) {
                Tensor h = w.mul(2f);
                float[] released = arrayOf(h.buffer());
                Tensor y = h.add(w);
                StepScope.release(h); // no rule was recorded: nothing reads it
                assertEquals(1, pass.ownedBuffers());
                assertTrue(arrayOf(k.allocate(N)) == released, "the released array was not served back at once");
                assertEquals(3f, y.toArray()[0]);
                kept = arrayOf(y.buffer());
            }
            assertTrue(arrayOf(k.allocate(N)) == kept, "the pass's output was not handed back when it closed");
        }
    }

    @Test
    void aFrozenPrefixsActivationsBelongToTheStep() {
        try (CpuKernels k = new CpuKernels()) {
            float[] frozen;
            try (StepScope step = StepScope.open()) {
                Tensor y = Tensor.full(k, 1f, N).mul(3f); // no input requires grad: nothing recorded, still the step's
                assertEquals(1, step.ownedBuffers());
                frozen = arrayOf(y.buffer());
            }
            float[] served = arrayOf(k.allocate(N));
            assertTrue(served == frozen, "the frozen activation was not handed back to the pool");
        }
    }

    @Test
    void scopesNestAndCloseInReverseOrderOnTheirThread() throws InterruptedException {
        try (CpuKernels k = new CpuKernels()) {
            Tensor w = Tensor.full(k, 1f, 16).requiresGrad(true);
            StepScope outer = StepScope.open();
            StepScope inner = StepScope.open();
            w.mul(2f);
            assertEquals(1, inner.ownedBuffers());
            assertEquals(0, outer.ownedBuffers());
            IllegalStateException early = assertThrows(IllegalStateException.class, outer::close);
            assertTrue(early.getMessage().contains("still open"), early.getMessage());
            ExecutionException elsewhere = assertThrows(ExecutionException.class,
                    () -> CompletableFuture.runAsync(inner::close).get());
            assertInstanceOf(IllegalStateException.class, elsewhere.getCause());
            inner.close();
            w.mul(3f);
            assertEquals(1, outer.ownedBuffers());
            outer.close();
            outer.close(); // a second close does nothing
            assertFalse(StepScope.isOpen());
        }
    }

    private static float[] arrayOf(Buffer b) {
        return ((CpuBuffer) b).array();
    }
}
