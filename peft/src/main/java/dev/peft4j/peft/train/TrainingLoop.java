package dev.peft4j.peft.train;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.optim.GradClip;
import dev.peft4j.engine.optim.LrSchedule;
import dev.peft4j.engine.optim.Optimizer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The plain training loop: batch, loss, backward, optional global-norm clipping, schedule, step. A hook
 * after each step may ask for a fresh optimizer (Chain of LoRA restarts its factors and their moments).
 */
public final class TrainingLoop {

    /** Runs after update {@code step} (0-based); returns true when the optimizer must be rebuilt. */
    @FunctionalInterface
    public interface StepHook {
        boolean afterStep(int step, float loss);
    }

    private TrainingLoop() {
    }

    /**
     * Runs {@code settings.totalSteps()} updates and returns the loss of each (measured before its update).
     *
     * @param params the tensors to train, asked again whenever the optimizer is rebuilt
     * @param loss   a batch's scalar loss
     */
    public static List<Float> run(Supplier<List<Tensor>> params, Supplier<Batch> batches, Function<Batch, Tensor> loss,
                                  OptimizerSettings settings, StepHook hook) {
        List<Tensor> trained = params.get();
        if (trained.isEmpty()) {
            throw new IllegalStateException("nothing to train: no parameter requires grad");
        }
        Optimizer optimizer = settings.create(trained);
        LrSchedule schedule = settings.lrSchedule();
        List<Float> losses = new ArrayList<>();
        for (int step = 0; step < settings.totalSteps(); step++) {
            Batch batch = batches.get();
            optimizer.zeroGrad();
            Tensor l = loss.apply(batch);
            float value = l.item();
            if (!Float.isFinite(value)) {
                throw new ArithmeticException("training step " + step + ": the loss is " + value);
            }
            l.backward();
            if (settings.gradClip() > 0) {
                GradClip.clipGlobalNorm(trained, settings.gradClip());
            }
            schedule.apply(optimizer, settings.lr(), step);
            optimizer.step();
            losses.add(value);
            if (hook != null && hook.afterStep(step, value)) {
                optimizer.zeroGrad();
                trained = params.get();
                optimizer = settings.create(trained);
            }
        }
        optimizer.zeroGrad();
        return losses;
    }
}
