package dev.peft4j.peft.core;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Module;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * An {@link AdapterLayer} that wraps {@code base} (registered as {@code base_layer}) and keeps each adapter's
 * state {@code A} in an {@link AdapterSet}. It owns what every method does alike: naming, activating,
 * enabling and deleting adapters, dropping their entries from the per-adapter dicts, the merge checks and
 * the last-merged-first unmerge. A method supplies only its own parts: building an adapter's state, the
 * adapted forward, folding one adapter into the base and out again, and the tensors it trains and saves.
 */
public abstract class AbstractAdapterLayer<A> extends Module implements AdapterLayer {

    protected final Module baseModule;
    protected final String path;
    private final AdapterSet<A> adapters;
    private final List<String> adapterDicts = new ArrayList<>();

    /** @param label the method as errors name it ("LoRA", "IA3") */
    protected AbstractAdapterLayer(Module base, String path, String label) {
        this.baseModule = base;
        this.path = path;
        this.adapters = new AdapterSet<>(label, path);
        registerModule("base_layer", base);
    }

    // ------------------------------------------------------------------ the method's parts

    /** Builds adapter {@code name}'s state (its tensors put into this layer's dicts); the name is new here. */
    protected abstract A create(String name, AdapterConfig config, InjectionContext context);

    /** The output with {@code adapter} applied (called only while it is active, enabled and nothing is merged). */
    protected abstract Tensor forwardWith(Tensor x, A adapter);

    /** Folds {@code adapter} into the base weights (an unmergeable method throws here). */
    protected abstract void foldIn(A adapter);

    /** Takes {@code adapter} back out of the base weights; called last merged first. */
    protected abstract void foldOut(A adapter);

    /** Whether a merge overwrites the base (so only one adapter can be merged) rather than adds to it. */
    protected boolean mergesOneAtATime() {
        return false;
    }

    /** Called after adapter {@code name} is removed, to undo what it did outside its dicts. */
    protected void deleted(A adapter) {
    }

    // ------------------------------------------------------------------ helpers for the method

    /**
     * Registers {@code dict} as the child {@code name}, a dict keyed by adapter name: {@link #deleteAdapter}
     * drops the adapter's entry from it.
     */
    protected final <D extends Module & AdapterDict> D registerAdapterDict(String name, D dict) {
        adapterDicts.add(name);
        return registerModule(name, dict);
    }

    protected final ParamDict paramDict(String name) {
        return child(name, ParamDict.class);
    }

    @SuppressWarnings("unchecked")
    protected final <M extends Module> ModuleDict<M> moduleDict(String name) {
        return child(name, ModuleDict.class);
    }

    /** Puts {@code module} into dict {@code dict} for {@code adapter}, in this layer's training mode. */
    protected final <M extends Module> M putModule(String dict, String adapter, M module) {
        module.train(isTraining());
        return this.<M>moduleDict(dict).put(adapter, module);
    }

    /** Adapter {@code name}'s state; an error naming the adapters there when it has none. */
    protected final A adapter(String name) {
        return adapters.get(name);
    }

    protected final Collection<A> allAdapters() {
        return adapters.all();
    }

    protected final String activeName() {
        return adapters.active();
    }

    /** {@code config} as the method's own config class, or an error naming the type it is. */
    protected final <C extends AdapterConfig> C config(AdapterConfig config, Class<C> type) {
        return adapters.config(config, type);
    }

    protected final void requireUnmerged(String name) {
        adapters.requireUnmerged(name);
    }

    /** How errors name this layer, e.g. {@code LoRA layer "h.0.attn.c_attn"}. */
    protected final String where() {
        return adapters.where();
    }

    // ------------------------------------------------------------------ AdapterLayer

    @Override
    public final Module baseLayer() {
        return baseModule;
    }

    @Override
    public final Set<String> adapters() {
        return adapters.names();
    }

    @Override
    public final void addAdapter(String name, AdapterConfig config, InjectionContext context) {
        adapters.requireNew(name);
        adapters.put(name, create(name, config, context));
    }

    @Override
    public final void deleteAdapter(String name) {
        A removed = adapters.remove(name);
        for (String dict : adapterDicts) {
            AdapterDict d = (AdapterDict) child(dict, Module.class);
            if (d.contains(name)) {
                replaceModule(dict, d.without(name));
            }
        }
        deleted(removed);
    }

    @Override
    public final void setActive(String name) {
        adapters.setActive(name);
    }

    @Override
    public final void setEnabled(boolean on) {
        adapters.setEnabled(on);
    }

    @Override
    public final Tensor forward(Tensor x) {
        A a = adapters.applied();
        return a == null ? baseModule.forward(x) : forwardWith(x, a);
    }

    @Override
    public final void merge(String name) {
        adapters.requireMergeable(name, mergesOneAtATime());
        foldIn(adapters.get(name));
        adapters.markMerged(name);
    }

    @Override
    public final void unmerge() {
        for (String name = adapters.popMerged(); name != null; name = adapters.popMerged()) {
            foldOut(adapters.get(name));
        }
    }

    @Override
    public final List<String> mergedAdapters() {
        return adapters.merged();
    }

    /** What {@link #toString} says of the wrapped module. */
    protected String describeBase() {
        return String.valueOf(baseModule);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + describeBase() + ", adapters " + adapters + ")";
    }
}
