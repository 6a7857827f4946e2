package dev.peft4j.peft.core;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Module;

/** One tensor registered as {@code weight}, so names read {@code lora_A.default.weight} as in HF PEFT. */
public final class WeightHolder extends Module {

    public WeightHolder(Tensor weight) {
        registerParameter("weight", weight);
    }

    public Tensor weight() {
        return param("weight");
    }
}
