package dev.peft4j.kernels;

/**
 * A flat float32 array owned by one {@link Kernels} backend: a heap array on the CPU, a {@code cl_mem}
 * on an OpenCL device. Offsets and lengths are counted in floats. Only the backend that allocated a
 * buffer may compute on it.
 */
public interface Buffer extends AutoCloseable {

    /** Number of floats the buffer holds. */
    int length();

    /**
     * Whether the buffer stores bfloat16 (see {@link Kernels#toBf16}): read-only, it feeds only gemm's B
     * operand, embedding's table and read/copy to float32; {@link #length()} still counts elements.
     */
    default boolean isBf16() {
        return false;
    }

    /**
     * Returns the memory to the backend's pool for a later allocation (device memory on OpenCL, the array of a
     * CPU buffer from {@link Kernels#allocate}); neither the buffer nor anything read from it may be used after.
     */
    @Override
    void close();
}
