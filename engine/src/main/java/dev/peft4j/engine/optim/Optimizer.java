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

    /** How many parameters this optimizer updates (state indices run over 0..size-1). */
    int size();

    /** Parameter {@code index}'s state (step count and buffers, copied to the host), for a checkpoint. */
    ParamState state(int index);

    /** Puts back what {@link #state} gave, so the next {@link #step()} is the one the saved run would have taken. */
    void loadState(int index, ParamState state);
}
