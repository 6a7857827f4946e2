package dev.peft4j.engine;

import org.junit.jupiter.api.Test;

import static dev.peft4j.engine.TestBackend.CPU;
import static dev.peft4j.engine.TestBackend.randomParam;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** linear = x·Wᵀ + b: float64 forward and gradients, frozen weight costs no GEMM, shape errors. */
class LinearOpTest {

    @Test
    void matchesFloat64WithAndWithoutBias() {
        GradCheck.againstReference("linear [2,3,4] -> 5 with bias",
                in -> Functional.linear(in[0], in[1], in[2]),
                in -> Reference.linear(in[0], in[1], in[2], 6, 4, 5),
                randomParam(1, 1, 2, 3, 4), randomParam(2, 1, 5, 4), randomParam(3, 1, 5));
        GradCheck.againstReference("linear without bias",
                in -> Functional.linear(in[0], in[1], null),
                in -> Reference.linear(in[0], in[1], null, 3, 2, 3),
                randomParam(4, 1, 3, 2), randomParam(5, 1, 3, 2));
        GradCheck.againstEngine("linear engine fd", in -> Functional.linear(in[0], in[1], in[2]),
                randomParam(6, 1, 3, 4), randomParam(7, 1, 2, 4), randomParam(8, 1, 2));
    }

    @Test
    void acceptsTransposedWeightAndInputViews() {
        // W given as the transpose of a stored [in, out] matrix (tied or pre-transposed weights).
        GradCheck.againstReference("linear with Wᵀ view and x view",
                in -> Functional.linear(in[0].t(), in[1].t(), in[2]),
                in -> Reference.linear(Reference.transpose(in[0], 4, 3), Reference.transpose(in[1], 4, 2),
                        in[2], 3, 4, 2),
                randomParam(9, 1, 4, 3), randomParam(10, 1, 4, 2), randomParam(11, 1, 2));
        // M.t() as the weight writes dM directly (no transpose backward); M's other uses still add up.
        GradCheck.againstEngine("linear with M.t() weight, M also used elsewhere",
                in -> Functional.linear(in[0], in[1].t(), null).sum().add(in[1].t().mul(in[1].t()).sum())
                        .add(Functional.linear(in[0], in[1].transpose(1, 1).t(), null).sum()),
                randomParam(12, 1, 3, 4), randomParam(13, 1, 4, 2));
    }

    @Test
    void frozenWeightAndBiasAreNeverDifferentiated() {
        var counting = new TestBackend.Counting();
        Tensor x = Tensor.of(counting.kernels, GradCheck.random(12, 6, 1), 2, 3).requiresGrad(true);
        Tensor w = Tensor.of(counting.kernels, GradCheck.random(13, 12, 1), 4, 3);
        Tensor b = Tensor.of(counting.kernels, GradCheck.random(14, 4, 1), 4);
        Tensor loss = Functional.linear(x, w, b).sum();
        counting.reset();
        loss.backward();
        assertEquals(1, counting.count("gemm"), "dX only");
        assertEquals(0, counting.count("sumTo"), "no bias gradient");
        assertNull(w.grad());
        assertNull(b.grad());

        // And the mirror: a frozen input (first layer) costs no dX GEMM.
        Tensor x2 = Tensor.of(counting.kernels, GradCheck.random(15, 6, 1), 2, 3);
        Tensor w2 = Tensor.of(counting.kernels, GradCheck.random(16, 12, 1), 4, 3).requiresGrad(true);
        Tensor loss2 = Functional.linear(x2, w2, null).sum();
        counting.reset();
        loss2.backward();
        assertEquals(1, counting.count("gemm"), "dW only");
        assertNull(x2.grad());
    }

    @Test
    void shapeErrorsNameTheOperands() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Functional.linear(Tensor.zeros(CPU, 2, 3), Tensor.zeros(CPU, 4, 5), null));
        assertEquals("linear: input features differ from weight [out, in]: x [2, 3], weight [4, 5]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Functional.linear(Tensor.zeros(CPU, 2, 3), Tensor.zeros(CPU, 4, 3), Tensor.zeros(CPU, 5)));
        assertEquals("linear: bias [5] does not match weight [4, 3] (expected [4])", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Functional.linear(Tensor.zeros(CPU, 2, 3), Tensor.zeros(CPU, 3), null));
        assertEquals("linear: weight must be 2-D [out, in], got [3]", e.getMessage());
    }
}
