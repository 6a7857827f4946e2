package dev.peft4j.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * exp and tanh from adds, multiplies and FMAs only (Cephes' single-precision polynomials, about 1 ulp).
 * {@code lanewise(EXP)} and {@code lanewise(TANH)} round differently in the interpreter (a per-lane
 * {@code Math} call) and in C2 (a vector math library), so a result could change once a loop is
 * compiled; these are IEEE-exact operations in every tier, so the same input always gives the same bits.
 */
final class VectorMath {

    private static final float LOG2E = 1.44269504088896341f;
    // ln 2 split so n * LN2_HI is exact for the n that occur here.
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** Above this e^x overflows float; below -88 it is under the smallest normal and flushes to 0. */
    private static final float EXP_OVERFLOW = 88.7228391f;
    private static final float EXP_FLUSH = -88.0f;
    /** Adding then subtracting 1.5 * 2^23 rounds a float of magnitude below 2^22 to the nearest integer. */
    private static final float ROUNDER = 12582912f;

    private VectorMath() {
    }

    /** e^x; +inf above the overflow bound, 0 far below, NaN for NaN. */
    static FloatVector exp(FloatVector x) {
        FloatVector clamped = x.max(EXP_FLUSH).min(EXP_OVERFLOW);
        FloatVector n = clamped.fma(x.broadcast(LOG2E), x.broadcast(ROUNDER)).sub(ROUNDER);
        FloatVector r = n.fma(x.broadcast(-LN2_HI), clamped);
        r = n.fma(x.broadcast(-LN2_LO), r);
        FloatVector p = r.broadcast(1.9875691500e-4f);
        p = p.fma(r, r.broadcast(1.3981999507e-3f));
        p = p.fma(r, r.broadcast(8.3334519073e-3f));
        p = p.fma(r, r.broadcast(4.1665795894e-2f));
        p = p.fma(r, r.broadcast(1.6666665459e-1f));
        p = p.fma(r, r.broadcast(5.0000001201e-1f));
        FloatVector er = p.mul(r.mul(r)).add(r).add(1f);
        // 2^n built in the exponent field; n = -127 gives the bit pattern of +0.
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        FloatVector result = er.mul(bits.reinterpretAsFloats());
        return result.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_OVERFLOW));
    }

    /** tanh(x): an odd polynomial near 0 (no cancellation), 1 - 2/(e^2|x| + 1) elsewhere. */
    static FloatVector tanh(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector z = x.mul(x);
        FloatVector p = z.broadcast(-5.70498872745e-3f);
        p = p.fma(z, z.broadcast(2.06390887954e-2f));
        p = p.fma(z, z.broadcast(-5.37397155531e-2f));
        p = p.fma(z, z.broadcast(1.33314422036e-1f));
        p = p.fma(z, z.broadcast(-3.33332819422e-1f));
        FloatVector small = x.mul(p.mul(z).add(1f)); // x(1 + p z), not x + x p z: keeps tanh(-0) = -0
        FloatVector large = x.broadcast(1f).sub(x.broadcast(2f).div(exp(ax.mul(2f)).add(1f)));
        large = large.blend(large.neg(), x.compare(VectorOperators.LT, 0f));
        VectorMask<Float> nearZero = ax.compare(VectorOperators.LT, 0.625f);
        return large.blend(small, nearZero);
    }
}
