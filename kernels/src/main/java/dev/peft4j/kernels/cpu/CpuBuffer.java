package dev.peft4j.kernels.cpu;

import dev.peft4j.kernels.Buffer;

/** A heap float array: the CPU backend's buffer. Exposed so CPU code and tests can read it directly. */
public record CpuBuffer(float[] array) implements Buffer {

    public CpuBuffer(int length) {
        this(new float[length]);
    }

    @Override
    public int length() {
        return array.length;
    }

    @Override
    public void close() {
        // Heap memory: the garbage collector owns it.
    }
}
