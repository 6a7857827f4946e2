package dev.peft4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.cpu.Bf16;
import org.junit.jupiter.api.Test;

/** Tensors on bf16 storage: values, views, the ops that read them (linear, embedding, LM head) and the ones that must refuse. */
class Bf16TensorTest {

    private static float[] rounded(float[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = Bf16.widen(Bf16.round(a[i]));
        }
        return r;
    }

    @Test
    void toBf16KeepsShapeRoundsValuesAndViewsReadBack() {
        float[] w = GradCheck.random(1, 6 * 5, 2);
        Tensor f = TestBackend.tensor(w, 6, 5);
        Tensor h = f.toBf16();
        assertTrue(h.isBf16());
        assertFalse(f.isBf16());
        assertArrayEquals(new int[] {6, 5}, h.shape());
        assertFalse(h.requiresGrad());
        assertArrayEquals(rounded(w), h.toArray());
        assertArrayEquals(Tensor.of(TestBackend.CPU, rounded(w), 6, 5).t().toArray(), h.t().toArray());
        assertArrayEquals(Tensor.of(TestBackend.CPU, rounded(w), 6, 5).slice(1, 1, 4).toArray(),
                h.slice(1, 1, 4).toArray());
        assertArrayEquals(rounded(w), h.reshape(3, 10).toArray());
        assertArrayEquals(rounded(f.t().toArray()), f.t().toBf16().toArray()); // from a non-contiguous view
        assertTrue(h.toBf16() == h);
    }

    @Test
    void linearWithABf16WeightMatchesTheRoundedFloatWeightIncludingDx() {
        float[] xv = GradCheck.random(2, 7 * 40, 1);
        float[] wv = GradCheck.random(3, 24 * 40, 1);
        float[] bv = GradCheck.random(4, 24, 1);
        for (boolean stored : new boolean[] {false, true}) { // W [out, in], or Conv1D's [in, out] read through .t()
            Tensor wRef = stored ? Tensor.of(TestBackend.CPU, rounded(wv), 40, 24)
                    : Tensor.of(TestBackend.CPU, rounded(wv), 24, 40);
            Tensor wH = (stored ? TestBackend.tensor(wv, 40, 24) : TestBackend.tensor(wv, 24, 40)).toBf16();
            Tensor x1 = TestBackend.param(xv, 7, 40);
            Tensor x2 = TestBackend.param(xv, 7, 40);
            Tensor b = TestBackend.tensor(bv, 24);
            Tensor y1 = Functional.linear(x1, stored ? wRef.t() : wRef, b);
            Tensor y2 = Functional.linear(x2, stored ? wH.t() : wH, b);
            assertArrayEquals(y1.toArray(), y2.toArray());
            Tensor g = TestBackend.tensor(GradCheck.random(5, 7 * 24, 1), 7, 24);
            y1.mul(g).sum().backward();
            y2.mul(g).sum().backward();
            assertArrayEquals(x1.grad().toArray(), x2.grad().toArray());
        }
    }

    @Test
    void embeddingAndTiedHeadReadABf16Table() {
        float[] table = GradCheck.random(6, 50 * 16, 1);
        Tensor ref = Tensor.of(TestBackend.CPU, rounded(table), 50, 16);
        Tensor h = TestBackend.tensor(table, 50, 16).toBf16();
        int[] ids = {4, 0, 49, 4, 12};
        assertArrayEquals(Functional.embedding(ref, ids).toArray(), Functional.embedding(h, ids).toArray());
        Tensor x1 = TestBackend.param(GradCheck.random(7, 5 * 16, 1), 5, 16);
        Tensor x2 = TestBackend.param(x1.toArray(), 5, 16);
        int[] targets = {3, 9, 49, 0, -100};
        Tensor l1 = Functional.linearCrossEntropy(x1, ref, targets, -100);
        Tensor l2 = Functional.linearCrossEntropy(x2, h, targets, -100);
        assertEquals(l1.item(), l2.item());
        l1.backward();
        l2.backward();
        assertArrayEquals(x1.grad().toArray(), x2.grad().toArray());
    }

    @Test
    void bf16TensorsRefuseTrainingWritesAndUnsupportedOps() {
        Tensor h = TestBackend.tensor(GradCheck.random(8, 12, 1), 3, 4).toBf16();
        IllegalStateException train = assertThrows(IllegalStateException.class, () -> h.requiresGrad(true));
        assertTrue(train.getMessage().contains("bf16") && train.getMessage().contains("f32"), train.getMessage());
        h.requiresGrad(false); // freezing a frozen tensor is fine
        IllegalStateException write = assertThrows(IllegalStateException.class, () -> h.copyFrom(new float[12]));
        assertTrue(write.getMessage().contains("copyFrom") && write.getMessage().contains("[3, 4]"), write.getMessage());
        assertThrows(IllegalStateException.class, () -> h.fill(0f));
        assertThrows(IllegalStateException.class, () -> h.copyFrom(TestBackend.tensor(new float[12], 3, 4)));
        IllegalArgumentException exp = assertThrows(IllegalArgumentException.class, h::exp);
        assertTrue(exp.getMessage().contains("unary EXP") && exp.getMessage().contains("bf16"), exp.getMessage());
        IllegalArgumentException asX = assertThrows(IllegalArgumentException.class,
                () -> Functional.linear(h, TestBackend.tensor(new float[8], 2, 4), null));
        assertTrue(asX.getMessage().contains("gemm") && asX.getMessage().contains("bf16"), asX.getMessage());
        assertThrows(IllegalArgumentException.class, () -> h.t().contiguous());
    }
}
