package dev.peft4j.peft.train;

/** Mean loss and accuracy (NaN when the task has no classes) over {@code count} examples. */
public record Evaluation(double loss, double accuracy, int count) {
}
