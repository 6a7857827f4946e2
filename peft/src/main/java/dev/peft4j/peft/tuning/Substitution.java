package dev.peft4j.peft.tuning;

import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.LayerNorm;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.engine.nn.RMSNorm;

import java.util.List;
import java.util.Map;

/**
 * A module's own forward recomputed with some of its parameters replaced by stand-ins (the trained copies
 * of BitFit and LN tuning), for the module types whose math is known here: linear layers (Linear, GPT-2's
 * Conv1D), LayerNorm and RMSNorm. Each computes exactly what the module does, op for op, so copies equal to
 * the originals give bit-identical outputs.
 */
final class Substitution {

    private Substitution() {
    }

    /** The parameter names of {@code m} that a copy may stand in for; unsupported types are an error. */
    static List<String> parameterNames(Module m, String path) {
        if (m instanceof LinearLayer l) {
            return l.bias() == null ? List.of("weight") : List.of("weight", "bias");
        }
        if (m instanceof LayerNorm n) {
            return n.bias() == null ? List.of("weight") : List.of("weight", "bias");
        }
        if (m instanceof RMSNorm) {
            return List.of("weight");
        }
        throw new IllegalArgumentException("module \"" + path + "\" is a " + m.getClass().getSimpleName()
                + "; only linear layers (Linear, Conv1D), LayerNorm and RMSNorm can have their parameters tuned here");
    }

    /** The module's current value of parameter {@code name}. */
    static Tensor parameter(Module m, String name) {
        Tensor t = m.namedParameters().get(name);
        if (t == null) {
            throw new IllegalArgumentException(m + " has no parameter \"" + name + "\"");
        }
        return t;
    }

    /** {@code m(x)} with the parameters in {@code replaced} (by name) used in place of its own. */
    static Tensor forward(Module m, Tensor x, Map<String, Tensor> replaced) {
        Tensor w = replaced.getOrDefault("weight", parameter(m, "weight"));
        if (m instanceof LinearLayer l) {
            Tensor b = l.bias() == null ? null : replaced.getOrDefault("bias", l.bias());
            if (x.rank() == 0 || x.dim(-1) != l.inFeatures()) {
                throw new IllegalArgumentException(m + ": input " + java.util.Arrays.toString(x.shape())
                        + " must end in " + l.inFeatures());
            }
            if (!l.fanInFanOut()) {
                return Functional.linear(x, w, b);
            }
            Tensor y = x.matmul(w); // GPT-2's Conv1D: x·W + b with W [in, out]
            return b == null ? y : y.add(b);
        }
        if (m instanceof LayerNorm n) {
            Tensor b = n.bias() == null ? null : replaced.getOrDefault("bias", n.bias());
            return Functional.layerNorm(x, w, b, n.eps());
        }
        if (m instanceof RMSNorm n) {
            return Functional.rmsNorm(x, w, n.eps());
        }
        throw new IllegalStateException("unsupported module " + m);
    }
}
