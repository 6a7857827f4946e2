package dev.peft4j.peft.sparse;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Module;

import java.util.List;
import java.util.function.Function;

/**
 * The few-shot data a data-dependent selector (gradient, Fisher, salient channels) runs the model on:
 * the model whose modules are the targets, and each batch's scalar loss computed by a forward pass
 * through it. The selector decides what is differentiated and calls backward itself; a loss must be
 * computed afresh on every call (the selector may change which weights require grad in between).
 */
public interface SelectionData {

    /** The model the targets belong to (modules are looked up in it by their paths). */
    Module model();

    /** Batches in one pass over the data. */
    int batches();

    /** The scalar loss of batch {@code index} in [0, {@link #batches()}), by a forward pass of {@link #model()}. */
    Tensor loss(int index);

    /** Data over a list of batches of any type and a loss function for one. */
    static <B> SelectionData of(Module model, List<B> batches, Function<B, Tensor> loss) {
        List<B> fixed = List.copyOf(batches);
        if (fixed.isEmpty()) {
            throw new IllegalArgumentException("selection data: no batches");
        }
        return new SelectionData() {
            public Module model() {
                return model;
            }

            public int batches() {
                return fixed.size();
            }

            public Tensor loss(int index) {
                return loss.apply(fixed.get(index));
            }
        };
    }
}
