package dev.peft4j.engine;

/** One entry on the tape: the op that produced a tensor, its inputs, and how to push gradients back. */
record Node(String op, Tensor[] inputs, BackwardFn backward) {
}
