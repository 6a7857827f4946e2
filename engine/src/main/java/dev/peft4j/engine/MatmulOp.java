package dev.peft4j.engine;

import dev.peft4j.kernels.Kernels;

import java.util.Arrays;

/**
 * Matrix product over the last two axes with batched GEMM. Transposed views go to GEMM as a transpose
 * flag rather than a copy. Backward: dA = dC·Bᵀ only when A requires grad, dB = Aᵀ·dC only when B does.
 */
final class MatmulOp {

    private MatmulOp() {
    }

    static Tensor matmul(Tensor a, Tensor b) {
        a.requireSameBackend("matmul", b);
        int[] as = a.shapeRef();
        int[] bs = b.shapeRef();
        if (as.length < 2 || bs.length < 2) {
            throw new IllegalArgumentException("matmul: needs tensors of rank >= 2, got " + Shapes.str(as) + " x "
                    + Shapes.str(bs));
        }
        int m = as[as.length - 2];
        int k = as[as.length - 1];
        int n = bs[bs.length - 1];
        if (bs[bs.length - 2] != k) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + Shapes.str(as) + " x "
                    + Shapes.str(bs));
        }
        if (bs.length == 2 && as.length > 2) {
            // A shared right matrix: fold A's batch into its rows so dB is one GEMM, not a racy batch.
            int[] outShape = Arrays.copyOf(as, as.length);
            outShape[as.length - 1] = n;
            return matmul(a.reshape(-1, k), b).reshape(outShape);
        }
        int[] batchA = Arrays.copyOf(as, as.length - 2);
        int[] batchB = Arrays.copyOf(bs, bs.length - 2);
        if (!Arrays.equals(batchA, batchB)) {
            throw new IllegalArgumentException("matmul: batch dimensions differ: " + Shapes.str(as) + " x "
                    + Shapes.str(bs));
        }
        MatrixLayout la = MatrixLayout.of(a);
        if (la == null) {
            a = a.contiguous();
            la = MatrixLayout.of(a);
        }
        MatrixLayout lb = MatrixLayout.of(b);
        if (lb == null) {
            b = b.contiguous();
            lb = MatrixLayout.of(b);
        }
        int batch = Shapes.numel(batchA);
        int[] outShape = Arrays.copyOf(as, as.length);
        outShape[as.length - 1] = n;
        Tensor out = a.newZeros(outShape);
        Kernels kern = a.kernels();
        kern.gemm(la.trans(), lb.trans(), m, n, k, 1f,
                a.buffer(), a.offset(), la.ld(), la.batchStride(),
                b.buffer(), b.offset(), lb.ld(), lb.batchStride(),
                0f, out.buffer(), 0, n, (long) m * n, batch);
        // Capture only what backward uses: an operand's data serves only the other's gradient.
        GradSlot targetA = a.requiresGrad() ? a.slot() : null;
        GradSlot targetB = b.requiresGrad() ? b.slot() : null;
        Tensor savedA = targetB != null ? a : null;
        Tensor savedB = targetA != null ? b : null;
        MatrixLayout fla = la;
        MatrixLayout flb = lb;
        return Autograd.record(out, "matmul", gy -> {
            if (targetA != null) {
                Tensor da = targetA.gradSink(); // contiguous [..., m, k]
                kern.gemm(false, !flb.trans(), m, k, n, 1f,
                        gy.buffer(), gy.offset(), n, (long) m * n,
                        savedB.buffer(), savedB.offset(), flb.ld(), flb.batchStride(),
                        1f, da.buffer(), da.offset(), k, (long) m * k, batch);
            }
            if (targetB != null) {
                Tensor db = targetB.gradSink(); // contiguous [..., k, n]
                kern.gemm(!fla.trans(), false, k, n, m, 1f,
                        savedA.buffer(), savedA.offset(), fla.ld(), fla.batchStride(),
                        gy.buffer(), gy.offset(), n, (long) m * n,
                        1f, db.buffer(), db.offset(), n, (long) k * n, batch);
            }
        }, a, b);
    }
}
