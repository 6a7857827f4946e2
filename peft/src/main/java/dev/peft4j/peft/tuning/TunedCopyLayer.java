package dev.peft4j.peft.tuning;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.AbstractAdapterLayer;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.ModuleDict;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The "select existing parameters" methods as adapters: each adapter holds trainable copies of some of
 * the base module's own parameters and the forward uses them in place of the originals (which stay
 * frozen and untouched), so several adapters, disabling and exact unmerging all work as for LoRA.
 * LN tuning copies every parameter (HF's {@code LNTuningLayer} keeps a deep copy of the module); BitFit
 * copies the bias alone. Merging writes the copies into the base and keeps the originals for unmerge.
 */
public final class TunedCopyLayer extends AbstractAdapterLayer<ParameterHolder> {

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

    private final Kind kind;
    private final List<String> names;
    private final Map<String, float[]> originals = new LinkedHashMap<>();

    public TunedCopyLayer(Module base, String path, Kind kind) {
        super(base, path, kind.label);
        this.kind = kind;
        this.names = kind.names(base, path);
        registerAdapterDict(kind.dict, new ModuleDict<ParameterHolder>());
    }

    public Kind kind() {
        return kind;
    }

    @Override
    protected ParameterHolder create(String name, AdapterConfig config, InjectionContext context) {
        Map<String, Tensor> copies = new LinkedHashMap<>();
        for (String n : names) {
            Tensor original = Substitution.parameter(baseModule, n);
            copies.put(n, Tensor.of(context.kernels(), original.toArray(), original.shape()));
        }
        return putModule(kind.dict, name, new ParameterHolder(copies));
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
    protected Tensor forwardWith(Tensor x, ParameterHolder a) {
        Map<String, Tensor> replaced = new LinkedHashMap<>();
        for (String n : names) {
            replaced.put(n, a.get(n));
        }
        return Substitution.forward(baseModule, x, replaced);
    }

    /** Merging overwrites the base parameters (the originals kept aside), so one adapter at a time. */
    @Override
    protected boolean mergesOneAtATime() {
        return true;
    }

    @Override
    protected void foldIn(ParameterHolder a) {
        for (String n : names) {
            Tensor base = Substitution.parameter(baseModule, n);
            originals.put(n, base.toArray());
            base.copyFrom(a.get(n).toArray());
        }
    }

    @Override
    protected void foldOut(ParameterHolder a) {
        originals.forEach((n, values) -> Substitution.parameter(baseModule, n).copyFrom(values));
        originals.clear();
    }

    @Override
    protected String describeBase() {
        return kind.label + ", " + baseModule;
    }
}
