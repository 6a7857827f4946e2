package dev.peft4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The 16- and 8-lane register transposes (both, whatever this machine's vectors are) against the index
 * statement of their contract, NaN payloads and all.
 */
class RegisterTransposeTest {

    private static final int LD = 37; // rows of the source are not a block apart, so a row-index mix-up shows

    @FunctionalInterface
    private interface Block {
        void run(float[] src, int s, int ld, int rows, float[] dst, int d, int width);
    }

    private static float[] source() {
        float[] src = new float[20 * LD];
        for (int i = 0; i < src.length; i++) {
            src[i] = i % 5 == 4 ? Float.intBitsToFloat(0x7fc00000 | i) : i; // distinct NaN payloads survive a move
        }
        return src;
    }

    private static void assertTransposed(float[] src, int s, float[] dst, int width, int n, int rows) {
        for (int p = 0; p < n; p++) {
            for (int r = 0; r < rows; r++) {
                assertEquals(Float.floatToRawIntBits(src[s + r * LD + p]), Float.floatToRawIntBits(dst[p * width + r]),
                        n + " lanes, width " + width + ", p " + p + ", row " + r);
            }
        }
    }

    @Test
    void transposesAFullBlockIntoARowOfPanels() {
        float[] src = source();
        for (int width : new int[] {16, 32}) {
            float[] dst = new float[16 * width + 16];
            RegisterTranspose.block16(src, 3, LD, 16, dst, 0, width);
            assertTransposed(src, 3, dst, width, 16, 16);
        }
        for (int width : new int[] {8, 16}) {
            float[] dst = new float[8 * width + 8];
            RegisterTranspose.block8(src, 3, LD, 8, dst, 0, width);
            assertTransposed(src, 3, dst, width, 8, 8);
        }
    }

    @Test
    void fewerRowsFillTheirLanesAndSpillIntoTheNextPackedRow() {
        float[] src = source();
        // An A panel of MR rows narrower than the vector: each store spills into the next packed row.
        check(RegisterTranspose::block16, src, 16, 12);
        check(RegisterTranspose::block8, src, 8, 6);
    }

    private static void check(Block block, float[] src, int n, int rows) {
        float[] dst = new float[n * rows + n];
        block.run(src, 1, LD, rows, dst, 0, rows);
        assertTransposed(src, 1, dst, rows, n, rows);
        // The last store's spill repeats the last real row, never a row past the source's rows.
        for (int r = rows; r < n; r++) {
            assertEquals(Float.floatToRawIntBits(src[1 + (rows - 1) * LD + n - 1]),
                    Float.floatToRawIntBits(dst[(n - 1) * rows + r]), n + " lanes, spill lane " + r);
        }
    }
}
