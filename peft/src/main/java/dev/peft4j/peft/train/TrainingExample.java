package dev.peft4j.peft.train;

/** One causal-LM example: token ids and their labels (-100 = not scored), same length. */
public record TrainingExample(int[] inputIds, int[] labels) {

    public TrainingExample {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException("example: " + inputIds.length + " input ids but " + labels.length + " labels");
        }
        inputIds = inputIds.clone();
        labels = labels.clone();
    }

    public int length() {
        return inputIds.length;
    }
}
