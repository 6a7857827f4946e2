package dev.peft4j.peft.core;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Module;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * HF PEFT's {@code modules_to_save}: whole modules (a classifier head, say) trained fully, one copy of
 * their values per adapter. The model keeps one set of live tensors; switching adapter swaps values in
 * and out of them (so models need no deep copy), and the original values come back when adapters are
 * disabled or deleted.
 */
final class ModulesToSave {

    /** One module's parameters by dotted model name. */
    private record Saved(String modulePath, Map<String, Tensor> params, Map<String, float[]> original,
                         Map<String, Map<String, float[]>> byAdapter) {
    }

    private final Map<String, Saved> modules = new LinkedHashMap<>();
    private String shown; // adapter whose values are in the live tensors; null = the original values

    /** Adds {@code adapter}'s copy of every module whose path matches a {@code names} entry (HF: suffix match). */
    void add(String adapter, List<String> names, Module model, ModelLayout layout) {
        if (names == null || names.isEmpty()) {
            return;
        }
        List<String> matched = new ArrayList<>();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            String path = e.getKey();
            String hf = layout.hfPath(path);
            for (String n : names) {
                if (!path.isEmpty() && (hf.equals(n) || hf.endsWith("." + n) || path.equals(n))) {
                    matched.add(path);
                    break;
                }
            }
        }
        if (matched.isEmpty()) {
            throw new IllegalArgumentException("modules_to_save " + names + " matched no module of "
                    + model.getClass().getSimpleName());
        }
        show(null);
        for (String path : matched) {
            Saved s = modules.computeIfAbsent(path, p -> capture(p, model));
            Map<String, float[]> copy = new LinkedHashMap<>();
            s.original.forEach((name, v) -> copy.put(name, v.clone()));
            s.byAdapter.put(adapter, copy);
        }
    }

    private static Saved capture(String path, Module model) {
        Map<String, Tensor> params = new LinkedHashMap<>();
        Map<String, float[]> original = new LinkedHashMap<>();
        model.module(path).namedParameters().forEach((name, t) -> {
            String full = path + "." + name;
            params.put(full, t);
            original.put(full, t.toArray());
        });
        return new Saved(path, params, original, new LinkedHashMap<>());
    }

    /** Puts {@code adapter}'s values (or the original ones for null) into the live tensors. */
    void show(String adapter) {
        if (java.util.Objects.equals(adapter, shown)) {
            return;
        }
        for (Saved s : modules.values()) {
            if (shown != null && s.byAdapter.containsKey(shown)) {
                Map<String, float[]> slot = s.byAdapter.get(shown);
                s.params.forEach((name, t) -> slot.put(name, t.toArray()));
            }
            Map<String, float[]> values = adapter == null ? null : s.byAdapter.get(adapter);
            Map<String, float[]> source = values != null ? values : s.original;
            s.params.forEach((name, t) -> t.copyFrom(source.get(name)));
        }
        shown = adapter;
    }

    /** The live tensors that train for {@code adapter} (it must be shown). */
    List<Tensor> trainable(String adapter) {
        List<Tensor> out = new ArrayList<>();
        for (Saved s : modules.values()) {
            if (s.byAdapter.containsKey(adapter)) {
                out.addAll(s.params.values());
            }
        }
        return out;
    }

    /** {@code adapter}'s tensors by dotted model name: live when shown, else its stored copy. */
    Map<String, TensorSlot> slots(String adapter) {
        Map<String, TensorSlot> out = new LinkedHashMap<>();
        for (Saved s : modules.values()) {
            Map<String, float[]> slot = s.byAdapter.get(adapter);
            if (slot == null) {
                continue;
            }
            s.params.forEach((name, t) -> out.put(name, new TensorSlot() {
                public int[] shape() {
                    return t.shape();
                }

                public float[] values() {
                    return adapter.equals(shown) ? t.toArray() : slot.get(name).clone();
                }

                public void load(float[] v) {
                    if (adapter.equals(shown)) {
                        t.copyFrom(v);
                    } else {
                        slot.put(name, v.clone());
                    }
                }
            }));
        }
        return out;
    }

    void delete(String adapter) {
        if (adapter.equals(shown)) {
            show(null);
        }
        modules.values().removeIf(s -> {
            s.byAdapter.remove(adapter);
            if (s.byAdapter.isEmpty()) {
                s.params.forEach((name, t) -> t.copyFrom(s.original.get(name)));
                return true;
            }
            return false;
        });
    }

    /** Forgets all copies, leaving the live tensors as they are (after merge-and-unload keeps the shown adapter). */
    void release() {
        modules.clear();
        shown = null;
    }
}
