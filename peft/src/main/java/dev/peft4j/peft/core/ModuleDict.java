package dev.peft4j.peft.core;

import dev.peft4j.engine.nn.Module;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sub-modules keyed by adapter name, as {@code nn.ModuleDict}. Removing an entry builds a new dict
 * (modules cannot unregister children) for the owner to swap in with {@link Module#replaceModule}.
 */
public final class ModuleDict<M extends Module> extends Module implements AdapterDict {

    private final Map<String, M> entries = new LinkedHashMap<>();

    public M put(String adapter, M module) {
        entries.put(adapter, registerModule(adapter, module));
        return module;
    }

    public M get(String adapter) {
        M m = entries.get(adapter);
        if (m == null) {
            throw new IllegalArgumentException("no adapter \"" + adapter + "\" here (adapters: " + entries.keySet() + ")");
        }
        return m;
    }

    @Override
    public boolean contains(String adapter) {
        return entries.containsKey(adapter);
    }

    @Override
    public ModuleDict<M> without(String adapter) {
        ModuleDict<M> copy = new ModuleDict<>();
        entries.forEach((name, m) -> {
            if (!name.equals(adapter)) {
                copy.put(name, m);
            }
        });
        copy.train(isTraining());
        return copy;
    }
}
