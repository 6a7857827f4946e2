package dev.peft4j.engine;

import org.junit.jupiter.api.Test;

import static dev.peft4j.engine.TestBackend.randomParam;
import static dev.peft4j.engine.TestBackend.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Sums, means, softmax and log-softmax: forward vs loops, backward vs finite differences and float64. */
class ReduceOpsTest {

    @Test
    void sumAndMeanOverAllElements() {
        Tensor x = tensor(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertEquals(0, x.sum().rank());
        assertEquals(21f, x.sum().item());
        assertEquals(3.5f, x.mean().item());
        assertEquals(21f, x.t().sum().item());
        GradCheck.againstEngine("sum", in -> in[0].sum(), randomParam(1, 1, 2, 3));
        GradCheck.againstEngine("mean of a view", in -> in[0].t().mean(), randomParam(2, 1, 2, 3));
    }

    @Test
    void sumAndMeanOverOneAxis() {
        Tensor x = tensor(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new float[] {5, 7, 9}, x.sum(0, false).toArray());
        assertArrayEquals(new int[] {1, 3}, x.sum(0, true).shape());
        assertArrayEquals(new float[] {6, 15}, x.sum(-1, false).toArray());
        assertArrayEquals(new float[] {2, 5}, x.mean(1, true).toArray());
        assertArrayEquals(new int[] {2, 1}, x.mean(1, true).shape());
        GradCheck.againstEngine("sum axis 1", in -> in[0].sum(1, false), randomParam(3, 1, 2, 3, 4));
        GradCheck.againstEngine("mean axis 0 keepDim", in -> in[0].mean(0, true), randomParam(4, 1, 3, 2));
    }

    @Test
    void softmaxMatchesFloat64() {
        Tensor x = randomParam(5, 2, 3, 5);
        GradCheck.againstReference("softmax", in -> in[0].softmax(),
                in -> Reference.softmax(in[0], 5, 1, false, 1), x);
        GradCheck.againstEngine("softmax", in -> in[0].softmax(), randomParam(6, 2, 2, 7));
        float[] rowSums = x.softmax().sum(1, false).toArray();
        assertArrayEquals(new float[] {1, 1, 1}, rowSums, 1e-6f);
    }

    @Test
    void logSoftmaxMatchesFloat64() {
        GradCheck.againstReference("logSoftmax", in -> in[0].logSoftmax(),
                in -> Reference.logSoftmax(in[0], 4), randomParam(7, 2, 2, 3, 4));
        GradCheck.againstEngine("logSoftmax of a transpose", in -> in[0].t().logSoftmax(), randomParam(8, 2, 4, 3));
    }
}
