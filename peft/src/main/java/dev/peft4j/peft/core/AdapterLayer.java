package dev.peft4j.peft.core;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Module;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A module that wraps a base layer (registered as {@code base_layer}, HF's name) and adds one or more
 * named adapters to its output. At most one adapter is active; a disabled layer computes the base layer
 * alone. Implementations are {@link Module}s that replace the base layer in the model tree.
 */
public interface AdapterLayer {

    /** The wrapped layer, as it was before adaptation (its weights change only while merged). */
    Module baseLayer();

    Set<String> adapters();

    /** Adds adapter {@code name} with {@code config}'s shapes and initialisation. */
    void addAdapter(String name, AdapterConfig config, InjectionContext context);

    /** Removes adapter {@code name} (it must not be merged). */
    void deleteAdapter(String name);

    /** Makes {@code name} the adapter the forward applies; null applies none. */
    void setActive(String name);

    /** Enables or disables every adapter (disabled: the base layer's output alone). */
    void setEnabled(boolean on);

    /** The tensors an optimizer trains for {@code adapter} (e.g. LoRA A and B, or only B). */
    List<Tensor> trainableTensors(String adapter);

    /**
     * The tensors saved for {@code adapter}, keyed by their name after this layer's HF path in
     * {@code adapter_model.safetensors} (e.g. {@code lora_A.weight}); live tensors, so loading copies into them.
     */
    Map<String, Tensor> savedTensors(String adapter);

    /**
     * What is saved for {@code adapter}, by name after the layer's path: by default the float tensors of
     * {@link #savedTensors}; a layer with int32 data (sparse indices) or self-sized tensors overrides it.
     */
    default Map<String, TensorSlot> savedSlots(String adapter) {
        Map<String, TensorSlot> out = new java.util.LinkedHashMap<>();
        savedTensors(adapter).forEach((name, t) -> out.put(name, TensorSlot.of(t)));
        return out;
    }

    /** Folds {@code adapter} into the base weight. */
    void merge(String adapter);

    /** Takes every merged adapter back out of the base weight, last merged first. */
    void unmerge();

    List<String> mergedAdapters();

    /**
     * Undoes what adapters wrote into the base weight outside merge (PiSSA's residual, Chain of LoRA's
     * folded links), so {@link #baseLayer()} holds the original weights again; called on unload.
     */
    default void restoreBase() {
    }
}
