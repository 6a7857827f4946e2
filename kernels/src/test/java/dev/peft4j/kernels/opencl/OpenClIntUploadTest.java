package dev.peft4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.peft4j.kernels.Buffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Integer inputs are uploaded without blocking: the caller may overwrite its array as soon as the call
 * returns, and more calls than {@link IntStaging#MAX_PENDING} in a row (which makes the backend wait once)
 * still see their own ids.
 */
class OpenClIntUploadTest {

    @Test
    void eachGatherSeesTheIdsOfItsOwnCallThoughTheArrayIsReused() {
        OpenClKernels cl = OpenClTestBackend.get();
        int rows = 50;
        int dim = 3;
        int calls = IntStaging.MAX_PENDING + 40;
        float[] table = BackendPair.random(new Random(2), rows * dim);
        Random rnd = new Random(8);
        int[] ids = new int[4];
        int[][] used = new int[calls][];
        try (Buffer t = cl.upload(table, 0, table.length); Buffer out = cl.allocate(calls * ids.length * dim)) {
            OpenClTransfers before = cl.transfers();
            for (int c = 0; c < calls; c++) {
                for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(rows); // overwrites the previous call's ids
                used[c] = ids.clone();
                cl.embedding(t, 0, rows, dim, ids, out, c * ids.length * dim);
            }
            assertEquals(calls, cl.transfers().since(before).intUploads());
            float[] got = new float[calls * ids.length * dim];
            cl.read(out, 0, got, 0, got.length);
            float[] expected = new float[got.length];
            for (int c = 0; c < calls; c++) {
                for (int i = 0; i < ids.length; i++) {
                    System.arraycopy(table, used[c][i] * dim, expected, (c * ids.length + i) * dim, dim);
                }
            }
            assertArrayEquals(expected, got);
        }
    }
}
