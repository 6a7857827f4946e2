package dev.peft4j.kernels.cpu;

import dev.peft4j.kernels.Binary;
import dev.peft4j.kernels.Unary;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The scalar forms of each {@link Unary}/{@link Binary} function and derivative (loop tails, strided
 * loops) and the vector building blocks the per-op SIMD loops of {@link UnaryLoops} use.
 */
final class UnaryMath {

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    /** sqrt(2/pi) and the cubic coefficient of the tanh-approximated GELU. */
    static final float GELU_C = (float) Math.sqrt(2.0 / Math.PI);
    static final float GELU_K = 0.044715f;

    private UnaryMath() {
    }

    static float apply(Unary op, float x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case SQRT -> (float) Math.sqrt(x);
            case RSQRT -> 1f / (float) Math.sqrt(x);
            case RECIP -> 1f / x;
            case SQUARE -> x * x;
            case ABS -> Math.abs(x);
            case TANH -> (float) Math.tanh(x);
            case RELU -> Math.max(x, 0f);
            case SIGMOID -> sigmoid(x);
            case GELU_TANH -> x * geluGate(x);
            case SILU -> x * sigmoid(x);
        };
    }

    static float derivative(Unary op, float x) {
        return switch (op) {
            case NEG -> -1f;
            case EXP -> (float) Math.exp(x);
            case LOG -> 1f / x;
            case SQRT -> 0.5f / (float) Math.sqrt(x);
            case RSQRT -> -0.5f / ((float) Math.sqrt(x) * x);
            case RECIP -> -1f / (x * x);
            case SQUARE -> x + x;
            case ABS -> x > 0 ? 1f : x < 0 ? -1f : 0f;
            case TANH -> {
                float t = (float) Math.tanh(x);
                yield 1f - t * t;
            }
            case RELU -> x > 0 ? 1f : 0f;
            case SIGMOID -> {
                float s = sigmoid(x);
                yield s * (1f - s);
            }
            case GELU_TANH -> {
                float s = geluGate(x);
                yield s + x * s * (1f - s) * (2f * GELU_C * (1f + 3f * GELU_K * x * x));
            }
            case SILU -> {
                float s = sigmoid(x);
                yield s * (1f + x * (1f - s));
            }
        };
    }

    static float apply(Binary op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
        };
    }

    /** 1/(1+e^-x): saturates cleanly to 0 and 1 (e^-x overflowing to +inf gives exactly 0). */
    static FloatVector sigmoid(FloatVector x) {
        return x.broadcast(1f).div(VectorMath.exp(x.neg()).add(1f));
    }

    static FloatVector sigmoidDerivative(FloatVector x) {
        FloatVector s = sigmoid(x);
        return s.mul(x.broadcast(1f).sub(s));
    }

    /** s(1 + x(1 - s)) with s = sigmoid(x). */
    static FloatVector siluDerivative(FloatVector x) {
        FloatVector s = sigmoid(x);
        return s.mul(x.mul(x.broadcast(1f).sub(s)).add(1f));
    }

    static FloatVector tanhDerivative(FloatVector x) {
        FloatVector t = VectorMath.tanh(x);
        return x.broadcast(1f).sub(t.mul(t));
    }

    /** 0.5x(1 + tanh u) = x·σ(2u): one exp and one division, where tanh cost a polynomial, an exp and a blend. */
    static FloatVector geluTanh(FloatVector x) {
        return x.mul(geluGate(x));
    }

    /** d/dx x·s with s = σ(2u): s + x·s(1 − s)·2u', u' = c(1 + 3k x²) (the tanh form's 0.5(1+t) + 0.5x(1−t²)u'). */
    static FloatVector geluTanhDerivative(FloatVector x) {
        FloatVector s = geluGate(x);
        FloatVector du2 = x.mul(x).mul(3f * GELU_K).add(1f).mul(2f * GELU_C);
        return x.mul(s).mul(x.broadcast(1f).sub(s)).fma(du2, s);
    }

    /** sign(x) with sign(0) = 0: the derivative of |x| as PyTorch takes it. */
    static FloatVector sign(FloatVector x) {
        return x.broadcast(0f)
                .blend(1f, x.compare(VectorOperators.GT, 0f))
                .blend(-1f, x.compare(VectorOperators.LT, 0f));
    }

    /** 1 where x > 0, else 0: the derivative of relu. */
    static FloatVector step(FloatVector x) {
        return x.broadcast(0f).blend(1f, x.compare(VectorOperators.GT, 0f));
    }

    private static float sigmoid(float x) {
        return 1f / (1f + (float) Math.exp(-x));
    }

    /**
     * The tanh GELU's gate 0.5(1 + tanh u) = σ(2u) = 1 / (1 + e^(−2u)), u = sqrt(2/pi)(x + 0.044715x³). Without
     * the 1 + tanh u cancellation for negative x; e^(−2u) overflows to +inf, so the gate to 0, as x → −inf.
     */
    private static FloatVector geluGate(FloatVector x) {
        FloatVector x3 = x.mul(x).mul(x);
        FloatVector e = VectorMath.exp(x3.mul(GELU_K).add(x).mul(-2f * GELU_C));
        return x.broadcast(1f).div(e.add(1f));
    }

    private static float geluGate(float x) {
        return 1f / (1f + (float) Math.exp(-2f * GELU_C * (x + GELU_K * x * x * x)));
    }
}
