package dev.peft4j.engine.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named int32 tensor held in a host array, row-major (stored as safetensors {@code I32}): index data
 * such as a sparse delta's flat positions, which float32 could not carry exactly above 2^24. The data
 * array is shared, not copied; the shape is copied.
 */
public record HostIntTensor(String name, int[] shape, int[] data) {

    public HostIntTensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        long numel = HostTensor.numel(shape);
        if (numel != data.length) {
            throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape) + " holds "
                    + numel + " elements but the data has " + data.length);
        }
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostIntTensor t && name.equals(t.name) && Arrays.equals(shape, t.shape)
                && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(shape), Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return "HostIntTensor[" + name + " " + Arrays.toString(shape) + "]";
    }
}
