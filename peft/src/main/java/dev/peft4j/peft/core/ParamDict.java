package dev.peft4j.peft.core;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Module;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tensors keyed by adapter name, as {@code nn.ParameterDict}: parameter names come out as
 * {@code vera_lambda_b.default}, Hugging Face PEFT's in-memory spelling. Modules cannot unregister a
 * parameter, so removing an entry builds a new dict for the owner to swap in.
 */
public final class ParamDict extends Module implements AdapterDict {

    private final Map<String, Tensor> entries = new LinkedHashMap<>();

    public Tensor put(String adapter, Tensor value) {
        entries.put(adapter, registerParameter(adapter, value));
        return value;
    }

    public Tensor get(String adapter) {
        Tensor t = entries.get(adapter);
        if (t == null) {
            throw new IllegalArgumentException("no adapter \"" + adapter + "\" here (adapters: " + entries.keySet() + ")");
        }
        return t;
    }

    @Override
    public boolean contains(String adapter) {
        return entries.containsKey(adapter);
    }

    /** A copy without {@code adapter}; the kept tensors keep their requiresGrad flags. */
    @Override
    public ParamDict without(String adapter) {
        ParamDict copy = new ParamDict();
        entries.forEach((name, t) -> {
            if (!name.equals(adapter)) {
                boolean trainable = t.requiresGrad();
                copy.put(name, t);
                t.requiresGrad(trainable);
            }
        });
        return copy;
    }
}
