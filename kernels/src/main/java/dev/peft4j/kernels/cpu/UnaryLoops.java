package dev.peft4j.kernels.cpu;

import dev.peft4j.kernels.Unary;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One SIMD loop per {@link Unary} function and per derivative, chosen by a switch once per call. A single
 * loop switching on the op per vector ran 10-30x slower once several ops had been used: C2 stopped
 * inlining the grown loop body and boxed the vectors. Loop tails use the scalar forms in {@link UnaryMath}.
 */
final class UnaryLoops {

    private static final VectorSpecies<Float> S = UnaryMath.SPECIES;

    private UnaryLoops() {
    }

    /** {@code y[yi + i] = f(x[xi + i])} for i &lt; n. */
    static void apply(Unary op, float[] x, int xi, float[] y, int yi, int n) {
        int done = switch (op) {
            case NEG -> neg(x, xi, y, yi, n);
            case EXP -> exp(x, xi, y, yi, n);
            case LOG -> log(x, xi, y, yi, n);
            case SQRT -> sqrt(x, xi, y, yi, n);
            case RSQRT -> rsqrt(x, xi, y, yi, n);
            case RECIP -> recip(x, xi, y, yi, n);
            case SQUARE -> square(x, xi, y, yi, n);
            case ABS -> abs(x, xi, y, yi, n);
            case TANH -> tanh(x, xi, y, yi, n);
            case RELU -> relu(x, xi, y, yi, n);
            case SIGMOID -> sigmoid(x, xi, y, yi, n);
            case GELU_TANH -> geluTanh(x, xi, y, yi, n);
            case SILU -> silu(x, xi, y, yi, n);
        };
        for (int i = done; i < n; i++) {
            y[yi + i] = UnaryMath.apply(op, x[xi + i]);
        }
    }

    /** {@code dx[di + i] += dy[gi + i] * f'(x[xi + i])} for i &lt; n. */
    static void accumulateDerivative(Unary op, float[] x, int xi, float[] dy, int gi, float[] dx, int di, int n) {
        int done = switch (op) {
            case NEG -> negDerivative(x, xi, dy, gi, dx, di, n);
            case EXP -> expDerivative(x, xi, dy, gi, dx, di, n);
            case LOG -> logDerivative(x, xi, dy, gi, dx, di, n);
            case SQRT -> sqrtDerivative(x, xi, dy, gi, dx, di, n);
            case RSQRT -> rsqrtDerivative(x, xi, dy, gi, dx, di, n);
            case RECIP -> recipDerivative(x, xi, dy, gi, dx, di, n);
            case SQUARE -> squareDerivative(x, xi, dy, gi, dx, di, n);
            case ABS -> absDerivative(x, xi, dy, gi, dx, di, n);
            case TANH -> tanhDerivative(x, xi, dy, gi, dx, di, n);
            case RELU -> reluDerivative(x, xi, dy, gi, dx, di, n);
            case SIGMOID -> sigmoidDerivative(x, xi, dy, gi, dx, di, n);
            case GELU_TANH -> geluTanhDerivative(x, xi, dy, gi, dx, di, n);
            case SILU -> siluDerivative(x, xi, dy, gi, dx, di, n);
        };
        for (int i = done; i < n; i++) {
            dx[di + i] += dy[gi + i] * UnaryMath.derivative(op, x[xi + i]);
        }
    }


    private static int neg(float[] in, int xi, float[] y, int yi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            x.neg().intoArray(y, yi + i);
        }
        return i;
    }

    private static int negDerivative(float[] in, int xi, float[] dy, int gi, float[] dx, int di, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            FloatVector g = FloatVector.fromArray(S, dy, gi + i);
            g.fma(x.broadcast(-1f), FloatVector.fromArray(S, dx, di + i)).intoArray(dx, di + i);
        }
        return i;
    }

    private static int exp(float[] in, int xi, float[] y, int yi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            VectorMath.exp(x).intoArray(y, yi + i);
        }
        return i;
    }

    private static int expDerivative(float[] in, int xi, float[] dy, int gi, float[] dx, int di, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            FloatVector g = FloatVector.fromArray(S, dy, gi + i);
            g.fma(VectorMath.exp(x), FloatVector.fromArray(S, dx, di + i)).intoArray(dx, di + i);
        }
        return i;
    }

    /**
     * No vector body: {@code lanewise(LOG)} rounds differently before and after JIT compilation, while the
     * scalar {@code Math.log} tail is one intrinsic in every tier, so it takes the whole range.
     */
    private static int log(float[] in, int xi, float[] y, int yi, int n) {
        return 0;
    }

    private static int logDerivative(float[] in, int xi, float[] dy, int gi, float[] dx, int di, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            FloatVector g = FloatVector.fromArray(S, dy, gi + i);
            g.fma(x.broadcast(1f).div(x), FloatVector.fromArray(S, dx, di + i)).intoArray(dx, di + i);
        }
        return i;
    }

    private static int sqrt(float[] in, int xi, float[] y, int yi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            x.sqrt().intoArray(y, yi + i);
        }
        return i;
    }

    private static int sqrtDerivative(float[] in, int xi, float[] dy, int gi, float[] dx, int di, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            FloatVector g = FloatVector.fromArray(S, dy, gi + i);
            g.fma(x.broadcast(0.5f).div(x.sqrt()), FloatVector.fromArray(S, dx, di + i)).intoArray(dx, di + i);
        }
        return i;
    }

    private static int rsqrt(float[] in, int xi, float[] y, int yi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            x.broadcast(1f).div(x.sqrt()).intoArray(y, yi + i);
        }
        return i;
    }

    private static int rsqrtDerivative(float[] in, int xi, float[] dy, int gi, float[] dx, int di, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            FloatVector g = FloatVector.fromArray(S, dy, gi + i);
            g.fma(x.broadcast(-0.5f).div(x.sqrt().mul(x)), FloatVector.fromArray(S, dx, di + i)).intoArray(dx, di + i);
        }
        return i;
    }

    private static int recip(float[] in, int xi, float[] y, int yi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            x.broadcast(1f).div(x).intoArray(y, yi + i);
        }
        return i;
    }

    private static int recipDerivative(float[] in, int xi, float[] dy, int gi, float[] dx, int di, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            FloatVector g = FloatVector.fromArray(S, dy, gi + i);
            g.fma(x.broadcast(-1f).div(x.mul(x)), FloatVector.fromArray(S, dx, di + i)).intoArray(dx, di + i);
        }
        return i;
    }

    private static int square(float[] in, int xi, float[] y, int yi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            x.mul(x).intoArray(y, yi + i);
        }
        return i;
    }

    private static int squareDerivative(float[] in, int xi, float[] dy, int gi, float[] dx, int di, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            FloatVector g = FloatVector.fromArray(S, dy, gi + i);
            g.fma(x.add(x), FloatVector.fromArray(S, dx, di + i)).intoArray(dx, di + i);
        }
        return i;
    }

    private static int abs(float[] in, int xi, float[] y, int yi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            x.abs().intoArray(y, yi + i);
        }
        return i;
    }

    private static int absDerivative(float[] in, int xi, float[] dy, int gi, float[] dx, int di, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            FloatVector g = FloatVector.fromArray(S, dy, gi + i);
            g.fma(UnaryMath.sign(x), FloatVector.fromArray(S, dx, di + i)).intoArray(dx, di + i);
        }
        return i;
    }

    private static int tanh(float[] in, int xi, float[] y, int yi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            VectorMath.tanh(x).intoArray(y, yi + i);
        }
        return i;
    }

    private static int tanhDerivative(float[] in, int xi, float[] dy, int gi, float[] dx, int di, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            FloatVector g = FloatVector.fromArray(S, dy, gi + i);
            g.fma(UnaryMath.tanhDerivative(x), FloatVector.fromArray(S, dx, di + i)).intoArray(dx, di + i);
        }
        return i;
    }

    private static int relu(float[] in, int xi, float[] y, int yi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            x.max(0f).intoArray(y, yi + i);
        }
        return i;
    }

    private static int reluDerivative(float[] in, int xi, float[] dy, int gi, float[] dx, int di, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            FloatVector g = FloatVector.fromArray(S, dy, gi + i);
            g.fma(UnaryMath.step(x), FloatVector.fromArray(S, dx, di + i)).intoArray(dx, di + i);
        }
        return i;
    }

    private static int sigmoid(float[] in, int xi, float[] y, int yi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            UnaryMath.sigmoid(x).intoArray(y, yi + i);
        }
        return i;
    }

    private static int sigmoidDerivative(float[] in, int xi, float[] dy, int gi, float[] dx, int di, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            FloatVector g = FloatVector.fromArray(S, dy, gi + i);
            g.fma(UnaryMath.sigmoidDerivative(x), FloatVector.fromArray(S, dx, di + i)).intoArray(dx, di + i);
        }
        return i;
    }

    private static int geluTanh(float[] in, int xi, float[] y, int yi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            UnaryMath.geluTanh(x).intoArray(y, yi + i);
        }
        return i;
    }

    private static int geluTanhDerivative(float[] in, int xi, float[] dy, int gi, float[] dx, int di, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            FloatVector g = FloatVector.fromArray(S, dy, gi + i);
            g.fma(UnaryMath.geluTanhDerivative(x), FloatVector.fromArray(S, dx, di + i)).intoArray(dx, di + i);
        }
        return i;
    }

    private static int silu(float[] in, int xi, float[] y, int yi, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            x.mul(UnaryMath.sigmoid(x)).intoArray(y, yi + i);
        }
        return i;
    }

    private static int siluDerivative(float[] in, int xi, float[] dy, int gi, float[] dx, int di, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, xi + i);
            FloatVector g = FloatVector.fromArray(S, dy, gi + i);
            g.fma(UnaryMath.siluDerivative(x), FloatVector.fromArray(S, dx, di + i)).intoArray(dx, di + i);
        }
        return i;
    }
}
