package dev.peft4j.kernels.cpu;

import dev.peft4j.kernels.Buffer;

/**
 * The CPU backend's bfloat16 storage ({@link dev.peft4j.kernels.Kernels#toBf16}): the raw bits of each element,
 * half the heap of a {@link CpuBuffer}. Read-only by contract: kernels widen it, never write it.
 */
public record Bf16Buffer(short[] bits) implements Buffer {

    /** Number of elements (not bytes, not floats' worth of storage). */
    @Override
    public int length() {
        return bits.length;
    }

    @Override
    public boolean isBf16() {
        return true;
    }

    @Override
    public void close() {
        // Heap memory: the garbage collector owns it.
    }
}
