package dev.peft4j.peft.core;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Module;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Trainable and total parameter counts as HF PEFT's {@code print_trainable_parameters} reports them:
 * every distinct parameter of the adapted model (base, adapters, shared tensors excluded as buffers),
 * and those that require grad.
 */
public record ParameterSummary(long trainable, long total, Map<String, Long> trainableByName) {

    public static ParameterSummary of(Module model) {
        long trainable = 0;
        long total = 0;
        Map<String, Long> byName = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            long n = e.getValue().numel();
            total += n;
            if (e.getValue().requiresGrad()) {
                trainable += n;
                byName.put(e.getKey(), n);
            }
        }
        return new ParameterSummary(trainable, total, java.util.Collections.unmodifiableMap(byName));
    }

    public double trainablePercent() {
        return total == 0 ? 0 : 100.0 * trainable / total;
    }

    @Override
    public String toString() {
        return String.format("trainable params: %,d || all params: %,d || trainable%%: %.4f", trainable, total,
                trainablePercent());
    }
}
