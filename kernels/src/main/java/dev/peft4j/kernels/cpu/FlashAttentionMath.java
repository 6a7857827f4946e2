package dev.peft4j.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The block sizes and row-wise vector loops the fused attention passes share; the products of a block run on
 * {@link CpuGemm}.
 */
final class FlashAttentionMath {

    static final VectorSpecies<Float> S = UnaryMath.SPECIES;
    static final int L = S.length();
    /** Query rows per block: enough rows that a block's GEMMs run at speed, few enough that causal skips pay. */
    static final int BQ = 64;
    /** Keys per block: a BQ×BK block of scores is 64 KiB, so it stays in L2 between its two GEMMs. */
    static final int BK = 256;

    private FlashAttentionMath() {
    }

    /** Keys of the block starting at key j0 (nk of them) that query i sees: 0 to nk. */
    static int visibleInBlock(FlashAttentionShape s, int i, int j0, int nk) {
        return Math.max(0, Math.min(nk, s.visible(i) - j0));
    }

    /**
     * max of {@code s[off, off + n)}; -inf when n = 0. Whole vectors: the row may be read up to n rounded up to
     * a vector (a block row is {@link #BK} floats), lanes from n on are ignored.
     */
    static float max(float[] s, int off, int n) {
        FloatVector vm = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < n; j += L) {
            vm = vm.max(FloatVector.fromArray(S, s, off + j).blend(Float.NEGATIVE_INFINITY, S.indexInRange(j, n).not()));
        }
        return vm.reduceLanes(VectorOperators.MAX);
    }

    /**
     * One block row of probabilities: {@code s[off + j] = exp(s[off + j] - shift)} for j &lt; n (the keys the
     * row sees) and 0 for n &le; j &lt; width; returns the sum. Whole vectors, so the row must have room up to
     * width rounded up to a vector (a block row is {@link #BK} floats); masked lanes never reach the sum.
     * {@code lanes} is L floats of scratch for the sum ({@link LaneSums#sumStored}: no vector is boxed).
     */
    static float expRow(float[] s, int off, int n, int width, float shift, float[] lanes) {
        FloatVector vs = FloatVector.zero(S);
        for (int j = 0; j < width; j += L) {
            VectorMask<Float> hidden = S.indexInRange(j, n).not();
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, s, off + j).sub(shift)).blend(0f, hidden);
            e.intoArray(s, off + j);
            vs = vs.add(e);
        }
        vs.intoArray(lanes, 0);
        return LaneSums.sumStored(lanes, 0, L);
    }

    /**
     * {@code ds[off + j] = scale · p[off + j] · (ds[off + j] − delta)} for j &lt; n: the gradient of a row's raw
     * scores from its probabilities p and their gradient dP (held in ds), the softmax scale folded in.
     */
    static void softmaxGrad(float[] p, float[] ds, int off, int n, float delta, float scale) {
        FloatVector vd = FloatVector.broadcast(S, delta);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            FloatVector.fromArray(S, ds, off + j).sub(vd).mul(FloatVector.fromArray(S, p, off + j)).mul(scale)
                    .intoArray(ds, off + j);
        }
        for (; j < n; j++) {
            ds[off + j] = scale * p[off + j] * (ds[off + j] - delta);
        }
    }

    /** {@code y[yOff + e] *= a} for e &lt; len. */
    static void scale(float[] y, int yOff, int len, float a) {
        int e = 0;
        for (int bound = S.loopBound(len); e < bound; e += L) {
            FloatVector.fromArray(S, y, yOff + e).mul(a).intoArray(y, yOff + e);
        }
        for (; e < len; e++) {
            y[yOff + e] *= a;
        }
    }

    static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        FloatVector acc = FloatVector.zero(S);
        int e = 0;
        for (int bound = S.loopBound(len); e < bound; e += L) {
            acc = FloatVector.fromArray(S, a, aOff + e).fma(FloatVector.fromArray(S, b, bOff + e), acc);
        }
        float s = LaneSums.sum(acc);
        for (; e < len; e++) {
            s += a[aOff + e] * b[bOff + e];
        }
        return s;
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
