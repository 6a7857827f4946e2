package dev.peft4j.peft.fewshot;

import dev.peft4j.kernels.Kernels;
import dev.peft4j.peft.report.MeanStd;
import dev.peft4j.peft.report.ResultRow;
import dev.peft4j.peft.train.DevPoint;
import dev.peft4j.peft.train.Evaluation;
import dev.peft4j.peft.train.NonFiniteLossException;
import dev.peft4j.peft.train.Progress;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * Runs over methods and seeds (the few-shot protocol when the split samples K per class): for each seed a fresh K-shot split (the seed also drives
 * initialisation and data order), each method trained on it, and per method the test score's mean ± std
 * over seeds. A method that cannot be set up or fails becomes a row saying why; the others still run.
 */
public final class FewShotExperiment {

    private FewShotExperiment() {
    }

    /** How a run reports progress: {@code label} names the method and seed, {@code steps} the run's length. */
    @FunctionalInterface
    public interface ProgressFactory {
        Progress forRun(String label, int steps);
    }

    /**
     * @param inputsForSeed the split (and test rows) for a seed
     * @param out           runs go to {@code out/<method>/seed-<seed>}, the trained weights to its
     *                      {@code adapter/} (or {@code model/}); with {@code inPlace} and one method and seed,
     *                      the run goes to {@code out} itself and the adapter files lie directly in it
     */
    public static List<ResultRow> run(List<String> methods, List<Long> seeds, LongFunction<FewShotRun.Inputs> inputsForSeed,
                                      Function<String, RunSpec> specFor, Path out, boolean inPlace, boolean resume,
                                      PrintStream log, ProgressFactory progress, Kernels k) throws IOException {
        List<ResultRow> rows = new ArrayList<>();
        List<FewShotRun.Inputs> inputs = new ArrayList<>();
        for (long seed : seeds) {
            inputs.add(inputsForSeed.apply(seed));
        }
        boolean single = inPlace && methods.size() == 1 && seeds.size() == 1;
        for (String method : methods) {
            List<RunOutcome> outcomes = new ArrayList<>();
            String failure = null;
            for (int i = 0; i < seeds.size() && failure == null; i++) {
                long seed = seeds.get(i);
                RunSpec spec = specFor.apply(method);
                Path runDir = single ? out : out.resolve(method).resolve("seed-" + seed);
                Path saveTo = single ? out : runDir.resolve(method.equals(TrainableModel.FULL) ? "model" : "adapter");
                try {
                    RunOutcome o = FewShotRun.run(inputs.get(i), spec, seed, runDir, saveTo, resume,
                            progress.forRun(String.format("%-8s seed %d", method, seed), spec.trainer().totalSteps()), k);
                    outcomes.add(o);
                    Evaluation t = o.test();
                    log.printf("%-12s seed %-4d %s  (%d steps%s)%n", method, seed,
                            t.count() == 0 ? "no test rows" : Double.isNaN(t.accuracy())
                                    ? String.format("test loss %.4f", t.loss())
                                    : String.format("test accuracy %.4f", t.accuracy()),
                            o.result().steps(), o.result().stopReason().equals("early-stop") ? ", stopped early" : "");
                } catch (NonFiniteLossException e) {
                    throw e;
                } catch (RuntimeException e) {
                    if (single) {
                        throw e; // one run: its error is the command's error
                    }
                    failure = "failed: " + e.getMessage();
                    log.println(method + ": " + failure);
                }
            }
            rows.add(failure != null ? ResultRow.missing(method, failure) : summarize(method, outcomes));
        }
        return rows;
    }

    static ResultRow summarize(String method, List<RunOutcome> outcomes) {
        double[] scores = new double[outcomes.size()];
        double secs = 0;
        long peak = 0;
        for (int i = 0; i < scores.length; i++) {
            Evaluation t = outcomes.get(i).test();
            scores[i] = Double.isNaN(t.accuracy()) ? t.loss() : t.accuracy();
            secs += outcomes.get(i).result().secondsPerStep();
            peak = Math.max(peak, outcomes.get(i).result().peakHeapBytes());
        }
        RunOutcome first = outcomes.getFirst();
        List<Integer> devSteps = first.result().dev().stream().map(DevPoint::step).toList();
        List<Double> devLoss = first.result().dev().stream().map(DevPoint::loss).toList();
        return new ResultRow(method, MeanStd.of(scores), first.trainableParams(), first.totalParams(),
                first.savedBytes(), secs / scores.length, peak, null, first.result().losses(), devSteps, devLoss);
    }
}
