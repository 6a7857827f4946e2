package dev.peft4j.models.gpt2;

import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Dropout;
import dev.peft4j.engine.nn.Module;

/**
 * GPT-2's causal self-attention: one fused projection {@code c_attn} to q, k, v (in that order along the
 * last axis), heads split as [B, H, T, D], softmax(q kᵀ / √D) v, then {@code c_proj}. Sub-layers are looked
 * up by name at each call so an adapter that replaces {@code c_attn} or {@code c_proj} takes effect.
 */
final class Gpt2Attention extends Module {

    private final int nHead;
    private final int headDim;

    Gpt2Attention(Conv1D cAttn, Conv1D cProj, int nHead, float attnPdrop, float residPdrop, long seed) {
        this.nHead = nHead;
        this.headDim = cProj.inFeatures() / nHead;
        registerModule("c_attn", cAttn);
        registerModule("c_proj", cProj);
        registerModule("attn_dropout", new Dropout(attnPdrop, seed));
        registerModule("resid_dropout", new Dropout(residPdrop, seed + 1));
    }

    /**
     * @param x     [B, T, C]
     * @param cache null, or the cache whose {@code length()} positions precede these T
     */
    Tensor forward(Tensor x, int layer, Gpt2KvCache cache) {
        return forward(x, layer, cache, null);
    }

    /**
     * @param prefix null, or keys and values [B, H, P, D] placed before these T (and cached with them):
     *               prefix tuning's virtual positions
     */
    Tensor forward(Tensor x, int layer, Gpt2KvCache cache, Tensor[] prefix) {
        int b = x.dim(0);
        int t = x.dim(1);
        int c = x.dim(2);
        Tensor qkv = child("c_attn", Module.class).forward(x);
        Dropout attnDropout = child("attn_dropout", Dropout.class);
        boolean dropProbs = isTraining() && attnDropout.p() > 0f;
        if (prefix == null && cache == null && !dropProbs) {
            // The common case (training, evaluation, a prompt's first pass): heads read and written in place.
            Tensor y = child("c_proj", Module.class).forward(Functional.causalSelfAttention(qkv, nHead));
            return child("resid_dropout", Dropout.class).forwardLast(y);
        }
        // One copy splits q, k and v into heads: [B, T, 3, H, D] -> [3, B, H, T, D]; each part is then a
        // contiguous view, and backward is one permuted write into qkv's gradient.
        Tensor split = qkv.reshape(b, t, 3, nHead, headDim).permute(2, 0, 3, 1, 4).contiguous();
        Tensor q = split.slice(0, 0, 1).reshape(b, nHead, t, headDim);
        Tensor k = split.slice(0, 1, 2).reshape(b, nHead, t, headDim);
        Tensor v = split.slice(0, 2, 3).reshape(b, nHead, t, headDim);
        if (prefix != null) {
            k = Tensor.cat(2, prefix[0], k);
            v = Tensor.cat(2, prefix[1], v);
        }
        if (cache != null) {
            Tensor[] kv = cache.append(layer, k, v);
            k = kv[0];
            v = kv[1];
        }
        int past = k.dim(2) - t; // cached and prefix positions before these T
        Tensor y;
        if (!dropProbs && past == 0) {
            y = Functional.scaledDotProductAttention(q, k, v, true);
        } else if (!dropProbs && t == 1) {
            y = Functional.scaledDotProductAttention(q, k, v, false); // one new query sees every cached key
        } else {
            y = explicitAttention(q, k, v, past, attnDropout);
        }
        y = y.permute(0, 2, 1, 3).reshape(b, t, c);
        y = child("c_proj", Module.class).forward(y);
        return child("resid_dropout", Dropout.class).forwardLast(y);
    }

    /** Attention with dropout on the probabilities and a causal mask offset by {@code past} cached positions. */
    private Tensor explicitAttention(Tensor q, Tensor k, Tensor v, int past, Dropout dropout) {
        int t = q.dim(2);
        int s = k.dim(2);
        float[] mask = new float[t * s];
        for (int i = 0; i < t; i++) {
            for (int j = past + i + 1; j < s; j++) {
                // Large, finite: exp underflows to exactly 0 and no inf - inf can appear.
                mask[i * s + j] = -1e30f;
            }
        }
        Tensor scores = q.matmul(k.transpose(2, 3)).mul((float) (1.0 / Math.sqrt(headDim)))
                .add(Tensor.of(q.kernels(), mask, t, s));
        return dropout.forward(scores.softmax()).matmul(v);
    }
}
