package dev.peft4j.models.gpt2;

import dev.peft4j.engine.StepScope;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.LayerNorm;
import dev.peft4j.engine.nn.Module;

/** One pre-LayerNorm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
final class Gpt2Block extends Module {

    private final int index;

    Gpt2Block(int index, LayerNorm ln1, Gpt2Attention attn, LayerNorm ln2, Gpt2Mlp mlp) {
        this.index = index;
        registerModule("ln_1", ln1);
        registerModule("attn", attn);
        registerModule("ln_2", ln2);
        registerModule("mlp", mlp);
    }

    int index() {
        return index;
    }

    Tensor forward(Tensor x, Gpt2KvCache cache) {
        return forward(x, cache, null);
    }

    /** @param prefix null, or keys and values [B, H, P, D] every position attends to before its own */
    Tensor forward(Tensor x, Gpt2KvCache cache, Tensor[] prefix) {
        Tensor a = child("ln_1", Module.class).forward(x);
        Tensor attn = child("attn", Gpt2Attention.class).forward(a, index, cache, prefix);
        Tensor h = x.add(attn);
        // Each norm's output and branch's result is done with here; what no backward rule reads (a frozen
        // layer's input, a projection's output once added) goes back to the pool now, not at the step's end.
        StepScope.release(a, attn);
        Tensor m = child("ln_2", Module.class).forward(h);
        Tensor mlp = child("mlp", Module.class).forward(m);
        Tensor out = h.add(mlp);
        StepScope.release(m, mlp);
        return out;
    }
}
