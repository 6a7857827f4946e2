package dev.peft4j.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * bfloat16 as the upper 16 bits of a float32: narrowing rounds to nearest even, widening is exact (a shift).
 * Storage only; arithmetic stays float32.
 */
public final class Bf16 {

    static final VectorSpecies<Float> F = GemmMicroKernel.S;
    /** Shorts that widen to one float vector: half its bits. */
    static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(F.vectorBitSize()));
    static final int L = F.length();

    private Bf16() {
    }

    /**
     * The bf16 nearest to {@code f}, ties to even. A NaN stays a NaN (quiet bit set, so dropping low
     * mantissa bits cannot turn it into infinity); values beyond the largest bf16 round to infinity.
     */
    public static short round(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        // Adding 0x7FFF (+1 when the kept lsb is odd) carries into the kept bits exactly when the dropped
        // half is above one half, or equal to it with an odd kept part: round half to even.
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /** The float32 value of bf16 bits {@code b} (exact). */
    public static float widen(short b) {
        return Float.intBitsToFloat(b << 16);
    }

    /** {@code round} of each element of {@code src[off, off + len)}. */
    static short[] round(float[] src, int off, int len) {
        short[] out = new short[len];
        for (int i = 0; i < len; i++) {
            out[i] = round(src[off + i]);
        }
        return out;
    }

    /** {@code dst[d + i] = widen(src[s + i])} for i &lt; n, a vector of L at a time. */
    static void widen(short[] src, int s, float[] dst, int d, int n) {
        int i = 0;
        for (int end = n - L; i <= end; i += L) {
            widenVector(src, s + i).intoArray(dst, d + i);
        }
        for (; i < n; i++) {
            dst[d + i] = widen(src[s + i]);
        }
    }

    /** L bf16 values from {@code src[s ..]} widened to one float vector: sign-extend to int, shift into the top half. */
    static FloatVector widenVector(short[] src, int s) {
        ShortVector h = ShortVector.fromArray(H, src, s);
        IntVector w = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        return w.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
