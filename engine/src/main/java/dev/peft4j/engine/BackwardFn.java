package dev.peft4j.engine;

/**
 * The backward rule of one recorded op: given the gradient of the op's output (contiguous, in the
 * output's shape) it adds each input's contribution into that input's grad ({@code +=}), skipping the
 * inputs that do not require grad.
 */
@FunctionalInterface
interface BackwardFn {
    void backward(Tensor gradOutput);
}
