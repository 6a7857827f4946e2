package dev.peft4j.engine;

import org.junit.jupiter.api.Test;

import static dev.peft4j.engine.TestBackend.CPU;
import static dev.peft4j.engine.TestBackend.randomParam;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** LayerNorm and RMSNorm against float64 definitions, with and without affine parameters. */
class NormOpsTest {

    @Test
    void layerNormMatchesFloat64() {
        GradCheck.againstReference("layerNorm [2,3,5]",
                in -> Functional.layerNorm(in[0], in[1], in[2], 1e-5f),
                in -> Reference.layerNorm(in[0], in[1], in[2], 5, 1e-5),
                1e-5, 3e-3, 2e-4,
                randomParam(1, 2, 2, 3, 5), randomParam(2, 1, 5), randomParam(3, 1, 5));
        GradCheck.againstEngine("layerNorm engine fd", in -> Functional.layerNorm(in[0], in[1], in[2], 1e-5f),
                randomParam(4, 2, 3, 4), randomParam(5, 1, 4), randomParam(6, 1, 4));
    }

    @Test
    void layerNormWithoutAffineAndOnAView() {
        GradCheck.againstReference("layerNorm no gamma/beta of a transpose",
                in -> Functional.layerNorm(in[0].t(), null, null, 1e-5f),
                in -> Reference.layerNorm(Reference.transpose(in[0], 4, 3), null, null, 4, 1e-5),
                1e-5, 3e-3, 2e-4, randomParam(7, 2, 4, 3));
    }

    @Test
    void frozenGammaAndBetaGetNoGradient() {
        Tensor x = randomParam(8, 1, 2, 4);
        Tensor g = Tensor.of(CPU, GradCheck.random(9, 4, 1), 4);
        Tensor b = Tensor.of(CPU, GradCheck.random(10, 4, 1), 4);
        Functional.layerNorm(x, g, b, 1e-5f).square().sum().backward();
        assertNull(g.grad());
        assertNull(b.grad());
        GradCheck.againstEngine("layerNorm with frozen affine", in -> Functional.layerNorm(in[0], g, b, 1e-5f), x);
    }

    @Test
    void rmsNormMatchesFloat64() {
        GradCheck.againstReference("rmsNorm [3,6]",
                in -> Functional.rmsNorm(in[0], in[1], 1e-6f),
                in -> Reference.rmsNorm(in[0], in[1], 6, 1e-6),
                1e-5, 3e-3, 2e-4, randomParam(11, 2, 3, 6), randomParam(12, 1, 6));
        GradCheck.againstEngine("rmsNorm no gamma", in -> Functional.rmsNorm(in[0], null, 1e-6f),
                randomParam(13, 2, 2, 5));
    }

    @Test
    void parameterSizeErrorsNameTheShapes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Functional.layerNorm(Tensor.zeros(CPU, 2, 4), Tensor.zeros(CPU, 5), null, 1e-5f));
        assertEquals("layerNorm: gamma [5] does not match the normalised dimension 4 of x [2, 4]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Functional.layerNorm(Tensor.zeros(CPU, 2, 4), Tensor.zeros(CPU, 4), Tensor.zeros(CPU, 3), 1e-5f));
        assertEquals("layerNorm: beta [3] does not match the normalised dimension 4 of x [2, 4]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Functional.rmsNorm(Tensor.zeros(CPU, 3), Tensor.zeros(CPU, 2), 1e-5f));
        assertEquals("rmsNorm: gamma [2] does not match the normalised dimension 3 of x [3]", e.getMessage());
    }
}
