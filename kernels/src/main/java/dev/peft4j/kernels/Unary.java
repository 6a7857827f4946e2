package dev.peft4j.kernels;

/** Elementwise functions y = f(x) with a derivative used by {@link Kernels#unaryBackward}. */
public enum Unary {
    NEG, EXP, LOG, SQRT, RSQRT, RECIP, SQUARE, ABS, TANH, RELU, SIGMOID,
    /** GELU with the tanh approximation (PyTorch {@code gelu(approximate='tanh')}, HF {@code gelu_new}). */
    GELU_TANH,
    /** x * sigmoid(x). */
    SILU
}
