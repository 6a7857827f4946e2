package dev.peft4j.engine;

import org.junit.jupiter.api.Test;

import static dev.peft4j.engine.TestBackend.CPU;
import static dev.peft4j.engine.TestBackend.param;
import static dev.peft4j.engine.TestBackend.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tensor creation, host transfer, finiteness checks and the autograd tape's rules. */
class TensorTest {

    @Test
    void createsAndReadsBack() {
        Tensor t = tensor(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new int[] {2, 3}, t.shape());
        assertArrayEquals(new int[] {3, 1}, t.strides());
        assertEquals(6, t.numel());
        assertEquals(3, t.dim(-1));
        assertTrue(t.isContiguous());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, t.toArray());
        assertArrayEquals(new float[] {7, 7, 7, 7}, Tensor.full(CPU, 7, 2, 2).toArray());
        assertArrayEquals(new float[4], Tensor.zeros(CPU, 4).toArray());
        assertEquals(2.5f, Tensor.scalar(CPU, 2.5f).item());
        assertEquals(0, Tensor.scalar(CPU, 1).rank());
        t.copyFrom(new float[] {6, 5, 4, 3, 2, 1});
        assertArrayEquals(new float[] {6, 5, 4, 3, 2, 1}, t.toArray());
        t.copyFrom(tensor(new float[] {1, 2, 3, 4, 5, 6}, 3, 2).t());
        assertArrayEquals(new float[] {1, 3, 5, 2, 4, 6}, t.toArray());
    }

    @Test
    void rejectsDataThatDoesNotFitTheShape() {
        var e = assertThrows(IllegalArgumentException.class, () -> tensor(new float[5], 2, 3));
        assertEquals("Tensor.of: shape [2, 3] holds 6 elements but the data has 5", e.getMessage());
        assertThrows(IllegalStateException.class, () -> tensor(new float[6], 2, 3).item());
    }

    @Test
    void checkFiniteNamesTheTensor() {
        tensor(new float[] {1, 2}, 2).checkFinite("fine");
        var e = assertThrows(ArithmeticException.class,
                () -> tensor(new float[] {1, Float.NaN, 3}, 3).checkFinite("activations of block 2"));
        assertEquals("activations of block 2: tensor [3] has NaN or infinite elements", e.getMessage());
        assertThrows(ArithmeticException.class,
                () -> tensor(new float[] {Float.POSITIVE_INFINITY, 0}, 1, 2).checkFinite("x"));
    }

    @Test
    void backwardOfAChainReachesTheLeaves() {
        Tensor x = param(new float[] {1, 2, 3}, 3);
        Tensor w = param(new float[] {4, 5, 6}, 3);
        Tensor loss = x.mul(w).sum(); // dL/dx = w, dL/dw = x
        assertEquals(32f, loss.item());
        loss.backward();
        assertArrayEquals(new float[] {4, 5, 6}, x.grad().toArray());
        assertArrayEquals(new float[] {1, 2, 3}, w.grad().toArray());
    }

    @Test
    void gradientsAccumulateOverTwoBackwardCalls() {
        Tensor x = param(new float[] {1, -2}, 2);
        Tensor loss = x.square().sum(); // dL/dx = 2x
        loss.backward();
        assertArrayEquals(new float[] {2, -4}, x.grad().toArray());
        loss.backward(); // the tape is kept; leaf gradients add up
        assertArrayEquals(new float[] {4, -8}, x.grad().toArray());
        x.square().sum().backward(); // and so does a fresh forward
        assertArrayEquals(new float[] {6, -12}, x.grad().toArray());
        x.zeroGrad();
        assertNull(x.grad());
    }

    @Test
    void aTensorUsedTwiceSumsBothPaths() {
        Tensor x = param(new float[] {3}, 1);
        Tensor y = x.mul(x).add(x); // dy/dx = 2x + 1 = 7
        y.sum().backward();
        assertArrayEquals(new float[] {7}, x.grad().toArray());
    }

    @Test
    void noGradRecordsNothing() {
        Tensor x = param(new float[] {1, 2}, 2);
        Tensor y;
        try (var scope = Autograd.noGrad()) {
            assertFalse(Autograd.isGradEnabled());
            y = x.mul(2f).exp();
            try (var inner = Autograd.enableGrad()) {
                assertTrue(x.mul(2f).requiresGrad());
            }
            assertFalse(Autograd.isGradEnabled());
        }
        assertTrue(Autograd.isGradEnabled());
        assertFalse(y.requiresGrad());
        assertTrue(y.isLeaf());
        assertNull(y.op());
        var e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertTrue(e.getMessage().startsWith("backward: tensor [] does not require grad"), e.getMessage());
        assertNull(x.grad());
    }

    @Test
    void frozenLeafGetsNoGradient() {
        Tensor frozen = tensor(new float[] {1, 2}, 2);
        Tensor trained = param(new float[] {3, 4}, 2);
        frozen.mul(trained).sum().backward();
        assertNull(frozen.grad());
        assertArrayEquals(new float[] {1, 2}, trained.grad().toArray());
        // The tape holds only inputs gradients flow to.
        Tensor y = frozen.mul(trained);
        assertEquals(1, y.gradFn().inputs().length);
        assertSame(trained.slot(), y.gradFn().inputs()[0]);
    }

    @Test
    void intermediateGradientsAreReleasedUnlessRetained() {
        Tensor x = param(new float[] {1, 2}, 2);
        Tensor hidden = x.mul(3f);
        Tensor kept = hidden.exp().retainGrad();
        kept.sum().backward();
        assertNull(hidden.grad());
        assertNotNull(kept.grad());
        assertArrayEquals(new float[] {1, 1}, kept.grad().toArray());
        assertEquals(3 * (float) Math.exp(3), x.grad().toArray()[0], 1e-3);
    }

    @Test
    void backwardNeedsAScalarOrAMatchingGradient() {
        Tensor x = param(new float[] {1, 2}, 2);
        Tensor y = x.mul(2f);
        assertThrows(IllegalStateException.class, y::backward);
        var e = assertThrows(IllegalArgumentException.class, () -> y.backward(tensor(new float[3], 3)));
        assertEquals("backward: gradient [3] does not match tensor [2]", e.getMessage());
        y.backward(tensor(new float[] {1, 10}, 2));
        assertArrayEquals(new float[] {2, 20}, x.grad().toArray());
    }

    @Test
    void onlyLeavesChangeRequiresGradAndDetachCutsHistory() {
        Tensor x = param(new float[] {1}, 1);
        Tensor y = x.mul(2f);
        assertEquals("affine", y.op());
        assertThrows(IllegalStateException.class, () -> y.requiresGrad(false));
        Tensor d = y.detach();
        assertTrue(d.isLeaf());
        assertFalse(d.requiresGrad());
        assertSame(y.buffer(), d.buffer());
    }

    @Test
    void deepChainsDoNotOverflowTheStack() {
        Tensor x = param(new float[] {1}, 1);
        Tensor y = x;
        for (int i = 0; i < 20_000; i++) {
            y = y.add(0f);
        }
        y.sum().backward();
        assertArrayEquals(new float[] {1}, x.grad().toArray());
    }
}
