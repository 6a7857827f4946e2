package dev.peft4j.peft.merge;

import dev.peft4j.engine.io.HostTensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of one saved model or adapter: tensor name to float32 tensor, in file order, plus a label
 * of where they came from (a file or directory) so that errors about mismatched inputs name it.
 */
public final class StateDict {

    private final String source;
    private final Map<String, HostTensor> tensors;

    public StateDict(String source, Collection<HostTensor> tensors) {
        this.source = source;
        Map<String, HostTensor> byName = new LinkedHashMap<>();
        for (HostTensor t : tensors) {
            if (byName.put(t.name(), t) != null) {
                throw new IllegalArgumentException(source + ": tensor \"" + t.name() + "\" appears twice");
            }
        }
        this.tensors = Collections.unmodifiableMap(byName);
    }

    public StateDict(String source, Map<String, HostTensor> tensors) {
        this(source, tensors.values());
    }

    /** Where these weights came from (or what made them), for messages. */
    public String source() {
        return source;
    }

    /** Tensor names in order. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    public Collection<HostTensor> tensors() {
        return tensors.values();
    }

    public int size() {
        return tensors.size();
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor called {@code name}; a missing name is an error naming the source. */
    public HostTensor get(String name) {
        HostTensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(source + " has no tensor \"" + name + "\"");
        }
        return t;
    }

    /** Total number of scalar values. */
    public long parameterCount() {
        long n = 0;
        for (HostTensor t : tensors.values()) {
            n += t.data().length;
        }
        return n;
    }

    /** The same tensors under another label. */
    public StateDict withSource(String newSource) {
        return new StateDict(newSource, tensors.values());
    }

    /**
     * Checks that every input holds exactly the same tensor names with the same shapes; the first input is the
     * reference. A difference is an error naming the tensor, both shapes and both sources.
     */
    public static void requireSameLayout(List<StateDict> inputs) {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("no state dicts given");
        }
        StateDict reference = inputs.get(0);
        for (StateDict other : inputs.subList(1, inputs.size())) {
            List<String> missing = new ArrayList<>();
            for (String name : reference.tensors.keySet()) {
                HostTensor mine = reference.tensors.get(name);
                HostTensor theirs = other.tensors.get(name);
                if (theirs == null) {
                    missing.add(name);
                } else if (!Arrays.equals(mine.shape(), theirs.shape())) {
                    throw new IllegalArgumentException("tensor \"" + name + "\" has shape "
                            + Arrays.toString(mine.shape()) + " in " + reference.source + " but "
                            + Arrays.toString(theirs.shape()) + " in " + other.source);
                }
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException(other.source + " lacks " + missing.size() + " tensor(s) that "
                        + reference.source + " has: " + abbreviate(missing));
            }
            if (other.size() != reference.size()) {
                List<String> extra = new ArrayList<>(other.tensors.keySet());
                extra.removeAll(reference.tensors.keySet());
                throw new IllegalArgumentException(other.source + " has " + extra.size() + " tensor(s) that "
                        + reference.source + " lacks: " + abbreviate(extra));
            }
        }
    }

    private static String abbreviate(List<String> names) {
        return names.size() <= 6 ? names.toString() : names.subList(0, 6) + " and " + (names.size() - 6) + " more";
    }

    @Override
    public String toString() {
        return "StateDict[" + source + ", " + tensors.size() + " tensors]";
    }
}
