package dev.peft4j.peft.report;

import java.util.List;

/**
 * One method's line in the results table, over its seeds.
 *
 * @param score          test accuracy (classification) or test loss (causal LM) per seed
 * @param note           why a method has no numbers (failed or not available), else null
 * @param trainLoss      seed 0's training loss per update (for the curve)
 * @param devSteps       seed 0's dev evaluation steps
 * @param devLoss        seed 0's dev loss at those steps
 */
public record ResultRow(String method, MeanStd score, long trainableParams, long totalParams, long savedBytes,
                        double secondsPerStep, long peakHeapBytes, String note, List<Float> trainLoss,
                        List<Integer> devSteps, List<Double> devLoss) {

    public ResultRow {
        trainLoss = trainLoss == null ? List.of() : List.copyOf(trainLoss);
        devSteps = devSteps == null ? List.of() : List.copyOf(devSteps);
        devLoss = devLoss == null ? List.of() : List.copyOf(devLoss);
    }

    /** A method that produced nothing, with the reason. */
    public static ResultRow missing(String method, String note) {
        return new ResultRow(method, new MeanStd(Double.NaN, Double.NaN, 0), 0, 0, 0, Double.NaN, 0, note, null,
                null, null);
    }

    public boolean ok() {
        return note == null;
    }
}
