package dev.peft4j.engine;

import org.junit.jupiter.api.Test;

import static dev.peft4j.engine.TestBackend.param;
import static dev.peft4j.engine.TestBackend.randomParam;
import static dev.peft4j.engine.TestBackend.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Views share storage and map values and gradients correctly; cat and contiguous copy. */
class ViewOpsTest {

    private static float[] iota(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    @Test
    void transposeIsAViewWithSwappedStrides() {
        Tensor x = tensor(iota(6), 2, 3);
        Tensor t = x.t();
        assertSame(x.buffer(), t.buffer());
        assertArrayEquals(new int[] {3, 2}, t.shape());
        assertArrayEquals(new int[] {1, 3}, t.strides());
        assertFalse(t.isContiguous());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, t.toArray());
        x.copyFrom(new float[] {9, 9, 9, 9, 9, 0});
        assertEquals(0f, t.toArray()[5], "writes to the base show through the view");
    }

    @Test
    void permuteMatchesIndexArithmetic() {
        Tensor x = tensor(iota(24), 2, 3, 4);
        Tensor p = x.permute(2, 0, 1); // p[i,j,k] = x[j,k,i]
        assertSame(x.buffer(), p.buffer());
        assertArrayEquals(new int[] {4, 2, 3}, p.shape());
        float[] got = p.toArray();
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 2; j++) {
                for (int k = 0; k < 3; k++) {
                    assertEquals(j * 12 + k * 4 + i, got[i * 6 + j * 3 + k]);
                }
            }
        }
        GradCheck.againstEngine("permute", in -> in[0].permute(2, 0, 1), randomParam(1, 1, 2, 3, 4));
        GradCheck.againstEngine("transpose 3-D", in -> in[0].transpose(0, 2), randomParam(2, 1, 2, 3, 4));
        assertThrows(IllegalArgumentException.class, () -> x.permute(0, 0, 1));
    }

    @Test
    void sliceIsAViewAndItsGradientLandsInTheSlicedRegion() {
        Tensor x = tensor(iota(24), 2, 3, 4);
        Tensor s = x.slice(1, 1, 3);
        assertSame(x.buffer(), s.buffer());
        assertEquals(4, s.offset());
        assertArrayEquals(new float[] {4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23}, s.toArray());
        assertArrayEquals(new float[] {1, 2, 5, 6, 9, 10}, tensor(iota(12), 3, 4).slice(-1, 1, 3).toArray());

        Tensor p = param(iota(24), 2, 3, 4);
        p.slice(1, 1, 3).mul(2f).sum().backward();
        float[] g = p.grad().toArray();
        for (int i = 0; i < 24; i++) {
            int j = (i / 4) % 3;
            assertEquals(j >= 1 && j < 3 ? 2f : 0f, g[i], "grad at " + i);
        }
        GradCheck.againstEngine("slice axis 0", in -> in[0].slice(0, 1, 2), randomParam(3, 1, 3, 4));
        GradCheck.againstEngine("slice last axis", in -> in[0].slice(2, 1, 4), randomParam(4, 1, 2, 3, 5));
        GradCheck.againstEngine("slice of a transpose", in -> in[0].t().slice(0, 1, 3), randomParam(5, 1, 3, 4));
        var e = assertThrows(IllegalArgumentException.class, () -> x.slice(1, 2, 4));
        assertEquals("slice: range [2, 4) out of bounds for axis 1 of [2, 3, 4]", e.getMessage());
    }

    @Test
    void reshapeOfContiguousDataIsAView() {
        Tensor x = tensor(iota(12), 3, 4);
        Tensor r = x.reshape(2, -1, 2);
        assertArrayEquals(new int[] {2, 3, 2}, r.shape());
        assertSame(x.buffer(), r.buffer());
        assertArrayEquals(iota(12), r.toArray());
        Tensor fromTranspose = x.t().reshape(12);
        assertNotSame(x.buffer(), fromTranspose.buffer());
        assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, fromTranspose.toArray());
        GradCheck.againstEngine("reshape", in -> in[0].reshape(4, 3).mul(in[0].reshape(4, 3)),
                randomParam(6, 1, 3, 4));
        GradCheck.againstEngine("reshape of a transpose", in -> in[0].t().reshape(2, 6), randomParam(7, 1, 3, 4));
        var e = assertThrows(IllegalArgumentException.class, () -> x.reshape(5, 2));
        assertEquals("reshape: cannot reshape [3, 4] (12 elements) into [5, 2] (10 elements)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> x.reshape(-1, 5));
    }

    @Test
    void squeezeUnsqueezeAndExpand() {
        Tensor x = tensor(new float[] {1, 2, 3}, 3);
        Tensor u = x.unsqueeze(0);
        assertArrayEquals(new int[] {1, 3}, u.shape());
        assertArrayEquals(new int[] {3, 1}, x.unsqueeze(-1).shape());
        assertArrayEquals(new int[] {3}, u.squeeze(0).shape());
        Tensor e = u.expand(2, 3);
        assertSame(x.buffer(), e.buffer());
        assertArrayEquals(new int[] {0, 1}, e.strides());
        assertArrayEquals(new float[] {1, 2, 3, 1, 2, 3}, e.toArray());
        assertArrayEquals(new float[] {1, 1, 2, 2, 3, 3}, x.unsqueeze(1).expand(3, 2).toArray());
        GradCheck.againstEngine("expand", in -> in[0].expand(4, 2, 3), randomParam(8, 1, 2, 1));
        GradCheck.againstEngine("unsqueeze/squeeze",
                in -> in[0].unsqueeze(1).mul(in[0].unsqueeze(1)).squeeze(1), randomParam(9, 1, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> x.squeeze(0));
        assertThrows(IllegalArgumentException.class, () -> x.expand(2, 4));
    }

    @Test
    void contiguousCopiesOnlyWhenNeeded() {
        Tensor x = randomParam(10, 1, 3, 4);
        assertSame(x, x.contiguous());
        Tensor c = x.t().contiguous();
        assertTrue(c.isContiguous());
        assertEquals("contiguous", c.op());
        GradCheck.againstEngine("contiguous", in -> in[0].t().contiguous(), x);
    }

    @Test
    void catJoinsAlongAnyAxisAndSplitsTheGradient() {
        Tensor a = tensor(new float[] {1, 2, 3, 4}, 2, 2);
        Tensor b = tensor(new float[] {5, 6}, 2, 1);
        assertArrayEquals(new float[] {1, 2, 5, 3, 4, 6}, Tensor.cat(1, a, b).toArray());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, Tensor.cat(0, a, b.reshape(1, 2)).toArray());
        assertArrayEquals(new float[] {1, 3, 2, 4, 5, 6}, Tensor.cat(0, a.t(), b.reshape(1, 2)).toArray());
        GradCheck.againstEngine("cat axis 1",
                in -> Tensor.cat(1, in[0], in[1], in[2]),
                randomParam(11, 1, 2, 2, 3), randomParam(12, 1, 2, 1, 3), tensor(GradCheck.random(13, 18, 1), 2, 3, 3));
        GradCheck.againstEngine("cat axis 0 of a view",
                in -> Tensor.cat(0, in[0].t(), in[1]), randomParam(14, 1, 3, 2), randomParam(15, 1, 1, 3));
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.cat(0, a, tensor(new float[3], 1, 3)));
        assertEquals("cat: shapes differ outside axis 0: [2, 2] and [1, 3]", e.getMessage());
    }
}
