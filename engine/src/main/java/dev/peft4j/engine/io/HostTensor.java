package dev.peft4j.engine.io;

import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Kernels;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named float32 tensor held in a host array, row-major: what a safetensors file yields on load
 * and what the writer takes. Plain data, independent of any compute backend. The data array is
 * shared, not copied (tensors can be large); the shape is copied.
 */
public record HostTensor(String name, int[] shape, float[] data) {

    public HostTensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        long numel = numel(shape);
        if (numel != data.length) {
            throw new IllegalArgumentException("tensor " + name + ": shape " + Arrays.toString(shape) + " holds "
                    + numel + " elements but the data has " + data.length);
        }
        shape = shape.clone();
    }

    /** Convenience form with the shape last, e.g. {@code new HostTensor("w", data, 2, 3)}. */
    public HostTensor(String name, float[] data, int... shape) {
        this(name, shape, data);
    }

    /** A host copy of {@code tensor}'s values (any layout), e.g. to save it. */
    public static HostTensor of(String name, Tensor tensor) {
        return new HostTensor(name, tensor.shape(), tensor.toArray());
    }

    /** A new tensor on {@code kernels} holding these values (not requiring grad). */
    public Tensor toTensor(Kernels kernels) {
        return Tensor.of(kernels, data, shape);
    }

    /** Number of elements the shape holds; a negative dimension is an error. */
    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
        }
        return n;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostTensor t && name.equals(t.name) && Arrays.equals(shape, t.shape)
                && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(shape), Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return "HostTensor[" + name + " " + Arrays.toString(shape) + "]";
    }
}
