package dev.peft4j.engine;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Unary;
import dev.peft4j.kernels.cpu.CpuBuffer;
import dev.peft4j.kernels.cpu.CpuKernels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link StepScope#release}: what no backward rule reads goes back to the pool at once, what one reads stays, and
 * the gradients are those of the same step without a release. The suite's pool fills every closed array with NaN,
 * so a rule that read released storage would turn these exact comparisons into NaN.
 */
class StepScopeReleaseTest {

    private static final int ROWS = 8;
    private static final int D = 16;
    private static final int WIDE = 64;

    /** A pre-norm MLP block: r = x0 + W2·gelu(W1·ln(x0) + b1) with x0 = x·Waᵀ; the loss is sum(r²). */
    private record Block(Tensor x, Tensor wa, Tensor w1, Tensor b1, Tensor w2) {

        static Block make(CpuKernels k, boolean mlpTrains) {
            Rng rng = new Rng(7);
            return new Block(Tensor.of(k, rng.normal(ROWS * D, 0, 1), ROWS, D),
                    Tensor.of(k, rng.normal(D * D, 0, 0.3), D, D).requiresGrad(true),
                    Tensor.of(k, rng.normal(WIDE * D, 0, 0.3), WIDE, D).requiresGrad(mlpTrains),
                    Tensor.of(k, rng.normal(WIDE, 0, 0.1), WIDE),
                    Tensor.of(k, rng.normal(D * WIDE, 0, 0.3), D, WIDE).requiresGrad(mlpTrains));
        }

        /** The loss, then every trainable weight's gradient, of one step in its own scope (releasing or not). */
        Step step(CpuKernels k, boolean release) {
            for (Tensor w : List.of(wa, w1, w2)) {
                w.zeroGrad();
            }
            try (StepScope scope = StepScope.open()) {
                Tensor x0 = Functional.linear(x, wa, null);
                Tensor h = Functional.layerNorm(x0, null, null, 1e-5f);
                Tensor f = Functional.linear(h, w1, b1, Unary.GELU_TANH);
                Tensor p = Functional.linear(f, w2, null);
                Tensor r = x0.add(p);
                int released = 0;
                boolean servedBack = false;
                if (release) {
                    float[] pArray = arrayOf(p.buffer());
                    int owned = scope.ownedBuffers();
                    StepScope.release(h, f, p);
                    released = owned - scope.ownedBuffers();
                    // The pool hands the last array back first: p's, at once, not at the step's end.
                    try (Buffer next = k.allocate(ROWS * D)) {
                        servedBack = arrayOf(next) == pArray;
                    }
                }
                Tensor loss = r.mul(r).sum();
                loss.backward();
                List<float[]> values = new ArrayList<>(List.of(new float[] {loss.item()}, wa.grad().toArray()));
                if (w1.requiresGrad()) {
                    values.add(w1.grad().toArray());
                    values.add(w2.grad().toArray());
                }
                return new Step(values, released, servedBack);
            }
        }
    }

    private record Step(List<float[]> values, int released, boolean servedBack) {
    }

    @Test
    void aFrozenMlpsActivationsGoBackAtOnceAndTheGradientsStayExact() {
        try (CpuKernels k = new CpuKernels()) {
            Block block = Block.make(k, false);
            Step kept = block.step(k, false);
            Step early = block.step(k, true);
            // The norm's output (a frozen W1 reads no input), the GELU's (nor does a frozen W2), W2's (the sum's
            // rule reads no operand): none is read by a backward rule.
            assertEquals(3, early.released());
            assertTrue(early.servedBack(), "a released array did not go straight back to the pool");
            assertSameValues(kept, early);
        }
    }

    @Test
    void whatATrainingLayerReadsStaysUntilTheStepEnds() {
        try (CpuKernels k = new CpuKernels()) {
            Block block = Block.make(k, true);
            Step kept = block.step(k, false);
            Step early = block.step(k, true);
            // W1 and W2 train: dW1 reads the norm's output and dW2 the GELU's; only W2's output goes.
            assertEquals(1, early.released());
            assertSameValues(kept, early);
        }
    }

    @Test
    void aRuleThatDoesNotNameWhatItReadsKeepsEverything() {
        try (CpuKernels k = new CpuKernels(); StepScope scope = StepScope.open()) {
            Tensor w = Tensor.full(k, 0.5f, 4, 8).requiresGrad(true);
            Tensor y = w.mul(2f);
            Tensor s = y.softmax(); // its rule reads its output
            Tensor m = s.matmul(Tensor.full(k, 1f, 8, 3)); // reads both operands and (record's default) its output
            Tensor q = m.mul(2f); // reads nothing
            int owned = scope.ownedBuffers();
            StepScope.release(s, y, w, m, q.t());
            // s: read by softmax's rule and matmul's; y: by softmax's (the default again); w: a leaf, never owned;
            // m: matmul's own output; q: read by nothing, released through a view of it.
            assertEquals(owned - 1, scope.ownedBuffers());
            s.sum().backward();
            assertTrue(Float.isFinite(w.grad().toArray()[0]));
        }
    }

    @Test
    void outsideAScopeOrUnderNoGradNothingIsReleased() {
        try (CpuKernels k = new CpuKernels()) {
            Tensor w = Tensor.full(k, 0.5f, 4, 8).requiresGrad(true);
            Tensor y = w.mul(2f);
            StepScope.release(y); // no scope: the collector owns it
            assertEquals(1f, y.toArray()[0]);
            try (StepScope scope = StepScope.open()) {
                Tensor z;
                try (Autograd.Scope ignored = Autograd.noGrad()) {
                    z = w.mul(3f);
                }
                StepScope.release(z, w);
                assertEquals(1.5f, z.toArray()[0]);
                assertEquals(0.5f, w.toArray()[0]);
                assertEquals(0, scope.ownedBuffers());
            }
        }
    }

    private static void assertSameValues(Step expected, Step actual) {
        assertEquals(expected.values().size(), actual.values().size());
        for (int i = 0; i < expected.values().size(); i++) {
            assertArrayEquals(expected.values().get(i), actual.values().get(i), i == 0 ? "loss" : "gradient " + i);
        }
        assertTrue(Float.isFinite(actual.values().get(0)[0]));
    }

    private static float[] arrayOf(Buffer b) {
        return ((CpuBuffer) b).array();
    }
}
