package dev.peft4j.engine;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;

import java.util.Arrays;

/**
 * {@code softmax(scale · Q·Kᵀ, causal) · V} for q [..., T, D], k [..., S, D], v [..., S, Dv] with equal
 * leading (batch × head) axes, by the kernels' fused attention: scores are formed tile by tile and never
 * stored (the causal mask aligns the last query with the last key, so S &gt; T covers a cached prefix).
 * Only the output and one log-sum-exp per query row are saved; backward recomputes the probabilities.
 */
final class AttentionOp {

    private AttentionOp() {
    }

    static Tensor attention(Tensor q, Tensor k, Tensor v, boolean causal, float scale) {
        q.requireSameBackend("scaledDotProductAttention", k);
        q.requireSameBackend("scaledDotProductAttention", v);
        int[] qs = q.shapeRef();
        int[] ks = k.shapeRef();
        int[] vs = v.shapeRef();
        int rank = qs.length;
        String shapes = "q " + Shapes.str(qs) + ", k " + Shapes.str(ks) + ", v " + Shapes.str(vs);
        if (rank < 2 || ks.length != rank || vs.length != rank) {
            throw new IllegalArgumentException("scaledDotProductAttention: q, k, v need one rank >= 2: " + shapes);
        }
        int t = qs[rank - 2];
        int d = qs[rank - 1];
        int s = ks[rank - 2];
        int dv = vs[rank - 1];
        int[] batchDims = Arrays.copyOf(qs, rank - 2);
        if (!Arrays.equals(batchDims, Arrays.copyOf(ks, rank - 2)) || !Arrays.equals(batchDims, Arrays.copyOf(vs, rank - 2))
                || ks[rank - 1] != d || vs[rank - 2] != s) {
            throw new IllegalArgumentException("scaledDotProductAttention: expected q [..., T, D], k [..., S, D], "
                    + "v [..., S, Dv] with equal leading axes: " + shapes);
        }
        if (causal && s < t) {
            throw new IllegalArgumentException("scaledDotProductAttention: causal attention needs at least as many "
                    + "keys as queries: " + shapes);
        }
        int batch = Shapes.numel(batchDims);
        Tensor qc = q.contiguous();
        Tensor kc = k.contiguous();
        Tensor vc = v.contiguous();
        Kernels kern = q.kernels();
        int[] outShape = Arrays.copyOf(qs, rank);
        outShape[rank - 1] = dv;
        Tensor out = q.newZeros(outShape);
        Buffer lse = kern.allocate(Math.max(batch * t, 1));
        kern.attention(qc.buffer(), qc.offset(), kc.buffer(), kc.offset(), vc.buffer(), vc.offset(), batch, t, s, d, dv,
                scale, causal, out.buffer(), out.offset(), lse, 0);
        StepScope.ownSaved(Autograd.needsRecording(qc, kc, vc), lse);

        boolean gradQ = qc.requiresGrad();
        boolean gradK = kc.requiresGrad();
        boolean gradV = vc.requiresGrad();
        return Autograd.record(out, "scaledDotProductAttention", gy -> {
            Tensor dQ = gradQ ? qc.gradSink() : null;
            Tensor dK = gradK ? kc.gradSink() : null;
            Tensor dV = gradV ? vc.gradSink() : null;
            kern.attentionBackward(qc.buffer(), qc.offset(), kc.buffer(), kc.offset(), vc.buffer(), vc.offset(),
                    out.buffer(), out.offset(), lse, 0, gy.buffer(), gy.offset(), batch, t, s, d, dv, scale, causal,
                    dQ == null ? null : dQ.buffer(), dQ == null ? 0 : dQ.offset(),
                    dK == null ? null : dK.buffer(), dK == null ? 0 : dK.offset(),
                    dV == null ? null : dV.buffer(), dV == null ? 0 : dV.offset());
        }, qc, kc, vc);
    }
}
