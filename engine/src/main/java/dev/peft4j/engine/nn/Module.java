package dev.peft4j.engine.nn;

import dev.peft4j.engine.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A tree of named parameters and sub-modules, as {@code torch.nn.Module}: registration order is kept,
 * names join with dots ({@code h.0.attn.c_attn.weight}) so they match Hugging Face checkpoints, and
 * freezing is a per-parameter {@code requiresGrad} switch chosen by name.
 *
 * <p>A module whose children may be swapped by adapters (see {@link #replaceModule}) should look them up
 * with {@link #child} at forward time rather than caching them in fields.
 */
public abstract class Module {

    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Applies the module to one input; modules with other signatures (e.g. ids) say so. */
    public Tensor forward(Tensor input) {
        throw new UnsupportedOperationException(getClass().getSimpleName()
                + " has no single-tensor forward; call its specific forward method");
    }

    // ---------------------------------------------------------------- registration

    /** Registers {@code param} under {@code name}, marks it trainable, and returns it. */
    protected Tensor registerParameter(String name, Tensor param) {
        checkNewName(name);
        if (!param.isLeaf()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": parameter \"" + name
                    + "\" must be a leaf tensor, got the output of " + param.op());
        }
        params.put(name, param.requiresGrad(true));
        return param;
    }

    /** Registers {@code module} as the child {@code name} and returns it. */
    protected <M extends Module> M registerModule(String name, M module) {
        checkNewName(name);
        if (module == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": child \"" + name + "\" is null");
        }
        children.put(name, module);
        return module;
    }

    private void checkNewName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": invalid name \"" + name
                    + "\" (must be non-empty and without dots)");
        }
        if (params.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": name \"" + name
                    + "\" is already registered");
        }
    }

    /** The direct child {@code name}, checked to be a {@code type}. */
    protected <M extends Module> M child(String name, Class<M> type) {
        Module m = children.get(name);
        if (m == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no child \"" + name
                    + "\" (children: " + children.keySet() + ")");
        }
        if (!type.isInstance(m)) {
            throw new IllegalStateException(getClass().getSimpleName() + ": child \"" + name + "\" is a "
                    + m.getClass().getSimpleName() + ", expected " + type.getSimpleName());
        }
        return type.cast(m);
    }

    /** The direct parameter {@code name}. */
    protected Tensor param(String name) {
        Tensor p = params.get(name);
        if (p == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no parameter \"" + name
                    + "\" (parameters: " + params.keySet() + ")");
        }
        return p;
    }

    /** This module's own parameters by name (not its children's), live and read-only. */
    Map<String, Tensor> ownParameters() {
        return Collections.unmodifiableMap(params);
    }

    /**
     * Swaps the storage of the direct parameter {@code name} for {@code replacement} of the same shape, keeping
     * its name and place (how {@link FrozenBf16} casts frozen weights). Not for trainable parameters.
     */
    void replaceParameter(String name, Tensor replacement) {
        Tensor old = param(name);
        if (!java.util.Arrays.equals(old.shape(), replacement.shape())) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": parameter \"" + name + "\" is "
                    + java.util.Arrays.toString(old.shape()) + ", its replacement "
                    + java.util.Arrays.toString(replacement.shape()));
        }
        params.put(name, replacement);
    }

    /** The direct parameter {@code name}, or null when it is not registered (an optional bias). */
    protected Tensor paramOrNull(String name) {
        return params.get(name);
    }

    // ---------------------------------------------------------------- traversal

    /**
     * All parameters by dotted name, depth-first in registration order. A tensor registered twice
     * (tied weights) appears once, under its first name, as PyTorch does.
     */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collectParameters("", out, Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private void collectParameters(String prefix, Map<String, Tensor> out, Set<Tensor> seen) {
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            if (seen.add(e.getValue())) {
                out.put(prefix + e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collectParameters(prefix + e.getKey() + ".", out, seen);
        }
    }

    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Parameters that currently require grad: what an optimizer should update. */
    public List<Tensor> trainableParameters() {
        return new ArrayList<>(namedTrainableParameters().values());
    }

    public Map<String, Tensor> namedTrainableParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedParameters().forEach((name, p) -> {
            if (p.requiresGrad()) {
                out.put(name, p);
            }
        });
        return out;
    }

    /** Total number of elements over all (distinct) parameters. */
    public long parameterCount() {
        long n = 0;
        for (Tensor p : parameters()) {
            n += p.numel();
        }
        return n;
    }

    /** This module (under "") and every descendant by dotted path, depth-first in registration order. */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String path, Map<String, Module> out) {
        out.put(path, this);
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collectModules(path.isEmpty() ? e.getKey() : path + "." + e.getKey(), out);
        }
    }

    /** The descendant at {@code dottedPath} ("" is this module); a wrong step is named in the error. */
    public Module module(String dottedPath) {
        if (dottedPath.isEmpty()) {
            return this;
        }
        Module m = this;
        String walked = "";
        for (String step : dottedPath.split("\\.", -1)) {
            Module next = m.children.get(step);
            if (next == null) {
                throw new IllegalArgumentException("no module \"" + dottedPath + "\": "
                        + (walked.isEmpty() ? "the root " : "\"" + walked + "\" (")
                        + m.getClass().getSimpleName() + (walked.isEmpty() ? "" : ")") + " has no child \"" + step
                        + "\" (children: " + m.children.keySet() + ")");
            }
            walked = walked.isEmpty() ? step : walked + "." + step;
            m = next;
        }
        return m;
    }

    /**
     * Replaces the descendant at {@code dottedPath} with {@code replacement} (how adapters wrap a layer)
     * and returns the module that was there. The replacement takes the old one's training mode.
     */
    public Module replaceModule(String dottedPath, Module replacement) {
        if (dottedPath.isEmpty() || replacement == null) {
            throw new IllegalArgumentException("replaceModule: needs a non-empty path and a module, got \""
                    + dottedPath + "\" and " + replacement);
        }
        int cut = dottedPath.lastIndexOf('.');
        Module parent = cut < 0 ? this : module(dottedPath.substring(0, cut));
        String name = dottedPath.substring(cut + 1);
        Module old = parent.children.get(name);
        if (old == null) {
            module(dottedPath); // throws, naming the missing step
        }
        parent.children.put(name, replacement);
        replacement.train(old.training);
        return old;
    }

    // ---------------------------------------------------------------- modes

    /** Sets training mode on this module and all descendants (affects dropout); returns this. */
    public Module train(boolean on) {
        training = on;
        for (Module m : children.values()) {
            m.train(on);
        }
        return this;
    }

    /** Same as {@code train(false)}. */
    public Module eval() {
        return train(false);
    }

    public boolean isTraining() {
        return training;
    }

    /** Stops gradients for every parameter. */
    public void freeze() {
        freeze(name -> true);
    }

    /** Makes every parameter trainable again. */
    public void unfreeze() {
        unfreeze(name -> true);
    }

    /** Freezes the parameters whose dotted name matches; returns how many matched. */
    public int freeze(Predicate<String> name) {
        return setRequiresGrad(name, false);
    }

    /** Unfreezes the parameters whose dotted name matches; returns how many matched. */
    public int unfreeze(Predicate<String> name) {
        return setRequiresGrad(name, true);
    }

    private int setRequiresGrad(Predicate<String> name, boolean on) {
        int matched = 0;
        for (Map.Entry<String, Tensor> e : namedParameters().entrySet()) {
            if (name.test(e.getKey())) {
                e.getValue().requiresGrad(on);
                matched++;
            }
        }
        return matched;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName();
    }
}
