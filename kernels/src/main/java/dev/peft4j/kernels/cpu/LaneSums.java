package dev.peft4j.kernels.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Horizontal sums in one fixed pairwise order. {@code reduceLanes(ADD)} leaves its order unspecified,
 * and the interpreter and the C2 intrinsic do use different orders, so the same call could round
 * differently before and after JIT compilation — enough to break bit-identical resumed training.
 */
final class LaneSums {

    // The CPU kernels' species; the double one has the same shape (float -> double lane conversions).
    private static final VectorSpecies<Float> FLOATS = UnaryMath.SPECIES;
    private static final VectorSpecies<Double> DOUBLES = VectorSpecies.of(double.class, FLOATS.vectorShape());
    // One constant per fold, not an array walked in a loop: C2 turns a rearrange by a constant shuffle into one
    // permute, but one by a shuffle loaded from an array it left boxed (~35 MB/s of garbage in a training step).
    private static final int FLOAT_STEPS = Integer.numberOfTrailingZeros(FLOATS.length());
    private static final VectorShuffle<Float> FF0 = fold(FLOATS, 0);
    private static final VectorShuffle<Float> FF1 = fold(FLOATS, 1);
    private static final VectorShuffle<Float> FF2 = fold(FLOATS, 2);
    private static final VectorShuffle<Float> FF3 = fold(FLOATS, 3);
    private static final int DOUBLE_STEPS = Integer.numberOfTrailingZeros(DOUBLES.length());
    private static final VectorShuffle<Double> DF0 = fold(DOUBLES, 0);
    private static final VectorShuffle<Double> DF1 = fold(DOUBLES, 1);
    private static final VectorShuffle<Double> DF2 = fold(DOUBLES, 2);

    private LaneSums() {
    }

    /** Sum of all lanes: lane i is added to lane i + half, halving until one lane is left. */
    static float sum(FloatVector v) {
        if (FLOAT_STEPS > 4) {
            throw new IllegalStateException("LaneSums: " + FLOATS.length() + " float lanes (at most 16 supported)");
        }
        if (FLOAT_STEPS > 0) {
            v = v.add(v.rearrange(FF0));
        }
        if (FLOAT_STEPS > 1) {
            v = v.add(v.rearrange(FF1));
        }
        if (FLOAT_STEPS > 2) {
            v = v.add(v.rearrange(FF2));
        }
        if (FLOAT_STEPS > 3) {
            v = v.add(v.rearrange(FF3));
        }
        return v.lane(0);
    }

    /**
     * {@link #sum(FloatVector)} of a vector stored at {@code x[off .. off + lanes)} (lanes a power of two), in the
     * same order, folding in place. For kernels holding many accumulators: C2 leaves the vector version
     * un-inlined in a large method, and every call with a vector argument then boxes it (SkinnyGemm's dot
     * path boxed sixteen vectors per pair of rows).
     */
    static float sumStored(float[] x, int off, int lanes) {
        for (int half = lanes >> 1; half > 0; half >>= 1) {
            for (int i = off; i < off + half; i++) {
                x[i] += x[i + half];
            }
        }
        return x[off];
    }

    static double sum(DoubleVector v) {
        if (DOUBLE_STEPS > 3) {
            throw new IllegalStateException("LaneSums: " + DOUBLES.length() + " double lanes (at most 8 supported)");
        }
        if (DOUBLE_STEPS > 0) {
            v = v.add(v.rearrange(DF0));
        }
        if (DOUBLE_STEPS > 1) {
            v = v.add(v.rearrange(DF1));
        }
        if (DOUBLE_STEPS > 2) {
            v = v.add(v.rearrange(DF2));
        }
        return v.lane(0);
    }

    /** Fold {@code step}: lane i takes lane (i + half) with half = lanes / 2^(step+1); identity past the last fold. */
    private static <E> VectorShuffle<E> fold(VectorSpecies<E> species, int step) {
        int half = species.length() >> (step + 1);
        return VectorShuffle.fromOp(species, i -> half == 0 ? i : (i + half) % species.length());
    }
}
