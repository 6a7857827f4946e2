package dev.peft4j.engine.io;

import java.util.Arrays;

/**
 * One tensor as the header describes it, before its bytes are read. {@code begin}/{@code end} are byte
 * offsets relative to the start of the data region (just after the header), as in the format.
 */
public record SafetensorsEntry(String name, SafetensorsDtype dtype, int[] shape, long begin, long end) {

    public SafetensorsEntry {
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Number of elements. */
    public long numel() {
        return HostTensor.numel(shape);
    }

    /** Size of the tensor's bytes in the file. */
    public long byteLength() {
        return end - begin;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
