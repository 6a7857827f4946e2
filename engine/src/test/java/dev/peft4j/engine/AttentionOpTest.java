package dev.peft4j.engine;

import org.junit.jupiter.api.Test;

import static dev.peft4j.engine.TestBackend.CPU;
import static dev.peft4j.engine.TestBackend.randomParam;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Scaled dot-product attention against a float64 softmax(q kᵀ) v, causal and not, with a cached prefix. */
class AttentionOpTest {

    @Test
    void causalAttentionMatchesFloat64() {
        // [batch 2, heads 2, T 3, D 4]
        GradCheck.againstReference("causal attention",
                in -> Functional.scaledDotProductAttention(in[0], in[1], in[2], true),
                in -> Reference.attention(in[0], in[1], in[2], 4, 3, 3, 4, 4, true, 0.5),
                randomParam(1, 1, 2, 2, 3, 4), randomParam(2, 1, 2, 2, 3, 4), randomParam(3, 1, 2, 2, 3, 4));
    }

    @Test
    void fullAttentionWithMoreKeysAndOtherValueWidth() {
        GradCheck.againstReference("attention T=2 S=4 Dv=3",
                in -> Functional.scaledDotProductAttention(in[0], in[1], in[2], false, 0.7f),
                in -> Reference.attention(in[0], in[1], in[2], 2, 2, 4, 3, 3, false, 0.7),
                randomParam(4, 1, 2, 2, 3), randomParam(5, 1, 2, 4, 3), randomParam(6, 1, 2, 4, 3));
        GradCheck.againstReference("causal attention with a cached prefix (S > T)",
                in -> Functional.scaledDotProductAttention(in[0], in[1], in[2], true, 0.6f),
                in -> Reference.attention(in[0], in[1], in[2], 1, 2, 5, 3, 2, true, 0.6),
                randomParam(7, 1, 1, 2, 3), randomParam(8, 1, 1, 5, 3), randomParam(9, 1, 1, 5, 2));
    }

    @Test
    void headsSplitByViewsAndEngineFiniteDifferences() {
        // q, k, v as permuted views of a [B, T, H, D] projection, as a transformer block makes them.
        GradCheck.againstEngine("attention on permuted views",
                in -> Functional.scaledDotProductAttention(in[0].permute(0, 2, 1, 3), in[1].permute(0, 2, 1, 3),
                        in[2].permute(0, 2, 1, 3), true),
                randomParam(10, 1, 1, 3, 2, 2), randomParam(11, 1, 1, 3, 2, 2), randomParam(12, 1, 1, 3, 2, 2));
    }

    @Test
    void frozenValuesGetNoGradient() {
        Tensor q = randomParam(13, 1, 1, 2, 2);
        Tensor k = randomParam(14, 1, 1, 2, 2);
        Tensor v = Tensor.of(CPU, GradCheck.random(15, 4, 1), 1, 2, 2);
        Functional.scaledDotProductAttention(q, k, v, true).sum().backward();
        assertNull(v.grad());
        GradCheck.againstEngine("attention, frozen v", in -> Functional.scaledDotProductAttention(in[0], in[1], v, true),
                q, k);
    }

    @Test
    void shapeErrors() {
        var e = assertThrows(IllegalArgumentException.class, () -> Functional.scaledDotProductAttention(
                Tensor.zeros(CPU, 2, 3, 4), Tensor.zeros(CPU, 2, 3, 5), Tensor.zeros(CPU, 2, 3, 4), false));
        assertEquals("scaledDotProductAttention: expected q [..., T, D], k [..., S, D], v [..., S, Dv] with equal "
                + "leading axes: q [2, 3, 4], k [2, 3, 5], v [2, 3, 4]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Functional.scaledDotProductAttention(
                Tensor.zeros(CPU, 4, 2), Tensor.zeros(CPU, 3, 2), Tensor.zeros(CPU, 3, 2), true));
    }
}
