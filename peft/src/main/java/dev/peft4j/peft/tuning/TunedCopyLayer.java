package dev.peft4j.peft.tuning;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.ModuleDict;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The "select existing parameters" methods as adapters: each adapter holds trainable copies of some of
 * the base module's own parameters and the forward uses them in place of the originals (which stay
 * frozen and untouched), so several adapters, disabling and exact unmerging all work as for LoRA.
 * LN tuning copies every parameter (HF's {@code LNTuningLayer} keeps a deep copy of the module); BitFit
 * copies the bias alone. Merging writes the copies into the base and keeps the originals for unmerge.
 */
public final class TunedCopyLayer extends Module implements AdapterLayer {

    /** Which parameters a method copies, the in-memory dict and the saved key prefix. */
    public enum Kind {
        /** HF LN_TUNING: {@code ln_tuning_layers.<adapter>.weight/bias}, saved {@code ln_tuning_layers.weight/bias}. */
        LN_TUNING("ln_tuning_layers", "ln_tuning_layers.", "LN tuning"),
        /** BitFit: {@code bitfit.<adapter>.bias}, saved as the module's own key {@code bias}. */
        BITFIT("bitfit", "", "BitFit");

        private final String dict;
        private final String savedPrefix;
        private final String label;

        Kind(String dict, String savedPrefix, String label) {
            this.dict = dict;
            this.savedPrefix = savedPrefix;
            this.label = label;
        }

        List<String> names(Module base, String path) {
            List<String> all = Substitution.parameterNames(base, path);
            if (this == LN_TUNING) {
                return all;
            }
            if (!all.contains("bias")) {
                throw new IllegalArgumentException("BitFit: module \"" + path + "\" (" + base + ") has no bias to train");
            }
            return List.of("bias");
        }
    }

    private final Module baseModule;
    private final String path;
    private final Kind kind;
    private final List<String> names;
    private final Map<String, ParameterHolder> adapters = new LinkedHashMap<>();
    private final List<String> merged = new ArrayList<>();
    private final Map<String, float[]> originals = new LinkedHashMap<>();
    private String active;
    private boolean enabled = true;

    public TunedCopyLayer(Module base, String path, Kind kind) {
        this.baseModule = base;
        this.path = path;
        this.kind = kind;
        this.names = kind.names(base, path);
        registerModule("base_layer", base);
        registerModule(kind.dict, new ModuleDict<ParameterHolder>());
    }

    public Kind kind() {
        return kind;
    }

    @Override
    public Module baseLayer() {
        return baseModule;
    }

    @Override
    public Set<String> adapters() {
        return Set.copyOf(adapters.keySet());
    }

    @SuppressWarnings("unchecked")
    private ModuleDict<ParameterHolder> dict() {
        return child(kind.dict, ModuleDict.class);
    }

    @Override
    public void addAdapter(String name, AdapterConfig config, InjectionContext context) {
        if (adapters.containsKey(name)) {
            throw new IllegalArgumentException(kind.label + " layer \"" + path + "\" already has adapter \"" + name + "\"");
        }
        Map<String, Tensor> copies = new LinkedHashMap<>();
        for (String n : names) {
            Tensor original = Substitution.parameter(baseModule, n);
            copies.put(n, Tensor.of(context.kernels(), original.toArray(), original.shape()));
        }
        ParameterHolder holder = new ParameterHolder(copies);
        dict().put(name, holder);
        adapters.put(name, holder);
    }

    @Override
    public void deleteAdapter(String name) {
        adapter(name);
        if (merged.contains(name)) {
            throw new IllegalStateException(kind.label + " layer \"" + path + "\": adapter \"" + name
                    + "\" is merged; unmerge first");
        }
        replaceModule(kind.dict, dict().without(name));
        adapters.remove(name);
        if (name.equals(active)) {
            active = null;
        }
    }

    private ParameterHolder adapter(String name) {
        ParameterHolder a = adapters.get(name);
        if (a == null) {
            throw new IllegalArgumentException(kind.label + " layer \"" + path + "\" has no adapter \"" + name
                    + "\" (adapters: " + adapters.keySet() + ")");
        }
        return a;
    }

    @Override
    public void setActive(String name) {
        if (name != null) {
            adapter(name);
        }
        active = name;
    }

    @Override
    public void setEnabled(boolean on) {
        enabled = on;
    }

    @Override
    public List<Tensor> trainableTensors(String name) {
        ParameterHolder a = adapter(name);
        List<Tensor> out = new ArrayList<>();
        for (String n : names) {
            out.add(a.get(n));
        }
        return out;
    }

    @Override
    public Map<String, Tensor> savedTensors(String name) {
        ParameterHolder a = adapter(name);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String n : names) {
            out.put(kind.savedPrefix + n, a.get(n));
        }
        return out;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!enabled || active == null || !merged.isEmpty()) {
            return baseModule.forward(x);
        }
        ParameterHolder a = adapters.get(active);
        Map<String, Tensor> replaced = new LinkedHashMap<>();
        for (String n : names) {
            replaced.put(n, a.get(n));
        }
        return Substitution.forward(baseModule, x, replaced);
    }

    @Override
    public void merge(String name) {
        ParameterHolder a = adapter(name);
        if (!merged.isEmpty()) {
            throw new IllegalStateException(kind.label + " layer \"" + path + "\": adapter \"" + merged.getFirst()
                    + "\" is already merged");
        }
        for (String n : names) {
            Tensor base = Substitution.parameter(baseModule, n);
            originals.put(n, base.toArray());
            base.copyFrom(a.get(n).toArray());
        }
        merged.add(name);
    }

    @Override
    public void unmerge() {
        if (merged.isEmpty()) {
            return;
        }
        originals.forEach((n, values) -> Substitution.parameter(baseModule, n).copyFrom(values));
        originals.clear();
        merged.clear();
    }

    @Override
    public List<String> mergedAdapters() {
        return List.copyOf(merged);
    }

    @Override
    public String toString() {
        return "TunedCopyLayer(" + kind.label + ", " + baseModule + ", adapters " + adapters.keySet() + ")";
    }
}
