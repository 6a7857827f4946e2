package dev.peft4j.engine.optim;

/**
 * A learning-rate multiplier per optimizer step, with Hugging Face {@code transformers} semantics:
 * update number {@code step} (0-based, i.e. the number of updates already done) uses
 * {@code baseLr * factor(step)}, exactly as {@code LambdaLR} after {@code step} calls to
 * {@code scheduler.step()}.
 */
@FunctionalInterface
public interface LrSchedule {

    /** The multiplier for 0-based update {@code step}. */
    double factor(int step);

    /** The learning rate for update {@code step}. */
    default float lr(float baseLr, int step) {
        return (float) (baseLr * factor(step));
    }

    /** Sets {@code optimizer}'s learning rate for update {@code step}; call before {@code optimizer.step()}. */
    default void apply(Optimizer optimizer, float baseLr, int step) {
        optimizer.setLr(lr(baseLr, step));
    }

    /** {@code get_constant_schedule}: always 1. */
    static LrSchedule constant() {
        return step -> 1.0;
    }

    /** {@code get_constant_schedule_with_warmup}: linear warm-up from 0, then 1. */
    static LrSchedule constantWithWarmup(int warmupSteps) {
        requireNonNegative(warmupSteps, "warmupSteps");
        return step -> step < warmupSteps ? (double) step / Math.max(1, warmupSteps) : 1.0;
    }

    /**
     * {@code get_linear_schedule_with_warmup}: {@code step / warmup} while warming up, then linear decay
     * reaching 0 at {@code totalSteps} (and staying there).
     */
    static LrSchedule linearWarmupDecay(int warmupSteps, int totalSteps) {
        requireNonNegative(warmupSteps, "warmupSteps");
        requireNonNegative(totalSteps, "totalSteps");
        return step -> {
            if (step < warmupSteps) {
                return (double) step / Math.max(1, warmupSteps);
            }
            return Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
        };
    }

    /**
     * {@code get_cosine_schedule_with_warmup} with the default half cycle: after warm-up,
     * {@code 0.5 * (1 + cos(pi * progress))} where progress runs 0..1 over the remaining steps.
     */
    static LrSchedule cosineWarmupDecay(int warmupSteps, int totalSteps) {
        return cosineWarmupDecay(warmupSteps, totalSteps, 0.5);
    }

    /** As {@link #cosineWarmupDecay(int, int)} with HF's {@code num_cycles} (0.5 = decay to 0 once). */
    static LrSchedule cosineWarmupDecay(int warmupSteps, int totalSteps, double numCycles) {
        requireNonNegative(warmupSteps, "warmupSteps");
        requireNonNegative(totalSteps, "totalSteps");
        return step -> {
            if (step < warmupSteps) {
                return (double) step / Math.max(1, warmupSteps);
            }
            double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
            return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * numCycles * 2.0 * progress)));
        };
    }

    private static void requireNonNegative(int v, String name) {
        if (v < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + v);
        }
    }
}
