package dev.peft4j.peft.core;

import dev.peft4j.engine.nn.Module;

/**
 * A child module keyed by adapter name ({@link ModuleDict}, {@link ParamDict}). Modules cannot unregister
 * a child, so removing an adapter builds a new dict for the owner to swap in with {@link Module#replaceModule}.
 */
public interface AdapterDict {

    boolean contains(String adapter);

    /** A copy without {@code adapter}. */
    Module without(String adapter);
}
