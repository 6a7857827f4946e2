package dev.peft4j.kernels.opencl;

/** Device memory ran out (CL_MEM_OBJECT_ALLOCATION_FAILURE / CL_OUT_OF_RESOURCES or over the device limits). */
public final class OpenClOutOfMemoryException extends OpenClException {

    private final long requestedBytes;

    OpenClOutOfMemoryException(String deviceName, long requestedBytes, long globalMemBytes, long maxAllocBytes,
                               long pooledBytes, String detail, Throwable cause) {
        super(String.format("out of OpenCL device memory on %s: requested %s (%d bytes); device global memory %s,"
                        + " max single allocation %s, this backend holds %s; %s",
                deviceName, human(requestedBytes), requestedBytes, human(globalMemBytes), human(maxAllocBytes),
                human(pooledBytes), detail), cause);
        this.requestedBytes = requestedBytes;
    }

    /** Bytes of the allocation that failed. */
    public long requestedBytes() {
        return requestedBytes;
    }

    static String human(long bytes) {
        if (bytes >= 1L << 30) return String.format("%.2f GiB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format("%.1f MiB", bytes / (double) (1L << 20));
        if (bytes >= 1L << 10) return String.format("%.1f KiB", bytes / (double) (1L << 10));
        return bytes + " B";
    }
}
