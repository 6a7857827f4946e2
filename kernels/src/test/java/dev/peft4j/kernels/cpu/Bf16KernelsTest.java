package dev.peft4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Unary;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** bf16 storage on the CPU: rounding against a float64 reference, and every consumer against float32 data. */
class Bf16KernelsTest {

    private static final CpuKernels[] BACKENDS = {CpuKernelsTestSupport.DEFAULT, CpuKernelsTestSupport.FORKING};

    /** Round to nearest even by comparing distances to the two bf16 neighbours in float64. */
    private static float referenceRound(float f) {
        if (Float.isNaN(f) || Float.isInfinite(f)) {
            return f;
        }
        int bits = Float.floatToRawIntBits(f);
        int lowBits = bits & 0xFFFF0000; // toward zero
        float lo = Float.intBitsToFloat(lowBits);
        int highBits = lowBits + 0x10000; // one bf16 step away from zero (may reach infinity)
        double hi = (highBits & 0x7FFFFFFF) == 0x7F800000 ? Math.copySign(Math.scalb(1.0, 128), f)
                : Float.intBitsToFloat(highBits);
        double dLo = Math.abs((double) f - lo);
        double dHi = Math.abs(hi - f);
        boolean up = dHi < dLo || (dHi == dLo && ((lowBits >>> 16) & 1) == 1);
        return up ? Float.intBitsToFloat(highBits) : lo;
    }

    private static void assertRounds(float f) {
        float got = Bf16.widen(Bf16.round(f));
        float want = referenceRound(f);
        assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got),
                () -> "round(" + f + " = 0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + ") gave " + got
                        + ", expected " + want);
    }

    @Test
    void roundingIsNearestEvenForNormalsSubnormalsTiesAndInfinities() {
        // Ties: 1 + 2^-8 sits halfway between 1 (even) and 1 + 2^-7; 1 + 3·2^-8 between 1 + 2^-7 and 1 + 2^-6 (even).
        assertEquals(1f, Bf16.widen(Bf16.round(1.00390625f)));
        assertEquals(1.015625f, Bf16.widen(Bf16.round(1.01171875f)));
        assertEquals(-1.015625f, Bf16.widen(Bf16.round(-1.01171875f)));
        assertEquals(1.0078125f, Bf16.widen(Bf16.round(Math.nextUp(1.00390625f)))); // just above the tie rounds up
        assertEquals(Float.POSITIVE_INFINITY, Bf16.widen(Bf16.round(Float.MAX_VALUE)));
        assertEquals(Float.NEGATIVE_INFINITY, Bf16.widen(Bf16.round(Float.NEGATIVE_INFINITY)));
        assertEquals(Float.POSITIVE_INFINITY, Bf16.widen(Bf16.round(Float.POSITIVE_INFINITY)));
        assertEquals(0x8000, Bf16.round(-0f) & 0xFFFF);
        // NaNs stay NaN, including one whose payload lies only in the dropped bits.
        assertTrue(Float.isNaN(Bf16.widen(Bf16.round(Float.NaN))));
        assertTrue(Float.isNaN(Bf16.widen(Bf16.round(Float.intBitsToFloat(0x7F800001)))));
        assertTrue(Float.isNaN(Bf16.widen(Bf16.round(Float.intBitsToFloat(0xFF80FFFF)))));
        float[] special = {Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.intBitsToFloat(0x00008000),
                Float.intBitsToFloat(0x00018000), Float.intBitsToFloat(0x007FFFFF), Float.intBitsToFloat(0x7F7F7FFF),
                Float.intBitsToFloat(0x7F7F8000), Float.intBitsToFloat(0x7F7F8001), 3.14159265f, 65504f, 1e-40f};
        for (float f : special) {
            assertRounds(f);
        }
        Random rnd = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            if (!Float.isNaN(f)) {
                assertRounds(f);
            }
        }
    }

    @Test
    void toBf16ReadAndCopyGiveTheRoundedValues() {
        Random rnd = new Random(1);
        float[] host = CpuKernelsTestSupport.uniform(rnd, 103, -3, 3);
        for (CpuKernels k : BACKENDS) {
            Buffer h = k.toBf16(k.upload(host, 0, host.length), 5, 90);
            assertTrue(h.isBf16());
            assertEquals(90, h.length());
            float[] expected = new float[90];
            for (int i = 0; i < 90; i++) {
                expected[i] = referenceRound(host[5 + i]);
            }
            float[] read = new float[95];
            k.read(h, 0, read, 5, 90);
            assertArrayEquals(expected, java.util.Arrays.copyOfRange(read, 5, 95));
            Buffer f32 = k.allocate(40);
            k.copy(h, 50, f32, 0, 40);
            float[] copied = new float[40];
            k.read(f32, 0, copied, 0, 40);
            assertArrayEquals(java.util.Arrays.copyOfRange(expected, 50, 90), copied);
            assertThrows(IndexOutOfBoundsException.class, () -> k.read(h, 80, new float[20], 0, 20));
            assertThrows(IndexOutOfBoundsException.class, () -> k.toBf16(k.allocate(4), 2, 3));
        }
    }

    /** C from a bf16 B equals C from a float32 B holding the same (rounded) values, bit for bit. */
    private static void assertGemmMatches(CpuKernels k, boolean transA, boolean transB, int m, int n, int k2, int batch,
                                          long seed) {
        Random rnd = new Random(seed);
        int aSize = m * k2;
        int bSize = k2 * n;
        float[] a = CpuKernelsTestSupport.uniform(rnd, aSize * batch, -1, 1);
        float[] b = CpuKernelsTestSupport.uniform(rnd, bSize * batch + 3, -1, 1);
        float[] c0 = CpuKernelsTestSupport.uniform(rnd, m * n * batch, -1, 1);
        float[] rounded = new float[b.length];
        for (int i = 0; i < b.length; i++) {
            rounded[i] = Bf16.widen(Bf16.round(b[i]));
        }
        Buffer bh = k.toBf16(k.upload(b, 0, b.length), 0, b.length);
        int lda = transA ? m : k2;
        int ldb = transB ? k2 : n;
        CpuBuffer want = new CpuBuffer(c0.clone());
        CpuBuffer got = new CpuBuffer(c0.clone());
        k.gemm(transA, transB, m, n, k2, 0.75f, new CpuBuffer(a), 0, lda, aSize, new CpuBuffer(rounded), 3, ldb, bSize,
                0.5f, want, 0, n, (long) m * n, batch);
        k.gemm(transA, transB, m, n, k2, 0.75f, new CpuBuffer(a), 0, lda, aSize, bh, 3, ldb, bSize,
                0.5f, got, 0, n, (long) m * n, batch);
        assertArrayEquals(want.array(), got.array(), "gemm transA=" + transA + " transB=" + transB + " " + m + "x" + n
                + "x" + k2 + " batch " + batch);
    }

    @Test
    void gemmWithBf16BEqualsGemmWithTheRoundedFloatB() {
        int[][] shapes = {{1, 1, 1}, {5, 33, 7}, {37, 45, 300}, {13, 70, 513}, {130, 200, 300}};
        long seed = 0;
        for (CpuKernels k : BACKENDS) {
            for (int[] s : shapes) {
                for (boolean transA : new boolean[] {false, true}) {
                    for (boolean transB : new boolean[] {false, true}) {
                        assertGemmMatches(k, transA, transB, s[0], s[1], s[2], 1, seed++);
                    }
                }
            }
            assertGemmMatches(k, false, true, 9, 40, 20, 3, seed++);
            assertGemmMatches(k, false, false, 9, 40, 20, 3, seed++);
        }
    }

    @Test
    void gemmRejectsAShortBf16B() {
        Buffer bh = CpuKernelsTestSupport.DEFAULT.toBf16(new CpuBuffer(new float[12]), 0, 12);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> CpuKernelsTestSupport.DEFAULT.gemm(false, true, 2, 4, 4, 1f, new CpuBuffer(8), 0, 4, bh, 0, 4,
                        0f, new CpuBuffer(8), 0, 4));
        assertTrue(e.getMessage().contains("'b'"), e.getMessage());
    }

    @Test
    void embeddingGathersWidenedRows() {
        Random rnd = new Random(3);
        int rows = 50;
        int dim = 37;
        float[] table = CpuKernelsTestSupport.uniform(rnd, rows * dim + 2, -2, 2);
        int[] ids = {3, 0, 49, 3, 17, 22, 22, 8};
        for (CpuKernels k : BACKENDS) {
            Buffer th = k.toBf16(new CpuBuffer(table), 0, table.length);
            CpuBuffer out = new CpuBuffer(ids.length * dim + 1);
            k.embedding(th, 2, rows, dim, ids, out, 1);
            for (int i = 0; i < ids.length; i++) {
                for (int c = 0; c < dim; c++) {
                    assertEquals(referenceRound(table[2 + ids[i] * dim + c]), out.array()[1 + i * dim + c]);
                }
            }
            assertThrows(IndexOutOfBoundsException.class,
                    () -> k.embedding(th, 3, rows, dim, ids, new CpuBuffer(ids.length * dim), 0));
        }
    }

    @Test
    void otherKernelsRejectBf16BuffersNamingTheKernel() {
        CpuKernels k = CpuKernelsTestSupport.DEFAULT;
        Buffer h = k.toBf16(new CpuBuffer(new float[16]), 0, 16);
        CpuBuffer f = new CpuBuffer(16);
        IllegalArgumentException unary = assertThrows(IllegalArgumentException.class,
                () -> k.unary(Unary.EXP, h, 0, f, 0, 16));
        assertTrue(unary.getMessage().startsWith("unary EXP") && unary.getMessage().contains("bf16 buffers only feed"),
                unary.getMessage());
        IllegalArgumentException gemmA = assertThrows(IllegalArgumentException.class,
                () -> k.gemm(false, false, 4, 4, 4, 1f, h, 0, 4, f, 0, 4, 0f, new CpuBuffer(16), 0, 4));
        assertTrue(gemmA.getMessage().startsWith("gemm") && gemmA.getMessage().contains("'a' is bf16"),
                gemmA.getMessage());
        IllegalArgumentException gemmC = assertThrows(IllegalArgumentException.class,
                () -> k.gemm(false, false, 4, 4, 4, 1f, f, 0, 4, f, 0, 4, 0f, h, 0, 4));
        assertTrue(gemmC.getMessage().contains("'c' is bf16"), gemmC.getMessage());
        assertThrows(IllegalArgumentException.class, () -> k.write(new float[4], 0, h, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> k.copy(f, 0, h, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> k.fill(h, 0, 4, 1f));
        assertThrows(IllegalArgumentException.class, () -> k.stridedCopy(new int[] {4}, h, 0, new int[] {1}, f, 0));
        assertThrows(IllegalArgumentException.class, () -> k.embeddingBackward(f, 0, new int[] {1}, 4, h, 0));
        assertThrows(IllegalArgumentException.class, () -> k.sumOfSquares(h, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> k.toBf16(h, 0, 4));
    }
}
