package dev.peft4j.engine;

/**
 * One entry on the tape: the op that produced a tensor, the autograd slots of its inputs that gradients
 * flow to (slots, not tensors: the tape does not keep an input's data alive), and how to push gradients back.
 */
record Node(String op, GradSlot[] inputs, BackwardFn backward) {
}
