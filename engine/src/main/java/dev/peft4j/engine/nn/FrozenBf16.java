package dev.peft4j.engine.nn;

import dev.peft4j.engine.Tensor;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Casts a module tree's frozen weight matrices to bfloat16 storage in place of their float32 tensors: half the
 * memory of the base model, for PEFT where the base never trains. Only parameters that are frozen and at least
 * 2-D are cast (linear weights, embedding tables, a tied LM head); biases, norms and everything trainable stay
 * float32, and so does all arithmetic (GEMMs widen bf16 panels to float32 as they pack them).
 *
 * <p>Cast after adapters are injected and the base is frozen, so initialisations that read or rewrite the base
 * (PiSSA, DoRA's norms, sparse selection) see float32. A tensor registered under several names (tied weights)
 * becomes one bf16 tensor under all of them, and the float32 original is left for the garbage collector.
 */
public final class FrozenBf16 {

    private FrozenBf16() {
    }

    /** What a cast did: how many parameters (distinct tensors) changed and the bytes their storage shrank by. */
    public record Result(int tensors, long elements) {

        public long bytesSaved() {
            return 2 * elements;
        }
    }

    /** Casts every frozen parameter of rank &ge; 2 under {@code root}; already-bf16 ones are left as they are. */
    public static Result cast(Module root) {
        Map<Tensor, Tensor> done = new IdentityHashMap<>();
        long elements = 0;
        for (Module m : root.namedModules().values()) {
            for (Map.Entry<String, Tensor> e : Map.copyOf(m.ownParameters()).entrySet()) {
                Tensor p = e.getValue();
                if (p.requiresGrad() || p.rank() < 2 || p.isBf16()) {
                    continue;
                }
                Tensor cast = done.get(p);
                if (cast == null) {
                    cast = p.toBf16();
                    done.put(p, cast);
                    elements += p.numel();
                }
                m.replaceParameter(e.getKey(), cast);
            }
        }
        return new Result(done.size(), elements);
    }
}
