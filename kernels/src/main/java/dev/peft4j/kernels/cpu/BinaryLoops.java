package dev.peft4j.kernels.cpu;

import dev.peft4j.kernels.Binary;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One SIMD loop per {@link Binary} function, chosen once per call (see {@link UnaryLoops} for why a
 * per-vector switch is avoided). A scalar operand of a broadcast is expanded into a short buffer so the
 * same contiguous loops serve it.
 */
final class BinaryLoops {

    private static final VectorSpecies<Float> S = UnaryMath.SPECIES;
    /** Length of the expanded scalar operand: long enough to amortise the loop entry. */
    private static final int SCALAR_CHUNK = 512;

    private BinaryLoops() {
    }

    /** {@code out[oi + i] = f(a[ai + i], b[bi + i])} for i &lt; n; out may alias a or b exactly. */
    static void apply(Binary op, float[] a, int ai, float[] b, int bi, float[] out, int oi, int n) {
        int done = switch (op) {
            case ADD -> add(a, ai, b, bi, out, oi, n);
            case SUB -> sub(a, ai, b, bi, out, oi, n);
            case MUL -> mul(a, ai, b, bi, out, oi, n);
            case DIV -> div(a, ai, b, bi, out, oi, n);
            case MAX -> max(a, ai, b, bi, out, oi, n);
            case MIN -> min(a, ai, b, bi, out, oi, n);
        };
        for (int i = done; i < n; i++) {
            out[oi + i] = UnaryMath.apply(op, a[ai + i], b[bi + i]);
        }
    }

    /** {@code out[oi + i] = f(a[ai + i], b)} with a scalar right operand. */
    static void applyScalarB(Binary op, float[] a, int ai, float b, float[] out, int oi, int n) {
        float[] bs = scalarChunk(b, n);
        for (int c = 0; c < n; c += bs.length) {
            apply(op, a, ai + c, bs, 0, out, oi + c, Math.min(bs.length, n - c));
        }
    }

    /** {@code out[oi + i] = f(a, b[bi + i])} with a scalar left operand. */
    static void applyScalarA(Binary op, float a, float[] b, int bi, float[] out, int oi, int n) {
        float[] as = scalarChunk(a, n);
        for (int c = 0; c < n; c += as.length) {
            apply(op, as, 0, b, bi + c, out, oi + c, Math.min(as.length, n - c));
        }
    }

    /** One expanded-scalar buffer per thread: a broadcast over many short rows would otherwise allocate per row. */
    private static final ThreadLocal<float[]> SCALAR = ThreadLocal.withInitial(() -> new float[SCALAR_CHUNK]);

    /** The thread's scalar buffer with its first min(n, SCALAR_CHUNK) floats set to value (the callers read no more). */
    private static float[] scalarChunk(float value, int n) {
        float[] chunk = SCALAR.get();
        java.util.Arrays.fill(chunk, 0, Math.min(n, SCALAR_CHUNK), value);
        return chunk;
    }


    private static int add(float[] x, int ai, float[] y, int bi, float[] out, int oi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector a = FloatVector.fromArray(S, x, ai + i);
            FloatVector b = FloatVector.fromArray(S, y, bi + i);
            a.add(b).intoArray(out, oi + i);
        }
        return i;
    }

    private static int sub(float[] x, int ai, float[] y, int bi, float[] out, int oi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector a = FloatVector.fromArray(S, x, ai + i);
            FloatVector b = FloatVector.fromArray(S, y, bi + i);
            a.sub(b).intoArray(out, oi + i);
        }
        return i;
    }

    private static int mul(float[] x, int ai, float[] y, int bi, float[] out, int oi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector a = FloatVector.fromArray(S, x, ai + i);
            FloatVector b = FloatVector.fromArray(S, y, bi + i);
            a.mul(b).intoArray(out, oi + i);
        }
        return i;
    }

    private static int div(float[] x, int ai, float[] y, int bi, float[] out, int oi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector a = FloatVector.fromArray(S, x, ai + i);
            FloatVector b = FloatVector.fromArray(S, y, bi + i);
            a.div(b).intoArray(out, oi + i);
        }
        return i;
    }

    private static int max(float[] x, int ai, float[] y, int bi, float[] out, int oi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector a = FloatVector.fromArray(S, x, ai + i);
            FloatVector b = FloatVector.fromArray(S, y, bi + i);
            a.max(b).intoArray(out, oi + i);
        }
        return i;
    }

    private static int min(float[] x, int ai, float[] y, int bi, float[] out, int oi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector a = FloatVector.fromArray(S, x, ai + i);
            FloatVector b = FloatVector.fromArray(S, y, bi + i);
            a.min(b).intoArray(out, oi + i);
        }
        return i;
    }
}
