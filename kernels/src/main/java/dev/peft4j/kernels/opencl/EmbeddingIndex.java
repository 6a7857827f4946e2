package dev.peft4j.kernels.opencl;

import java.util.Arrays;

/**
 * Groups token positions by id on the host (ids are host ints) so the scatter-add kernel can give each
 * touched table row to one work-item per column: deterministic, no atomics.
 */
final class EmbeddingIndex {

    private EmbeddingIndex() {
    }

    /**
     * CSR layout {@code [uniqueIds (U) | starts (U + 1) | positions (n)]}; positions of one id ascend,
     * so additions happen in the order a sequential loop would make them.
     */
    static int[] group(int[] ids) {
        int n = ids.length;
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) keys[i] = ((long) ids[i] << 32) | i; // ids are >= 0: sorts by (id, position)
        Arrays.sort(keys);
        int unique = 0;
        for (int i = 0; i < n; i++) {
            if (i == 0 || (int) (keys[i] >>> 32) != (int) (keys[i - 1] >>> 32)) unique++;
        }
        int[] out = new int[2 * unique + 1 + n];
        int u = 0;
        for (int i = 0; i < n; i++) {
            int id = (int) (keys[i] >>> 32);
            if (i == 0 || id != (int) (keys[i - 1] >>> 32)) {
                out[u] = id;
                out[unique + u] = i;
                u++;
            }
            out[2 * unique + 1 + i] = (int) keys[i];
        }
        out[2 * unique] = n;
        return out;
    }
}
