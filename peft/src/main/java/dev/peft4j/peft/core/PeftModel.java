package dev.peft4j.peft.core;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.kernels.Kernels;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model with named adapters injected into it, as HF PEFT's {@code PeftModel}: the model is changed in
 * place (target modules are replaced by {@link AdapterLayer}s) and keeps its own forward, so models never
 * know about adapters. One adapter is active at a time; only its tensors (plus the biases and
 * {@code modules_to_save} its config asks for) require grad, everything else is frozen.
 *
 * <p>All adapters of one model use the same method (HF's rule outside its mixed model).
 */
public final class PeftModel {

    public static final String DEFAULT_ADAPTER = "default";

    private final Module model;
    private final Kernels kernels;
    private final ModelLayout layout;
    private final Map<String, AdapterConfig> configs = new LinkedHashMap<>();
    private final Map<String, Map<String, Tensor>> shared = new LinkedHashMap<>();
    private final ModulesToSave modulesToSave = new ModulesToSave();
    private Tuner tuner;
    private String active;
    private boolean enabled = true;
    private boolean unloaded;

    public PeftModel(Module model, Kernels kernels) {
        this.model = model;
        this.kernels = kernels;
        this.layout = ModelLayout.of(model);
    }

    /** {@code get_peft_model}: injects {@code config} as adapter "default" and makes it active. */
    public static PeftModel create(Module model, Kernels kernels, AdapterConfig config, Rng rng) {
        PeftModel p = new PeftModel(model, kernels);
        p.addAdapter(DEFAULT_ADAPTER, config, rng);
        return p;
    }

    /** {@code PeftModel.from_pretrained}: loads the adapter in {@code dir} as "default". */
    public static PeftModel load(Module model, Kernels kernels, Path dir, boolean trainable) throws IOException {
        PeftModel p = new PeftModel(model, kernels);
        p.loadAdapter(dir, DEFAULT_ADAPTER, trainable);
        return p;
    }

    public Module model() {
        return model;
    }

    public ModelLayout layout() {
        return layout;
    }

    public Kernels kernels() {
        return kernels;
    }

    /** The active adapter, or null when there is none. */
    public String activeAdapter() {
        return active;
    }

    public Set<String> adapterNames() {
        return Set.copyOf(configs.keySet());
    }

    public AdapterConfig config(String adapter) {
        AdapterConfig c = configs.get(adapter);
        if (c == null) {
            throw new IllegalArgumentException("no adapter \"" + adapter + "\" (adapters: " + configs.keySet() + ")");
        }
        return c;
    }

    public Tuner tuner() {
        return tuner;
    }

    /** The model-wide tensors of {@code adapter} (VeRA's projections) by saved key. */
    public Map<String, Tensor> sharedTensors(String adapter) {
        config(adapter);
        return shared.get(adapter);
    }

    // ------------------------------------------------------------------ adapters

    /** Injects a new adapter; the first one becomes active, later ones stay frozen until {@link #setAdapter}. */
    public void addAdapter(String name, AdapterConfig config, Rng rng) {
        requireUsable();
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("adapter name must be non-empty and without dots, got \"" + name + "\"");
        }
        if (configs.containsKey(name)) {
            throw new IllegalArgumentException("adapter \"" + name + "\" already exists");
        }
        Tuner t = Tuners.forType(config.peftType(), "adapter \"" + name + "\"");
        if (tuner != null && t != tuner) {
            throw new IllegalArgumentException("adapter \"" + name + "\" is " + t.peftType() + " but this model's"
                    + " adapters are " + tuner.peftType() + "; one method per model");
        }
        if (config.targetModules() == null && layout.defaultTargets() != null) {
            config.targetModules(layout.defaultTargets()); // HF writes the family default into the config
        }
        Map<String, Module> targets = findTargets(config);
        boolean anyFanInFanOut = false;
        for (Map.Entry<String, Module> e : targets.entrySet()) {
            anyFanInFanOut |= LinearLayers.isLinear(e.getValue())
                    && LinearLayers.of(e.getValue(), e.getKey()).fanInFanOut();
        }
        // As HF does for Conv1D: the saved config says which layout the weights were adapted in.
        config.fanInFanOut(anyFanInFanOut);
        InjectionContext context = new InjectionContext(kernels, rng, InjectionContext.newShared());
        t.prepare(config, targets, context);
        tuner = t;
        for (Map.Entry<String, Module> e : targets.entrySet()) {
            Module current = model.module(e.getKey());
            AdapterLayer layer;
            if (current instanceof AdapterLayer existing && t.owns(existing)) {
                layer = existing;
            } else {
                layer = t.wrap(e.getValue(), e.getKey(), config);
                model.replaceModule(e.getKey(), (Module) layer);
            }
            layer.addAdapter(name, config, context);
        }
        configs.put(name, config);
        shared.put(name, context.shared());
        modulesToSave.add(name, config.modulesToSave(), model, layout);
        if (active == null) {
            setAdapter(name);
        } else {
            refreshTrainable();
        }
    }

    /** Target path -> the module to wrap (the base layer when an adapter layer is already there). */
    private Map<String, Module> findTargets(AdapterConfig config) {
        TargetSelector selector = new TargetSelector(config, layout);
        Map<String, Module> targets = new LinkedHashMap<>();
        List<String> adapterPaths = new ArrayList<>();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            String path = e.getKey();
            if (adapterPaths.stream().anyMatch(p -> path.startsWith(p + "."))) {
                continue; // inside an adapter layer: its base layer and adapter tensors are not targets
            }
            if (e.getValue() instanceof AdapterLayer al) {
                adapterPaths.add(path);
                if (selector.isTarget(path, al.baseLayer())) {
                    targets.put(path, al.baseLayer());
                }
            } else if (!path.isEmpty() && selector.isTarget(path, e.getValue())) {
                targets.put(path, e.getValue());
            }
        }
        if (targets.isEmpty()) {
            selector.select(model); // throws, describing what matched nothing
        }
        return targets;
    }

    /** Makes {@code name} the adapter the forward applies and the one that trains. */
    public void setAdapter(String name) {
        requireUsable();
        AdapterConfig config = config(name);
        for (AdapterLayer layer : layers().values()) {
            requireUnmerged(layer, "set_adapter");
            layer.setActive(layer.adapters().contains(name) ? name : null);
        }
        active = name;
        modulesToSave.show(enabled ? name : null);
        refreshTrainable();
        if (config.inferenceMode()) {
            model.freeze();
        }
    }

    /** Removes adapter {@code name}; layers left without adapters are replaced by their base layer again. */
    public void deleteAdapter(String name) {
        requireUsable();
        config(name);
        for (Map.Entry<String, AdapterLayer> e : layers().entrySet()) {
            AdapterLayer layer = e.getValue();
            requireUnmerged(layer, "delete_adapter");
            if (layer.adapters().contains(name)) {
                layer.deleteAdapter(name);
                if (layer.adapters().isEmpty()) {
                    layer.restoreBase();
                    model.replaceModule(e.getKey(), layer.baseLayer());
                }
            }
        }
        modulesToSave.delete(name);
        configs.remove(name);
        shared.remove(name);
        if (name.equals(active)) {
            active = null;
            if (!configs.isEmpty()) {
                setAdapter(configs.keySet().iterator().next());
                return;
            }
        }
        if (configs.isEmpty()) {
            tuner = null;
        }
        refreshTrainable();
    }

    /**
     * {@code with model.disable_adapter():} the base model alone until the scope closes: every layer
     * computes its base output and {@code modules_to_save} show their original values.
     */
    public AutoCloseable disableAdapters() {
        requireUsable();
        for (AdapterLayer layer : layers().values()) {
            requireUnmerged(layer, "disable_adapter");
            layer.setEnabled(false);
        }
        enabled = false;
        modulesToSave.show(null);
        return () -> {
            for (AdapterLayer layer : layers().values()) {
                layer.setEnabled(true);
            }
            enabled = true;
            modulesToSave.show(active);
        };
    }

    /** Freezes everything, then unfreezes what the active adapter trains. */
    public void refreshTrainable() {
        model.freeze();
        if (active == null) {
            return;
        }
        AdapterConfig config = configs.get(active);
        if (config.inferenceMode()) {
            return;
        }
        for (AdapterLayer layer : layers().values()) {
            if (layer.adapters().contains(active)) {
                layer.trainableTensors(active).forEach(t -> t.requiresGrad(true));
                if (config.bias().endsWith("_only")) {
                    Tensor bias = layer.baseLayer().namedParameters().get("bias");
                    if (bias != null) {
                        bias.requiresGrad(true);
                    }
                }
            }
        }
        if (config.bias().equals("all")) {
            model.unfreeze(n -> n.equals("bias") || n.endsWith(".bias"));
        }
        modulesToSave.trainable(active).forEach(t -> t.requiresGrad(true));
    }

    /** Every adapter layer by its path in the model. */
    public Map<String, AdapterLayer> layers() {
        Map<String, AdapterLayer> out = new LinkedHashMap<>();
        model.namedModules().forEach((path, m) -> {
            if (m instanceof AdapterLayer a) {
                out.put(path, a);
            }
        });
        return out;
    }

    public ParameterSummary summary() {
        return ParameterSummary.of(model);
    }

    /** The parameters an optimizer should update now. */
    public List<Tensor> trainableParameters() {
        return model.trainableParameters();
    }

    // ------------------------------------------------------------------ merge

    /** {@code merge_adapter}: folds the active adapter into the base weights (forward unchanged, faster). */
    public void merge() {
        requireUsable();
        requireActive("merge");
        requireWritableBase("merge");
        for (AdapterLayer layer : layers().values()) {
            if (layer.adapters().contains(active) && layer.mergedAdapters().isEmpty()) {
                layer.merge(active);
            }
        }
    }

    /** A bf16 base (see {@code FrozenBf16}) is read-only: folding an adapter in would need float32 weights. */
    private void requireWritableBase(String op) {
        for (Map.Entry<String, AdapterLayer> e : layers().entrySet()) {
            if (e.getValue().adapters().contains(active)) {
                for (Map.Entry<String, Tensor> p : e.getValue().baseLayer().namedParameters().entrySet()) {
                    if (p.getValue().isBf16()) {
                        throw new IllegalStateException(op + ": the base weight " + e.getKey() + "." + p.getKey()
                                + " is stored in bf16 (--base-dtype bf16), which is read-only; load the base model in"
                                + " f32 to merge the adapter into it");
                    }
                }
            }
        }
    }

    /** {@code unmerge_adapter}: takes merged adapters back out of the base weights. */
    public void unmerge() {
        requireUsable();
        for (AdapterLayer layer : layers().values()) {
            layer.unmerge();
        }
    }

    /**
     * {@code merge_and_unload}: folds the active adapter in, puts the base layers back where the adapter
     * layers were, and returns the plain model (whose own save writes its own layout). This PeftModel is
     * unusable afterwards.
     */
    public Module mergeAndUnload() {
        requireUsable();
        requireActive("merge_and_unload");
        merge();
        return detachLayers(false);
    }

    /** {@code unload}: removes every adapter without merging and returns the original model. */
    public Module unload() {
        requireUsable();
        unmerge();
        modulesToSave.show(null);
        return detachLayers(true);
    }

    private Module detachLayers(boolean restore) {
        for (Map.Entry<String, AdapterLayer> e : layers().entrySet()) {
            if (restore) {
                e.getValue().restoreBase();
            }
            model.replaceModule(e.getKey(), e.getValue().baseLayer());
        }
        modulesToSave.release();
        model.unfreeze();
        unloaded = true;
        return model;
    }

    // ------------------------------------------------------------------ save and load

    /**
     * Every tensor saved for {@code adapter} by its key in {@code adapter_model.safetensors}
     * ({@code base_model.model.<HF path>.<name>}, no adapter name, as HF PEFT writes them).
     */
    public Map<String, TensorSlot> savedSlots(String adapter) {
        AdapterConfig config = config(adapter);
        Map<String, TensorSlot> out = new LinkedHashMap<>();
        for (Map.Entry<String, AdapterLayer> e : layers().entrySet()) {
            AdapterLayer layer = e.getValue();
            if (!layer.adapters().contains(adapter)) {
                continue;
            }
            String prefix = AdapterFiles.MODEL_PREFIX + layout.hfPath(e.getKey()) + ".";
            layer.savedSlots(adapter).forEach((name, slot) -> out.put(prefix + name, slot));
            if (config.bias().endsWith("_only")) {
                Tensor bias = layer.baseLayer().namedParameters().get("bias");
                if (bias != null) {
                    out.put(prefix + "base_layer.bias", TensorSlot.of(bias));
                }
            }
        }
        if (config.bias().equals("all")) {
            model.namedParameters().forEach((name, t) -> {
                if (name.equals("bias") || name.endsWith(".bias")) {
                    out.putIfAbsent(AdapterFiles.MODEL_PREFIX + layout.hfPath(name), TensorSlot.of(t));
                }
            });
        }
        shared.get(adapter).forEach((key, t) -> out.put(key, TensorSlot.of(t)));
        modulesToSave.slots(adapter).forEach((name, slot) -> out.put(AdapterFiles.MODEL_PREFIX + layout.hfPath(name), slot));
        return out;
    }

    /** {@code save_pretrained(dir)} for one adapter: {@code adapter_config.json} + {@code adapter_model.safetensors} in dir. */
    public void save(Path dir, String adapter) throws IOException {
        List<AdapterLayer> withAdapter = new ArrayList<>();
        for (AdapterLayer l : layers().values()) {
            if (l.adapters().contains(adapter)) {
                withAdapter.add(l);
            }
        }
        AdapterConfig saved = tuner.savedConfig(config(adapter), withAdapter, adapter);
        AdapterFiles.write(dir, saved, savedSlots(adapter));
    }

    /** Saves the active adapter into {@code dir}. */
    public void save(Path dir) throws IOException {
        requireActive("save");
        save(dir, active);
    }

    /**
     * {@code load_adapter}: adds adapter {@code name} from {@code dir}. The file must hold exactly the keys
     * the config implies, with the shapes it implies; otherwise nothing is added and the error lists them.
     */
    public void loadAdapter(Path dir, String name, boolean trainable) throws IOException {
        loadAdapter(dir, name, trainable, c -> c);
    }

    /** As {@link #loadAdapter(Path, String, boolean)}, letting the caller adjust the read config first. */
    public void loadAdapter(Path dir, String name, boolean trainable, java.util.function.UnaryOperator<AdapterConfig> adjust)
            throws IOException {
        AdapterFiles.Loaded loaded = AdapterFiles.read(dir);
        AdapterConfig config = adjust.apply(loaded.config());
        config.inferenceMode(!trainable);
        addAdapter(name, config, new Rng(0));
        try {
            AdapterFiles.copyInto(loaded, savedSlots(name));
        } catch (RuntimeException e) {
            deleteAdapter(name);
            throw e;
        }
        if (name.equals(active)) {
            refreshTrainable();
        }
    }

    // ------------------------------------------------------------------ checks

    private void requireUsable() {
        if (unloaded) {
            throw new IllegalStateException("this PeftModel was unloaded; its model is a plain model again");
        }
    }

    private void requireActive(String what) {
        if (active == null) {
            throw new IllegalStateException(what + ": no active adapter");
        }
    }

    private static void requireUnmerged(AdapterLayer layer, String what) {
        if (!layer.mergedAdapters().isEmpty()) {
            throw new IllegalStateException(what + ": adapters " + layer.mergedAdapters()
                    + " are merged into the base weights; unmerge first");
        }
    }

    /** The names of every adapter tensor of {@code adapter} (for messages and tests). */
    public Set<String> savedKeys(String adapter) {
        return new LinkedHashSet<>(savedSlots(adapter).keySet());
    }
}
