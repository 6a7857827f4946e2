package dev.peft4j.peft.train;

import java.util.List;

/**
 * What one training run did.
 *
 * @param losses         the training loss of every update, in order
 * @param dev            the dev evaluations
 * @param best           the dev point whose tensors the model holds at the end (null without a dev split)
 * @param stopReason     "steps" (all done) or "early-stop"
 * @param secondsPerStep wall seconds per update in this process (excluding evaluation and checkpoints)
 * @param peakHeapBytes  the heap's peak during this process's part of the run
 */
public record RunResult(List<Float> losses, List<DevPoint> dev, DevPoint best, String stopReason,
                        double secondsPerStep, long peakHeapBytes, long tokens) {

    public RunResult {
        losses = List.copyOf(losses);
        dev = List.copyOf(dev);
    }

    public int steps() {
        return losses.size();
    }
}
