package dev.peft4j.peft.train;

/** A dev-set evaluation after {@code step} updates; accuracy is NaN for causal-LM tasks. */
public record DevPoint(int step, double loss, double accuracy) {

    /** Higher is better: accuracy when there is one (ties broken by lower loss), else minus the loss. */
    public boolean betterThan(DevPoint other) {
        if (other == null) {
            return true;
        }
        if (!Double.isNaN(accuracy) && accuracy != other.accuracy) {
            return accuracy > other.accuracy;
        }
        return loss < other.loss;
    }
}
