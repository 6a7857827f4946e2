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
    private static final VectorShuffle<Float>[] FLOAT_FOLDS = folds(FLOATS);
    private static final VectorShuffle<Double>[] DOUBLE_FOLDS = folds(DOUBLES);

    private LaneSums() {
    }

    /** Sum of all lanes: lane i is added to lane i + half, halving until one lane is left. */
    static float sum(FloatVector v) {
        for (VectorShuffle<Float> fold : FLOAT_FOLDS) {
            v = v.add(v.rearrange(fold));
        }
        return v.lane(0);
    }

    static double sum(DoubleVector v) {
        for (VectorShuffle<Double> fold : DOUBLE_FOLDS) {
            v = v.add(v.rearrange(fold));
        }
        return v.lane(0);
    }

    @SuppressWarnings("unchecked")
    private static <E> VectorShuffle<E>[] folds(VectorSpecies<E> species) {
        int steps = Integer.numberOfTrailingZeros(species.length());
        VectorShuffle<E>[] folds = new VectorShuffle[steps];
        for (int s = 0, half = species.length() / 2; s < steps; s++, half /= 2) {
            int h = half;
            folds[s] = VectorShuffle.fromOp(species, i -> (i + h) % species.length());
        }
        return folds;
    }
}
