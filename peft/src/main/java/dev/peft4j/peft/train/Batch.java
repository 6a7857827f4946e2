package dev.peft4j.peft.train;

import java.util.List;

/**
 * Examples padded on the right to one length: ids [batch, seq] row-major, padded positions labelled -100.
 * Right padding is invisible to a causal model's real positions, so no attention mask is needed.
 */
public record Batch(int[] inputIds, int[] labels, int batch, int seq) {

    public static final int IGNORE_INDEX = -100;

    public static Batch collate(List<TrainingExample> examples, int padId) {
        int seq = 0;
        for (TrainingExample e : examples) {
            seq = Math.max(seq, e.length());
        }
        int batch = examples.size();
        int[] ids = new int[batch * seq];
        int[] labels = new int[batch * seq];
        java.util.Arrays.fill(ids, padId);
        java.util.Arrays.fill(labels, IGNORE_INDEX);
        for (int b = 0; b < batch; b++) {
            TrainingExample e = examples.get(b);
            System.arraycopy(e.inputIds(), 0, ids, b * seq, e.length());
            System.arraycopy(e.labels(), 0, labels, b * seq, e.length());
        }
        return new Batch(ids, labels, batch, seq);
    }
}
