package dev.peft4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GemmTimesTest {

    @Test
    void labelsNameShapeTransposesBatchAndWhatWasFused() {
        assertEquals("512x2304x768 A·B +epilogue", GemmTimes.label(false, false, 512, 2304, 768, 1, true, false));
        assertEquals("8x768x512 Aᵀ·B +=C", GemmTimes.label(true, false, 8, 768, 512, 1, false, true));
        assertEquals("64x64x64 A·Bᵀ batch 48", GemmTimes.label(false, true, 64, 64, 64, 48, false, false));
    }

    @Test
    void tableSumsCallsPerLabelAndRatesThemMostTimeFirst() {
        GemmTimes t = new GemmTimes();
        t.add("small", 1_000_000, 1_000_000); // 1 ms, 2 MFLOP: 2 GFLOP/s
        t.add("big", 3_000_000, 150_000_000);
        t.add("big", 1_000_000, 50_000_000); // 4 ms, 400 MFLOP: 100 GFLOP/s
        String[] lines = t.table().split("\n");
        assertEquals(3, lines.length);
        assertTrue(lines[1].matches("\\s+big\\s+4\\.0\\s+2\\s+2\\.000\\s+100\\.0"), lines[1]);
        assertTrue(lines[2].matches("\\s+small\\s+1\\.0\\s+1\\s+1\\.000\\s+2\\.0"), lines[2]);
        t.clear();
        assertEquals(1, t.table().split("\n").length);
    }
}
