package dev.peft4j.peft.tuning;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Module;

import java.util.Map;

/** Named tensors registered as parameters, so a dict entry reads {@code ln_tuning_layers.default.weight}. */
final class ParameterHolder extends Module {

    ParameterHolder(Map<String, Tensor> tensors) {
        tensors.forEach(this::registerParameter);
    }

    Tensor get(String name) {
        return param(name);
    }
}
