package dev.peft4j.kernels;

/** Elementwise binary functions out = f(a, b). */
public enum Binary {
    ADD, SUB, MUL, DIV, MAX, MIN
}
