package dev.peft4j.peft.core;

import dev.peft4j.engine.Tensor;

/** One saved adapter tensor: its shape, its values to write, and where loaded values go. */
public interface TensorSlot {

    int[] shape();

    float[] values();

    void load(float[] values);

    /**
     * Whether the slot holds int32 data (saved as I32), read by {@link #intValues()} and {@link #loadInts};
     * its {@link #values()} are the same numbers as floats (exact below 2^24), for generic comparisons.
     */
    default boolean isInt32() {
        return false;
    }

    /** The int32 values to write, for a slot that {@link #isInt32()}. */
    default int[] intValues() {
        throw new UnsupportedOperationException("not an int32 slot");
    }

    /** Loads int32 values, for a slot that {@link #isInt32()}. */
    default void loadInts(int[] values) {
        throw new UnsupportedOperationException("not an int32 slot");
    }

    /**
     * Whether the file's tensor must have {@link #shape()}; a slot that sizes itself from the file (a sparse
     * delta's entries) returns false and checks what it loads.
     */
    default boolean fixedShape() {
        return true;
    }

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
