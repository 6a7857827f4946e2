package dev.peft4j.peft.train;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.optim.AdamW;
import dev.peft4j.engine.optim.LrSchedule;
import dev.peft4j.engine.optim.Optimizer;
import dev.peft4j.engine.optim.Sgd;

import java.util.List;

/**
 * The optimisation choices of a run. {@code sgd} is plain SGD (no momentum), so with weight decay 0,
 * grad clip 0 (off) and a constant schedule one step is exactly {@code p -= lr * grad}.
 *
 * @param gradClip the global 2-norm bound; 0 turns clipping off
 * @param schedule "constant", "linear" or "cosine" (decaying to 0 at {@code totalSteps}, after {@code warmupSteps})
 */
public record OptimizerSettings(String optimizer, float lr, float weightDecay, double gradClip, String schedule,
                                int warmupSteps, int totalSteps) {

    public OptimizerSettings {
        if (!optimizer.equals("adamw") && !optimizer.equals("sgd")) {
            throw new IllegalArgumentException("optimizer must be adamw or sgd, got \"" + optimizer + "\"");
        }
        if (!(gradClip >= 0)) {
            throw new IllegalArgumentException("grad clip must be >= 0 (0 = off), got " + gradClip);
        }
        lrSchedule(schedule, warmupSteps, totalSteps); // validates the name
    }

    public Optimizer create(List<Tensor> params) {
        return optimizer.equals("adamw")
                ? new AdamW(params, lr, 0.9f, 0.999f, 1e-8f, weightDecay)
                : new Sgd(params, lr, 0f, 0f, weightDecay, false);
    }

    public LrSchedule lrSchedule() {
        return lrSchedule(schedule, warmupSteps, totalSteps);
    }

    private static LrSchedule lrSchedule(String name, int warmup, int total) {
        return switch (name) {
            case "constant" -> warmup > 0 ? LrSchedule.constantWithWarmup(warmup) : LrSchedule.constant();
            case "linear" -> LrSchedule.linearWarmupDecay(warmup, total);
            case "cosine" -> LrSchedule.cosineWarmupDecay(warmup, total);
            default -> throw new IllegalArgumentException("lr schedule must be constant, linear or cosine, got \""
                    + name + "\"");
        };
    }
}
