package dev.peft4j.engine;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;

import java.util.Arrays;

/**
 * {@code softmax(scale · Q·Kᵀ, causal) · V} for q [..., T, D], k [..., S, D], v [..., S, Dv] with equal
 * leading (batch × head) axes: batched GEMM, the kernels' row softmax (the causal mask aligns the last
 * query with the last key, so S &gt; T covers a cached prefix), batched GEMM. Only the probabilities are
 * saved; backward runs the same pieces in reverse, each only when some input needs it.
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
        long ts = (long) t * s;
        Buffer scores = kern.allocate((int) Math.max(batch * ts, 1));
        kern.gemm(false, true, t, s, d, 1f, qc.buffer(), qc.offset(), d, (long) t * d,
                kc.buffer(), kc.offset(), d, (long) s * d, 0f, scores, 0, s, ts, batch);
        Buffer probs = kern.allocate((int) Math.max(batch * ts, 1));
        kern.softmax(scores, 0, probs, 0, batch * t, s, scale, causal, t);
        scores.close();
        int[] outShape = Arrays.copyOf(qs, rank);
        outShape[rank - 1] = dv;
        Tensor out = q.newZeros(outShape);
        kern.gemm(false, false, t, dv, s, 1f, probs, 0, s, ts, vc.buffer(), vc.offset(), dv, (long) s * dv,
                0f, out.buffer(), 0, dv, (long) t * dv, batch);

        boolean gradQ = qc.requiresGrad();
        boolean gradK = kc.requiresGrad();
        boolean gradV = vc.requiresGrad();
        return Autograd.record(out, "scaledDotProductAttention", gy -> {
            if (gradV) {
                Tensor dV = vc.gradSink(); // dV += Pᵀ·dOut
                kern.gemm(true, false, s, dv, t, 1f, probs, 0, s, ts, gy.buffer(), gy.offset(), dv, (long) t * dv,
                        1f, dV.buffer(), dV.offset(), dv, (long) s * dv, batch);
            }
            if (!gradQ && !gradK) {
                return;
            }
            Buffer dProbs = kern.allocate((int) Math.max(batch * ts, 1)); // dP = dOut·Vᵀ
            kern.gemm(false, true, t, s, dv, 1f, gy.buffer(), gy.offset(), dv, (long) t * dv,
                    vc.buffer(), vc.offset(), dv, (long) s * dv, 0f, dProbs, 0, s, ts, batch);
            Buffer dScores = kern.allocate((int) Math.max(batch * ts, 1)); // d(raw scores), scale included
            kern.softmaxBackward(probs, 0, dProbs, 0, dScores, 0, batch * t, s, scale);
            dProbs.close();
            if (gradQ) {
                Tensor dQ = qc.gradSink(); // dQ += dS·K
                kern.gemm(false, false, t, d, s, 1f, dScores, 0, s, ts, kc.buffer(), kc.offset(), d, (long) s * d,
                        1f, dQ.buffer(), dQ.offset(), d, (long) t * d, batch);
            }
            if (gradK) {
                Tensor dK = kc.gradSink(); // dK += dSᵀ·Q
                kern.gemm(true, false, s, d, t, 1f, dScores, 0, s, ts, qc.buffer(), qc.offset(), d, (long) t * d,
                        1f, dK.buffer(), dK.offset(), d, (long) s * d, batch);
            }
            dScores.close();
        }, qc, kc, vc);
    }
}
