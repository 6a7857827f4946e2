package dev.peft4j.peft.core;

import dev.peft4j.engine.Tensor;

/** One saved adapter tensor: its shape, its values to write, and where loaded values go. */
public interface TensorSlot {

    int[] shape();

    float[] values();

    void load(float[] values);

    /** A slot over a live tensor: saving reads it, loading overwrites it in place. */
    static TensorSlot of(Tensor t) {
        return new TensorSlot() {
            public int[] shape() {
                return t.shape();
            }

            public float[] values() {
                return t.toArray();
            }

            public void load(float[] values) {
                t.copyFrom(values);
            }
        };
    }
}
