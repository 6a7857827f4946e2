package dev.peft4j.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LaneSumsTest {

    /** The scalar statement of the documented order: fold lane i + half onto lane i, halving. */
    private static float pairwise(float[] lanes) {
        float[] v = lanes.clone();
        for (int half = v.length / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) {
                v[i] += v[i + half];
            }
        }
        return v[0];
    }

    @Test
    void sumsInTheDocumentedPairwiseOrderBitForBit() {
        Random random = new Random(7);
        int lanes = UnaryMath.SPECIES.length();
        for (int trial = 0; trial < 1000; trial++) {
            float[] x = new float[lanes];
            for (int i = 0; i < lanes; i++) {
                // Mixed magnitudes make every summation order round differently.
                x[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(8) - 4));
            }
            float expected = pairwise(x);
            assertEquals(Float.floatToIntBits(expected),
                    Float.floatToIntBits(LaneSums.sum(FloatVector.fromArray(UnaryMath.SPECIES, x, 0))),
                    "trial " + trial);
            // The stored form, at an offset inside a larger scratch, folds in place to the same bits.
            float[] scratch = new float[lanes + 3];
            System.arraycopy(x, 0, scratch, 3, lanes);
            assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(LaneSums.sumStored(scratch, 3, lanes)),
                    "stored, trial " + trial);
        }
    }
}
