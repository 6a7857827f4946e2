package dev.peft4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/** The 16×16 register transpose against the index statement of its contract, NaN payloads and all. */
class RegisterTransposeTest {

    private static final int LD = 37; // rows of the source are not 16 apart, so a row-index mix-up shows

    private static float[] source() {
        float[] src = new float[20 * LD];
        for (int i = 0; i < src.length; i++) {
            src[i] = i % 5 == 4 ? Float.intBitsToFloat(0x7fc00000 | i) : i; // distinct NaN payloads survive a move
        }
        return src;
    }

    @Test
    void transposesAFullBlockIntoARowOfPanels() {
        assumeTrue(RegisterTranspose.SUPPORTED, "16-lane vectors only");
        float[] src = source();
        for (int width : new int[] {16, 32}) {
            float[] dst = new float[16 * width + 16];
            RegisterTranspose.block(src, 3, LD, 16, dst, 0, width);
            for (int p = 0; p < 16; p++) {
                for (int r = 0; r < 16; r++) {
                    assertEquals(Float.floatToRawIntBits(src[3 + r * LD + p]),
                            Float.floatToRawIntBits(dst[p * width + r]), "width " + width + ", p " + p + ", row " + r);
                }
            }
        }
    }

    @Test
    void fewerRowsFillTheirLanesAndSpillIntoTheNextPackedRow() {
        assumeTrue(RegisterTranspose.SUPPORTED, "16-lane vectors only");
        float[] src = source();
        int width = 12; // an A panel: 12 rows, each store spills 4 floats that the next store overwrites
        float[] dst = new float[16 * width + 16];
        RegisterTranspose.block(src, 1, LD, 12, dst, 0, width);
        for (int p = 0; p < 16; p++) {
            for (int r = 0; r < 12; r++) {
                assertEquals(Float.floatToRawIntBits(src[1 + r * LD + p]), Float.floatToRawIntBits(dst[p * width + r]),
                        "p " + p + ", row " + r);
            }
        }
        // The last store's spill repeats the last real row (row 11), never a row past the source's rows.
        for (int r = 12; r < 16; r++) {
            assertEquals(Float.floatToRawIntBits(src[1 + 11 * LD + 15]), Float.floatToRawIntBits(dst[15 * width + r]));
        }
    }
}
