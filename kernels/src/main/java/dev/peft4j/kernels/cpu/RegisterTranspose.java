package dev.peft4j.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Square float transposes in registers, for packing a GEMM operand whose rows must become packed columns
 * ({@link GemmPack}): one block is as many rows and columns as a vector has lanes (16 with AVX-512, 8 with
 * AVX2), loaded as rows, transposed by rounds of two-table permutes ({@code vpermt2ps}) and stored as columns.
 * Round {@code h} (8, 4, 2, 1) exchanges bit h of the row index with bit h of the lane index, so after the
 * rounds lane l of vector r holds element (l, r). It replaces one gather per packed vector, which on AMD Zen 4
 * costs several times what a permute does (packing a transposed B, 16 lanes: 0.42-0.45 ns per float with
 * gathers, 0.14-0.26 with these transposes; 8 lanes, {@code -XX:MaxVectorSize=32}: 0.54-0.59 against 0.21-0.24).
 * The permute indices are int vectors: with float ones C2 converts the indices on every permute, which halved
 * the transpose's speed.
 *
 * <p>{@link #block16} and {@link #block8} are written out for their lane counts (each permute's operands in
 * registers); {@link #block} picks the one of the preferred species, and other widths keep the gather loop.
 */
final class RegisterTranspose {

    /** Rows and columns of one block: the lanes of the GEMM's float vector. */
    static final int N = GemmMicroKernel.L;
    /** Whether {@link #block} handles vectors of {@link #N} lanes. */
    static final boolean SUPPORTED = N == 16 || N == 8;

    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;

    // LOh_n / HIh_n: round h of an n-lane block. Lane l of lo takes a[l] where bit h of l is clear, b[l - h]
    // where it is set; lane l of hi takes a[l + h] and b[l].
    private static final IntVector LO8_16 = index(IntVector.SPECIES_512, 8, false);
    private static final IntVector HI8_16 = index(IntVector.SPECIES_512, 8, true);
    private static final IntVector LO4_16 = index(IntVector.SPECIES_512, 4, false);
    private static final IntVector HI4_16 = index(IntVector.SPECIES_512, 4, true);
    private static final IntVector LO2_16 = index(IntVector.SPECIES_512, 2, false);
    private static final IntVector HI2_16 = index(IntVector.SPECIES_512, 2, true);
    private static final IntVector LO1_16 = index(IntVector.SPECIES_512, 1, false);
    private static final IntVector HI1_16 = index(IntVector.SPECIES_512, 1, true);
    private static final IntVector LO4_8 = index(IntVector.SPECIES_256, 4, false);
    private static final IntVector HI4_8 = index(IntVector.SPECIES_256, 4, true);
    private static final IntVector LO2_8 = index(IntVector.SPECIES_256, 2, false);
    private static final IntVector HI2_8 = index(IntVector.SPECIES_256, 2, true);
    private static final IntVector LO1_8 = index(IntVector.SPECIES_256, 1, false);
    private static final IntVector HI1_8 = index(IntVector.SPECIES_256, 1, true);

    private RegisterTranspose() {
    }

    private static IntVector index(VectorSpecies<Integer> species, int h, boolean hi) {
        int n = species.length();
        int[] idx = new int[n];
        for (int l = 0; l < n; l++) {
            boolean upper = (l & h) != 0;
            idx[l] = hi ? (upper ? n + l : l + h) : (upper ? n + l - h : l);
        }
        return IntVector.fromArray(species, idx, 0);
    }

    /**
     * {@code dst[d + p·width + r] = src[s + r·ld + p]} for p, r &lt; {@link #N}, where source rows from
     * {@code rows} on repeat the last row (lanes the caller leaves unused: a clamped row index keeps every load
     * unconditional). Each store writes N floats, so with width &lt; N a store spills past its packed row into
     * the next one, which the following store overwrites (stores go in increasing p); the last spills N − width
     * floats past the block, for the caller to overwrite or leave in slack.
     */
    static void block(float[] src, int s, int ld, int rows, float[] dst, int d, int width) {
        if (N == 16) {
            block16(src, s, ld, rows, dst, d, width);
        } else {
            block8(src, s, ld, rows, dst, d, width);
        }
    }

    /** {@link #block} for 16 lanes: four rounds of sixteen permutes. */
    static void block16(float[] src, int s, int ld, int rows, float[] dst, int d, int width) {
        IntVector r0 = load16(src, s, ld, 0, rows);
        IntVector r1 = load16(src, s, ld, 1, rows);
        IntVector r2 = load16(src, s, ld, 2, rows);
        IntVector r3 = load16(src, s, ld, 3, rows);
        IntVector r4 = load16(src, s, ld, 4, rows);
        IntVector r5 = load16(src, s, ld, 5, rows);
        IntVector r6 = load16(src, s, ld, 6, rows);
        IntVector r7 = load16(src, s, ld, 7, rows);
        IntVector r8 = load16(src, s, ld, 8, rows);
        IntVector r9 = load16(src, s, ld, 9, rows);
        IntVector r10 = load16(src, s, ld, 10, rows);
        IntVector r11 = load16(src, s, ld, 11, rows);
        IntVector r12 = load16(src, s, ld, 12, rows);
        IntVector r13 = load16(src, s, ld, 13, rows);
        IntVector r14 = load16(src, s, ld, 14, rows);
        IntVector r15 = load16(src, s, ld, 15, rows);
        // h = 8: pairs (r, r + 8)
        IntVector a0 = LO8_16.selectFrom(r0, r8), a8 = HI8_16.selectFrom(r0, r8);
        IntVector a1 = LO8_16.selectFrom(r1, r9), a9 = HI8_16.selectFrom(r1, r9);
        IntVector a2 = LO8_16.selectFrom(r2, r10), a10 = HI8_16.selectFrom(r2, r10);
        IntVector a3 = LO8_16.selectFrom(r3, r11), a11 = HI8_16.selectFrom(r3, r11);
        IntVector a4 = LO8_16.selectFrom(r4, r12), a12 = HI8_16.selectFrom(r4, r12);
        IntVector a5 = LO8_16.selectFrom(r5, r13), a13 = HI8_16.selectFrom(r5, r13);
        IntVector a6 = LO8_16.selectFrom(r6, r14), a14 = HI8_16.selectFrom(r6, r14);
        IntVector a7 = LO8_16.selectFrom(r7, r15), a15 = HI8_16.selectFrom(r7, r15);
        // h = 4: pairs (r, r + 4) inside each half
        IntVector b0 = LO4_16.selectFrom(a0, a4), b4 = HI4_16.selectFrom(a0, a4);
        IntVector b1 = LO4_16.selectFrom(a1, a5), b5 = HI4_16.selectFrom(a1, a5);
        IntVector b2 = LO4_16.selectFrom(a2, a6), b6 = HI4_16.selectFrom(a2, a6);
        IntVector b3 = LO4_16.selectFrom(a3, a7), b7 = HI4_16.selectFrom(a3, a7);
        IntVector b8 = LO4_16.selectFrom(a8, a12), b12 = HI4_16.selectFrom(a8, a12);
        IntVector b9 = LO4_16.selectFrom(a9, a13), b13 = HI4_16.selectFrom(a9, a13);
        IntVector b10 = LO4_16.selectFrom(a10, a14), b14 = HI4_16.selectFrom(a10, a14);
        IntVector b11 = LO4_16.selectFrom(a11, a15), b15 = HI4_16.selectFrom(a11, a15);
        // h = 2
        IntVector c0 = LO2_16.selectFrom(b0, b2), c2 = HI2_16.selectFrom(b0, b2);
        IntVector c1 = LO2_16.selectFrom(b1, b3), c3 = HI2_16.selectFrom(b1, b3);
        IntVector c4 = LO2_16.selectFrom(b4, b6), c6 = HI2_16.selectFrom(b4, b6);
        IntVector c5 = LO2_16.selectFrom(b5, b7), c7 = HI2_16.selectFrom(b5, b7);
        IntVector c8 = LO2_16.selectFrom(b8, b10), c10 = HI2_16.selectFrom(b8, b10);
        IntVector c9 = LO2_16.selectFrom(b9, b11), c11 = HI2_16.selectFrom(b9, b11);
        IntVector c12 = LO2_16.selectFrom(b12, b14), c14 = HI2_16.selectFrom(b12, b14);
        IntVector c13 = LO2_16.selectFrom(b13, b15), c15 = HI2_16.selectFrom(b13, b15);
        // h = 1, stored as they come: vector p holds column p
        LO1_16.selectFrom(c0, c1).reinterpretAsFloats().intoArray(dst, d);
        HI1_16.selectFrom(c0, c1).reinterpretAsFloats().intoArray(dst, d + width);
        LO1_16.selectFrom(c2, c3).reinterpretAsFloats().intoArray(dst, d + 2 * width);
        HI1_16.selectFrom(c2, c3).reinterpretAsFloats().intoArray(dst, d + 3 * width);
        LO1_16.selectFrom(c4, c5).reinterpretAsFloats().intoArray(dst, d + 4 * width);
        HI1_16.selectFrom(c4, c5).reinterpretAsFloats().intoArray(dst, d + 5 * width);
        LO1_16.selectFrom(c6, c7).reinterpretAsFloats().intoArray(dst, d + 6 * width);
        HI1_16.selectFrom(c6, c7).reinterpretAsFloats().intoArray(dst, d + 7 * width);
        LO1_16.selectFrom(c8, c9).reinterpretAsFloats().intoArray(dst, d + 8 * width);
        HI1_16.selectFrom(c8, c9).reinterpretAsFloats().intoArray(dst, d + 9 * width);
        LO1_16.selectFrom(c10, c11).reinterpretAsFloats().intoArray(dst, d + 10 * width);
        HI1_16.selectFrom(c10, c11).reinterpretAsFloats().intoArray(dst, d + 11 * width);
        LO1_16.selectFrom(c12, c13).reinterpretAsFloats().intoArray(dst, d + 12 * width);
        HI1_16.selectFrom(c12, c13).reinterpretAsFloats().intoArray(dst, d + 13 * width);
        LO1_16.selectFrom(c14, c15).reinterpretAsFloats().intoArray(dst, d + 14 * width);
        HI1_16.selectFrom(c14, c15).reinterpretAsFloats().intoArray(dst, d + 15 * width);
    }

    /** {@link #block} for 8 lanes: three rounds of eight permutes. */
    static void block8(float[] src, int s, int ld, int rows, float[] dst, int d, int width) {
        IntVector r0 = load8(src, s, ld, 0, rows);
        IntVector r1 = load8(src, s, ld, 1, rows);
        IntVector r2 = load8(src, s, ld, 2, rows);
        IntVector r3 = load8(src, s, ld, 3, rows);
        IntVector r4 = load8(src, s, ld, 4, rows);
        IntVector r5 = load8(src, s, ld, 5, rows);
        IntVector r6 = load8(src, s, ld, 6, rows);
        IntVector r7 = load8(src, s, ld, 7, rows);
        // h = 4: pairs (r, r + 4)
        IntVector a0 = LO4_8.selectFrom(r0, r4), a4 = HI4_8.selectFrom(r0, r4);
        IntVector a1 = LO4_8.selectFrom(r1, r5), a5 = HI4_8.selectFrom(r1, r5);
        IntVector a2 = LO4_8.selectFrom(r2, r6), a6 = HI4_8.selectFrom(r2, r6);
        IntVector a3 = LO4_8.selectFrom(r3, r7), a7 = HI4_8.selectFrom(r3, r7);
        // h = 2
        IntVector b0 = LO2_8.selectFrom(a0, a2), b2 = HI2_8.selectFrom(a0, a2);
        IntVector b1 = LO2_8.selectFrom(a1, a3), b3 = HI2_8.selectFrom(a1, a3);
        IntVector b4 = LO2_8.selectFrom(a4, a6), b6 = HI2_8.selectFrom(a4, a6);
        IntVector b5 = LO2_8.selectFrom(a5, a7), b7 = HI2_8.selectFrom(a5, a7);
        // h = 1, stored as they come: vector p holds column p
        LO1_8.selectFrom(b0, b1).reinterpretAsFloats().intoArray(dst, d);
        HI1_8.selectFrom(b0, b1).reinterpretAsFloats().intoArray(dst, d + width);
        LO1_8.selectFrom(b2, b3).reinterpretAsFloats().intoArray(dst, d + 2 * width);
        HI1_8.selectFrom(b2, b3).reinterpretAsFloats().intoArray(dst, d + 3 * width);
        LO1_8.selectFrom(b4, b5).reinterpretAsFloats().intoArray(dst, d + 4 * width);
        HI1_8.selectFrom(b4, b5).reinterpretAsFloats().intoArray(dst, d + 5 * width);
        LO1_8.selectFrom(b6, b7).reinterpretAsFloats().intoArray(dst, d + 6 * width);
        HI1_8.selectFrom(b6, b7).reinterpretAsFloats().intoArray(dst, d + 7 * width);
    }

    private static IntVector load16(float[] src, int s, int ld, int r, int rows) {
        return FloatVector.fromArray(F16, src, s + Math.min(r, rows - 1) * ld).reinterpretAsInts();
    }

    private static IntVector load8(float[] src, int s, int ld, int r, int rows) {
        return FloatVector.fromArray(F8, src, s + Math.min(r, rows - 1) * ld).reinterpretAsInts();
    }
}
