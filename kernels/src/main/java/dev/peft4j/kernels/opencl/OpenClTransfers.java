package dev.peft4j.kernels.opencl;

/**
 * Host↔device traffic of one backend since it was created: float uploads (weights, {@code write}),
 * integer uploads (token ids, targets, index lists: model inputs) and device-to-host reads. Lets tests
 * and benchmarks prove that a training step stays on the device apart from its inputs and the loss.
 */
public record OpenClTransfers(long floatUploads, long floatUploadBytes, long intUploads, long intUploadBytes,
                              long downloads, long downloadBytes) {

    /** Uploads of either kind. */
    public long uploads() {
        return floatUploads + intUploads;
    }

    /** The traffic between an earlier snapshot and this one. */
    public OpenClTransfers since(OpenClTransfers before) {
        return new OpenClTransfers(floatUploads - before.floatUploads, floatUploadBytes - before.floatUploadBytes,
                intUploads - before.intUploads, intUploadBytes - before.intUploadBytes,
                downloads - before.downloads, downloadBytes - before.downloadBytes);
    }

    @Override
    public String toString() {
        return floatUploads + " float uploads (" + floatUploadBytes + " B), " + intUploads + " int uploads ("
                + intUploadBytes + " B), " + downloads + " downloads (" + downloadBytes + " B)";
    }
}
