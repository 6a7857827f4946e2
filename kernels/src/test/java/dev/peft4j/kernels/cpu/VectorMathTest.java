package dev.peft4j.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VectorMathTest {

    private static final int LANES = UnaryMath.SPECIES.length();

    private static float[] apply(UnaryOperator<FloatVector> f, float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += LANES) {
            f.apply(FloatVector.fromArray(UnaryMath.SPECIES, x, i)).intoArray(y, i);
        }
        return y;
    }

    /** Worst error in units of the float spacing at the exact (double) result. */
    private static double worstUlps(UnaryOperator<FloatVector> f, DoubleUnaryOperator exact, float lo, float hi) {
        Random random = new Random(3);
        float[] x = new float[LANES * 4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = lo + (hi - lo) * random.nextFloat();
        }
        float[] y = apply(f, x);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double e = exact.applyAsDouble(x[i]);
            worst = Math.max(worst, Math.abs(y[i] - e) / Math.ulp((float) e));
        }
        return worst;
    }

    @Test
    void expIsWithinTwoUlpsOverTheNormalRange() {
        assertTrue(worstUlps(VectorMath::exp, Math::exp, -87f, 88f) <= 2, "exp error above 2 ulp");
        assertTrue(worstUlps(VectorMath::exp, Math::exp, -1f, 1f) <= 2, "exp error above 2 ulp near 0");
    }

    @Test
    void tanhIsWithinThreeUlpsOnBothBranches() {
        assertTrue(worstUlps(VectorMath::tanh, Math::tanh, -0.7f, 0.7f) <= 3, "tanh error near 0");
        assertTrue(worstUlps(VectorMath::tanh, Math::tanh, -9f, 9f) <= 3, "tanh error");
    }

    @Test
    void edgesSaturateLikeTheLibrary() {
        float[] x = new float[LANES];
        float[] probes = {Float.NEGATIVE_INFINITY, -1000f, -88.5f, 0f, 89f, Float.POSITIVE_INFINITY, Float.NaN, -0f};
        System.arraycopy(probes, 0, x, 0, Math.min(probes.length, LANES));
        float[] e = apply(VectorMath::exp, x);
        assertEquals(0f, e[0]);
        assertEquals(0f, e[1]);
        assertEquals(0f, e[2]);
        assertEquals(1f, e[3]);
        assertEquals(Float.POSITIVE_INFINITY, e[4]);
        assertEquals(Float.POSITIVE_INFINITY, e[5]);
        assertTrue(Float.isNaN(e[6]));
        float[] t = apply(VectorMath::tanh, x);
        assertEquals(-1f, t[0]);
        assertEquals(-1f, t[1]);
        assertEquals(0f, t[3]);
        assertEquals(1f, t[4]);
        assertEquals(1f, t[5]);
        assertTrue(Float.isNaN(t[6]));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(t[7]), "tanh(-0) keeps its sign");
    }
}
