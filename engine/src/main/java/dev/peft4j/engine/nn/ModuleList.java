package dev.peft4j.engine.nn;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Numbered children ("0", "1", ...), as {@code nn.ModuleList}: gives transformer blocks the names
 * {@code h.0}, {@code h.1} ... that checkpoints use. Lookups go through the registry, so a child
 * replaced by an adapter ({@link Module#replaceModule}) is the one returned.
 */
public class ModuleList extends Module implements Iterable<Module> {

    private int size;

    /** Appends {@code module} under the next index and returns it. */
    public <M extends Module> M add(M module) {
        registerModule(Integer.toString(size), module);
        size++;
        return module;
    }

    /** The child at {@code index}. */
    public Module get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("ModuleList: index " + index + " outside [0, " + size + ")");
        }
        return module(Integer.toString(index));
    }

    /** The child at {@code index}, checked to be a {@code type}. */
    public <M extends Module> M get(int index, Class<M> type) {
        get(index);
        return child(Integer.toString(index), type);
    }

    public int size() {
        return size;
    }

    @Override
    public Iterator<Module> iterator() {
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < size;
            }

            @Override
            public Module next() {
                if (next >= size) {
                    throw new NoSuchElementException();
                }
                return get(next++);
            }
        };
    }
}
