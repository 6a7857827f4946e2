package dev.peft4j.kernels.opencl;

/**
 * A snapshot of the buffer pool. "Held" counts every memory object the pool owns (in use or cached
 * for reuse): it is the device memory this backend occupies, and its high-water mark is what a
 * training loop's steady state should keep flat.
 */
public record OpenClPoolStats(long heldBytes, int heldCount, long inUseBytes, int inUseCount,
                              long highWaterBytes, int highWaterCount, long created, long reused) {
}
