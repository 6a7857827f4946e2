package dev.peft4j.engine;

import dev.peft4j.kernels.AttentionLayout;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;

/**
 * Causal self-attention straight from a fused q/k/v projection: qkv [B, T, 3C] holds q, k and v side by side
 * (C = heads·D, each split into heads of D), the result [B, T, C] holds the heads side by side: the layouts a
 * fused projection writes and the output projection reads. The kernels read and write those layouts in place
 * ({@link AttentionLayout}), so neither the head split nor the head merge is a copy, and the backward
 * accumulates dq, dk and dv straight into qkv's gradient. Scale 1/√D. Saves qkv, the output and one
 * log-sum-exp per query row; the backward recomputes the probabilities.
 */
final class SelfAttentionOp {

    private SelfAttentionOp() {
    }

    static Tensor causal(Tensor qkv, int heads) {
        int[] s = qkv.shapeRef();
        if (heads < 1 || s.length != 3 || s[2] % (3 * heads) != 0) {
            throw new IllegalArgumentException("causalSelfAttention: qkv must be [batch, seq, 3·C] with C a multiple of"
                    + " heads " + heads + ", got " + Shapes.str(s));
        }
        int batch = s[0];
        int t = s[1];
        int c = s[2] / 3;
        int d = c / heads;
        int bh = batch * heads;
        Tensor x = qkv.contiguous();
        Kernels kern = x.kernels();
        AttentionLayout in = new AttentionLayout(heads, t * 3 * c, d, 3 * c);
        AttentionLayout merged = new AttentionLayout(heads, t * c, d, c);
        float scale = (float) (1.0 / Math.sqrt(d));
        Buffer xb = x.buffer();
        int q0 = x.offset();
        Tensor out = x.newZeros(batch, t, c);
        Buffer lse = kern.allocate(Math.max(bh * t, 1));
        kern.attention(xb, q0, in, xb, q0 + c, in, xb, q0 + 2 * c, in, bh, t, t, d, d, scale, true,
                out.buffer(), 0, merged, lse, 0);
        StepScope.ownSaved(Autograd.needsRecording(x), lse); // the row statistics backward reuses
        GradSlot target = x.requiresGrad() ? x.slot() : null;
        return Autograd.record(out, "causalSelfAttention", gy -> {
            Tensor g = target.gradSink();
            Tensor gc = gy.contiguous();
            Buffer gb = g.buffer();
            int g0 = g.offset();
            kern.attentionBackward(xb, q0, in, xb, q0 + c, in, xb, q0 + 2 * c, in, out.buffer(), 0, merged, lse, 0,
                    gc.buffer(), gc.offset(), merged, bh, t, t, d, d, scale, true, gb, g0, gb, g0 + c, gb, g0 + 2 * c);
        }, x);
    }
}
