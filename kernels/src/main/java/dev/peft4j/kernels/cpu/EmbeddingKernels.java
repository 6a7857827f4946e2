package dev.peft4j.kernels.cpu;

/**
 * Embedding gather and its scatter-add backward. The backward splits the embedding dimension across
 * threads and walks the ids in order inside each slice, so repeated ids add up in a fixed order with no
 * two threads touching one float.
 */
final class EmbeddingKernels {

    private final Parallel parallel;

    EmbeddingKernels(Parallel parallel) {
        this.parallel = parallel;
    }

    /** Ids were validated against the table. */
    void embedding(float[] table, int tableOff, int dim, int[] ids, float[] out, int outOff) {
        parallel.forRange(ids.length, dim, (from, to) -> {
            for (int i = from; i < to; i++) {
                System.arraycopy(table, tableOff + ids[i] * dim, out, outOff + i * dim, dim);
            }
        });
    }

    /** From a bf16 table, each row widened as it is copied; ids were validated against the table. */
    void embedding(short[] table, int tableOff, int dim, int[] ids, float[] out, int outOff) {
        parallel.forRange(ids.length, dim, (from, to) -> {
            for (int i = from; i < to; i++) {
                Bf16.widen(table, tableOff + ids[i] * dim, out, outOff + i * dim, dim);
            }
        });
    }

    /** Ids were validated against the table. */
    void embeddingBackward(float[] dOut, int dOutOff, int[] ids, int dim, float[] dTable, int dTableOff) {
        parallel.forRange(dim, ids.length, (c0, c1) -> {
            for (int i = 0; i < ids.length; i++) {
                Elementwise.axpyRange(1f, dOut, dOutOff + i * dim + c0, dTable, dTableOff + ids[i] * dim + c0, c1 - c0);
            }
        });
    }
}
