package dev.peft4j.engine;

import org.junit.jupiter.api.Test;

import static dev.peft4j.engine.TestBackend.randomParam;
import static dev.peft4j.engine.TestBackend.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Embedding gather/scatter-add and seeded inverted dropout. */
class EmbeddingAndDropoutTest {

    @Test
    void embeddingGathersRowsAndScatterAddsRepeatedIds() {
        Tensor table = randomParam(1, 1, 4, 3);
        float[] t = table.toArray();
        int[] ids = {2, 0, 2, 3};
        Tensor out = Functional.embedding(table, ids, 2, 2);
        assertArrayEquals(new int[] {2, 2, 3}, out.shape());
        float[] o = out.toArray();
        for (int i = 0; i < ids.length; i++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(t[ids[i] * 3 + c], o[i * 3 + c]);
            }
        }
        out.sum().backward();
        assertArrayEquals(new float[] {1, 1, 1, 0, 0, 0, 2, 2, 2, 1, 1, 1}, table.grad().toArray());
        GradCheck.againstEngine("embedding", in -> Functional.embedding(in[0], ids), randomParam(2, 1, 4, 3));
        var e = assertThrows(IllegalArgumentException.class, () -> Functional.embedding(table, new int[] {4}));
        assertEquals("embedding: id 4 at position 0 is outside [0, 4) for table [4, 3]", e.getMessage());
    }

    @Test
    void dropoutIsSeededScaledAndDifferentiable() {
        Tensor x = tensor(onesOf(1000), 1000);
        float[] a = Functional.dropout(x, 0.25f, 42L).toArray();
        float[] b = Functional.dropout(x, 0.25f, 42L).toArray();
        assertArrayEquals(a, b, "same seed, same mask");
        int kept = 0;
        for (float v : a) {
            assertTrue(v == 0f || Math.abs(v - 1f / 0.75f) < 1e-6, "value " + v);
            kept += v == 0f ? 0 : 1;
        }
        assertTrue(kept > 650 && kept < 850, "about 3/4 kept: " + kept);
        assertSame(x, Functional.dropout(x, 0f, 1L));
        assertSame(x, Functional.dropout(x, 0.5f, 1L, false));
        GradCheck.againstEngine("dropout", in -> Functional.dropout(in[0], 0.5f, 7L), randomParam(3, 1, 3, 5));
        assertThrows(IllegalArgumentException.class, () -> Functional.dropout(x, 1f, 1L));
    }

    private static float[] onesOf(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }
}
