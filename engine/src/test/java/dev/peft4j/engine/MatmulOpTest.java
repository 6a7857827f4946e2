package dev.peft4j.engine;

import org.junit.jupiter.api.Test;

import static dev.peft4j.engine.TestBackend.CPU;
import static dev.peft4j.engine.TestBackend.randomParam;
import static dev.peft4j.engine.TestBackend.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** matmul: forward and gradients against float64, transposed views without copies, frozen operands skipped. */
class MatmulOpTest {

    @Test
    void twoDimensionalProductMatchesFloat64() {
        GradCheck.againstReference("matmul [3,4]x[4,5]", in -> in[0].matmul(in[1]),
                in -> Reference.matmul(in[0], in[1], 1, 3, 4, 5, false),
                randomParam(1, 1, 3, 4), randomParam(2, 1, 4, 5));
        GradCheck.againstReference("matmul [1,3]x[3,1]", in -> in[0].matmul(in[1]),
                in -> Reference.matmul(in[0], in[1], 1, 1, 3, 1, false),
                randomParam(3, 1, 1, 3), randomParam(4, 1, 3, 1));
        GradCheck.againstEngine("matmul engine fd", in -> in[0].matmul(in[1]),
                randomParam(5, 1, 2, 3), randomParam(6, 1, 3, 2));
    }

    @Test
    void batchedProductMatchesFloat64() {
        GradCheck.againstReference("matmul [2,3,4]x[2,4,2]", in -> in[0].matmul(in[1]),
                in -> Reference.matmul(in[0], in[1], 2, 3, 4, 2, false),
                randomParam(7, 1, 2, 3, 4), randomParam(8, 1, 2, 4, 2));
        GradCheck.againstReference("matmul [2,2,3,4]x[2,2,4,3]", in -> in[0].matmul(in[1]),
                in -> Reference.matmul(in[0], in[1], 4, 3, 4, 3, false),
                randomParam(9, 1, 2, 2, 3, 4), randomParam(10, 1, 2, 2, 4, 3));
        GradCheck.againstReference("matmul [2,3,4]x[4,5] (shared right)", in -> in[0].matmul(in[1]),
                in -> Reference.matmul(in[0], in[1], 2, 3, 4, 5, true),
                randomParam(11, 1, 2, 3, 4), randomParam(12, 1, 4, 5));
    }

    @Test
    void transposedViewsGoToGemmAsFlagsNotCopies() {
        Tensor a = randomParam(13, 1, 4, 3); // used as aᵀ [3, 4]
        Tensor b = randomParam(14, 1, 5, 4); // used as bᵀ [4, 5]
        Tensor y = a.t().matmul(b.t());
        // The matmul node's inputs are the transpose views themselves: no contiguous() copy was recorded.
        assertEquals("transpose", y.gradFn().inputs()[0].op());
        assertEquals("transpose", y.gradFn().inputs()[1].op());
        GradCheck.againstReference("matmul aᵀ·bᵀ", in -> in[0].t().matmul(in[1].t()),
                in -> Reference.matmul(Reference.transpose(in[0], 4, 3), Reference.transpose(in[1], 5, 4),
                        1, 3, 4, 5, false), a, b);
        // A batched transpose of the last two axes is also read in place.
        Tensor k = randomParam(15, 1, 2, 3, 4);
        Tensor q = randomParam(16, 1, 2, 3, 4);
        Tensor s = q.matmul(k.transpose(1, 2));
        assertEquals("transpose", s.gradFn().inputs()[1].op());
        GradCheck.againstEngine("q·kᵀ batched", in -> in[0].matmul(in[1].transpose(-1, -2)), q, k);
    }

    @Test
    void stridedBatchesAreReadInPlaceAndOtherLayoutsCopied() {
        // permute(1,0,2) of [3,2,4] is [2,3,4] with batch stride 4 and row stride 8: GEMM reads it as is.
        Tensor x = randomParam(17, 1, 3, 2, 4);
        Tensor w = randomParam(18, 1, 2, 4, 3);
        assertEquals("permute", x.permute(1, 0, 2).matmul(w).gradFn().inputs()[0].op());
        GradCheck.againstEngine("matmul of a strided batch", in -> in[0].permute(1, 0, 2).matmul(in[1]), x, w);
        // permute(2,0,1) leaves no unit-stride axis in the matrix: it must be copied first.
        Tensor z = randomParam(19, 1, 2, 3, 4);
        Tensor v = randomParam(20, 1, 4, 3, 2);
        assertEquals("contiguous", z.permute(2, 0, 1).matmul(v).gradFn().inputs()[0].op());
        GradCheck.againstEngine("matmul of a scrambled layout", in -> in[0].permute(2, 0, 1).matmul(in[1]), z, v);
    }

    @Test
    void frozenOperandGetsNoGradientAndItsGemmIsSkipped() {
        var counting = new TestBackend.Counting();
        Tensor x = Tensor.of(counting.kernels, GradCheck.random(19, 6, 1), 2, 3).requiresGrad(true);
        Tensor w = Tensor.of(counting.kernels, GradCheck.random(20, 12, 1), 3, 4); // frozen
        Tensor loss = x.matmul(w).sum();
        counting.reset();
        loss.backward();
        assertEquals(1, counting.count("gemm"), "only dX is computed");
        assertNull(w.grad());
        float[] wv = w.toArray();
        float[] gx = x.grad().toArray();
        for (int i = 0; i < 2; i++) {
            for (int p = 0; p < 3; p++) {
                double rowSum = 0;
                for (int j = 0; j < 4; j++) {
                    rowSum += wv[p * 4 + j];
                }
                assertEquals(rowSum, gx[i * 3 + p], 1e-5);
            }
        }
    }

    @Test
    void shapeErrorsNameBothOperands() {
        Tensor a = Tensor.zeros(CPU, 2, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> a.matmul(Tensor.zeros(CPU, 4, 5)));
        assertEquals("matmul: inner dimensions differ: [2, 3] x [4, 5]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(CPU, 2, 2, 3).matmul(Tensor.zeros(CPU, 3, 3, 1)));
        assertEquals("matmul: batch dimensions differ: [2, 2, 3] x [3, 3, 1]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> a.matmul(Tensor.zeros(CPU, 3)));
        assertEquals("matmul: needs tensors of rank >= 2, got [2, 3] x [3]", e.getMessage());
    }

    @Test
    void smallExactProduct() {
        Tensor a = tensor(new float[] {1, 2, 3, 4}, 2, 2);
        Tensor b = tensor(new float[] {5, 6, 7, 8}, 2, 2);
        assertArrayEquals(new float[] {19, 22, 43, 50}, a.matmul(b).toArray());
        assertArrayEquals(new float[] {26, 30, 38, 44}, a.t().matmul(b).toArray());
        assertSame(a.buffer(), a.t().buffer());
    }
}
