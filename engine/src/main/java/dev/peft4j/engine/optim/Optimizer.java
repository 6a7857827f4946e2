package dev.peft4j.engine.optim;

/** Updates a fixed list of parameters in place from their gradients. */
public interface Optimizer {

    /** One update of every parameter that has a gradient; parameters without one are skipped. */
    void step();

    /** Drops the gradients of all parameters (PyTorch's {@code zero_grad(set_to_none=True)}). */
    void zeroGrad();

    /** The learning rate the next {@link #step()} uses. */
    float lr();

    void setLr(float lr);
}
