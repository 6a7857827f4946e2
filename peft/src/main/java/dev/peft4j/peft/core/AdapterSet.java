package dev.peft4j.peft.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The bookkeeping every {@link AdapterLayer} shares: its adapters by name (each with its method's state
 * {@code A}), the active one, the enabled switch and the merged ones in merge order, with errors that name
 * the layer. {@link AbstractAdapterLayer} is built on it; a layer that must extend another class (the
 * prompt layer is an {@code Embedding}) holds one itself.
 */
public final class AdapterSet<A> {

    private final String where;
    private final Map<String, A> adapters = new LinkedHashMap<>();
    private final List<String> merged = new ArrayList<>();
    private String active;
    private boolean enabled = true;

    /** @param label the method as errors name it ("LoRA"); @param path the layer's path in the model */
    public AdapterSet(String label, String path) {
        this.where = label + " layer \"" + path + "\"";
    }

    /** How errors name the layer, e.g. {@code LoRA layer "h.0.attn.c_attn"}. */
    public String where() {
        return where;
    }

    public Set<String> names() {
        return Set.copyOf(adapters.keySet());
    }

    public Collection<A> all() {
        return Collections.unmodifiableCollection(adapters.values());
    }

    /** Adapter {@code name}'s state; an error naming the adapters there when it has none. */
    public A get(String name) {
        A a = adapters.get(name);
        if (a == null) {
            throw new IllegalArgumentException(where + " has no adapter \"" + name + "\" (adapters: "
                    + adapters.keySet() + ")");
        }
        return a;
    }

    /** {@code config} as the method's own config class, or an error naming the type it is. */
    public <C extends AdapterConfig> C config(AdapterConfig config, Class<C> type) {
        if (!type.isInstance(config)) {
            throw new IllegalArgumentException(where + ": config is " + config.peftType());
        }
        return type.cast(config);
    }

    /** Checked before an adapter's state is built, so a duplicate name changes nothing. */
    public void requireNew(String name) {
        if (adapters.containsKey(name)) {
            throw new IllegalArgumentException(where + " already has adapter \"" + name + "\"");
        }
    }

    public void put(String name, A state) {
        requireNew(name);
        adapters.put(name, state);
    }

    /** Removes unmerged adapter {@code name} (no longer active) and returns its state. */
    public A remove(String name) {
        get(name);
        requireUnmerged(name);
        A a = adapters.remove(name);
        if (name.equals(active)) {
            active = null;
        }
        return a;
    }

    /** Null: no adapter is applied. */
    public void setActive(String name) {
        if (name != null) {
            get(name);
        }
        active = name;
    }

    public String active() {
        return active;
    }

    public void setEnabled(boolean on) {
        enabled = on;
    }

    /** The state the forward applies: the active adapter's, or null while disabled, without one, or merged. */
    public A applied() {
        return enabled && active != null && merged.isEmpty() ? adapters.get(active) : null;
    }

    public void requireUnmerged(String name) {
        if (merged.contains(name)) {
            throw new IllegalStateException(where + ": adapter \"" + name + "\" is merged; unmerge first");
        }
    }

    /**
     * Checks that {@code name} may be merged now: it is not merged yet, and with {@code oneAtATime} (a layer
     * whose merge overwrites, not adds) no other adapter is either.
     */
    public void requireMergeable(String name, boolean oneAtATime) {
        get(name);
        if (merged.contains(name) || (oneAtATime && !merged.isEmpty())) {
            String first = merged.contains(name) ? name : merged.getFirst();
            throw new IllegalStateException(where + ": adapter \"" + first + "\" is already merged");
        }
    }

    public void markMerged(String name) {
        merged.add(name);
    }

    /** Removes and returns the adapter merged last, or null when none is merged (unmerge goes last first). */
    public String popMerged() {
        return merged.isEmpty() ? null : merged.removeLast();
    }

    public List<String> merged() {
        return List.copyOf(merged);
    }

    @Override
    public String toString() {
        return adapters.keySet().toString();
    }
}
