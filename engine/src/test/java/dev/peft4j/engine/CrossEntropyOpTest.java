package dev.peft4j.engine;

import org.junit.jupiter.api.Test;

import static dev.peft4j.engine.TestBackend.CPU;
import static dev.peft4j.engine.TestBackend.randomParam;
import static dev.peft4j.engine.TestBackend.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Mean softmax cross-entropy with an ignore index: float64 forward and gradient, NaN naming, errors. */
class CrossEntropyOpTest {

    @Test
    void matchesFloat64OverCountedRows() {
        int[] targets = {2, -100, 0, 4};
        Tensor logits = randomParam(1, 3, 2, 2, 5);
        GradCheck.againstReference("crossEntropy with an ignored row",
                in -> Functional.crossEntropy(in[0], targets),
                in -> new double[] {Reference.crossEntropy(in[0], targets, -100, 5)}, logits);
        GradCheck.againstEngine("crossEntropy engine fd", in -> Functional.crossEntropy(in[0], new int[] {1, 0, 2}, 7),
                randomParam(2, 2, 3, 3));
    }

    @Test
    void ignoredRowsGetZeroGradientAndAllIgnoredGivesZero() {
        Tensor logits = randomParam(3, 2, 2, 3);
        Functional.crossEntropy(logits, new int[] {-1, 1}, -1).backward();
        float[] g = logits.grad().toArray();
        assertArrayEquals(new float[] {0, 0, 0}, new float[] {g[0], g[1], g[2]});
        assertEquals(0f, g[3] + g[4] + g[5], 1e-6f, "softmax - onehot sums to 0 per counted row");
        Tensor none = Functional.crossEntropy(randomParam(4, 1, 2, 3), new int[] {-1, -1}, -1);
        assertEquals(0f, none.item());
    }

    @Test
    void nanLossNamesTheOp() {
        Tensor logits = tensor(new float[] {0, Float.NaN, 1, 2, 3, 4}, 2, 3);
        var e = assertThrows(ArithmeticException.class, () -> Functional.crossEntropy(logits, new int[] {0, 1}));
        assertTrue(e.getMessage().startsWith("crossEntropy loss (logits [2, 3])"), e.getMessage());
    }

    @Test
    void targetErrorsNameTheRow() {
        Tensor logits = Tensor.zeros(CPU, 2, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> Functional.crossEntropy(logits, new int[] {0, 3}));
        assertEquals("crossEntropy: target 3 at row 1 is outside [0, 3) for logits [2, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Functional.crossEntropy(logits, new int[] {0}));
        assertEquals("crossEntropy: 1 targets for 2 rows of logits [2, 3]", e.getMessage());
    }
}
