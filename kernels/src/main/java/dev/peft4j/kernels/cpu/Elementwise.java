package dev.peft4j.kernels.cpu;

import dev.peft4j.kernels.Binary;
import dev.peft4j.kernels.DropoutHash;
import dev.peft4j.kernels.Unary;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise loops on heap arrays: one SIMD pass plus a scalar tail, split into contiguous index ranges
 * across threads. Callers have checked every range.
 */
final class Elementwise {

    private static final VectorSpecies<Float> S = UnaryMath.SPECIES;
    /** Transcendental functions cost tens of cycles per element; weigh them when deciding to fork. */
    private static final int TRANSCENDENTAL_COST = 16;

    private final Parallel parallel;

    Elementwise(Parallel parallel) {
        this.parallel = parallel;
    }

    void unary(Unary op, float[] x, int xOff, float[] y, int yOff, int n) {
        parallel.forRange(n, TRANSCENDENTAL_COST,
                (from, to) -> UnaryLoops.apply(op, x, xOff + from, y, yOff + from, to - from));
    }

    void unaryBackward(Unary op, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        parallel.forRange(n, TRANSCENDENTAL_COST, (from, to) -> UnaryLoops.accumulateDerivative(
                op, x, xOff + from, dy, dyOff + from, dx, dxOff + from, to - from));
    }

    void binary(Binary op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        parallel.forRange(n, 1, (from, to) -> BinaryLoops.apply(op, a, aOff + from, b, bOff + from, out, outOff + from, to - from));
    }

    void scale(float[] x, int xOff, float alpha, float beta, float[] y, int yOff, int n) {
        parallel.forRange(n, 1, (from, to) -> {
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += S.length()) {
                FloatVector.fromArray(S, x, xOff + i).mul(alpha).add(beta).intoArray(y, yOff + i);
            }
            for (; i < to; i++) {
                y[yOff + i] = alpha * x[xOff + i] + beta;
            }
        });
    }

    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        parallel.forRange(n, 1, (from, to) -> axpyRange(alpha, x, xOff + from, y, yOff + from, to - from));
    }

    /** {@code y[i] += alpha * x[i]} on one thread. */
    static void axpyRange(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).fma(va, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    void fma(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int outOff, int n) {
        parallel.forRange(n, 1, (from, to) -> {
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += S.length()) {
                FloatVector va = FloatVector.fromArray(S, a, aOff + i);
                FloatVector vb = FloatVector.fromArray(S, b, bOff + i);
                va.fma(vb, FloatVector.fromArray(S, c, cOff + i)).intoArray(out, outOff + i);
            }
            for (; i < to; i++) {
                out[outOff + i] = Math.fma(a[aOff + i], b[bOff + i], c[cOff + i]);
            }
        });
    }

    void fill(float[] dst, int off, int n, float value) {
        parallel.forRange(n, 1, (from, to) -> Arrays.fill(dst, off + from, off + to, value));
    }

    void copy(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        parallel.forRange(n, 1, (from, to) -> System.arraycopy(src, srcOff + from, dst, dstOff + from, to - from));
    }

    /** Inverted-dropout mask by {@link DropoutHash}; the hash index counts from the start of the range. */
    void dropoutMask(float[] mask, int off, int n, float p, long seed) {
        long key = DropoutHash.key(seed);
        float kept = 1.0f / (1.0f - p);
        parallel.forRange(n, TRANSCENDENTAL_COST, (from, to) -> {
            for (int i = from; i < to; i++) {
                mask[off + i] = DropoutHash.uniformFromKey(key, i) >= p ? kept : 0.0f;
            }
        });
    }
}
