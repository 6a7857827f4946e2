package dev.peft4j.peft.fewshot;

import dev.peft4j.kernels.Kernels;
import dev.peft4j.peft.report.MeanStd;
import dev.peft4j.peft.report.ResultRow;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * The few-shot protocol over methods and seeds: for each seed a fresh K-shot split (the seed also drives
 * initialisation and data order), each method trained on it, and per method the test score's mean ± std
 * over seeds. A method that cannot be set up or fails becomes a row saying why; the others still run.
 */
public final class FewShotExperiment {

    private FewShotExperiment() {
    }

    /**
     * @param inputsForSeed the split (and test rows) for a seed
     * @param out           runs go to {@code out/<method>/seed-<seed>}
     */
    public static List<ResultRow> run(List<String> methods, List<Long> seeds, LongFunction<FewShotRun.Inputs> inputsForSeed,
                                      java.util.function.Function<String, RunSpec> specFor, Path out, boolean resume,
                                      PrintStream log, boolean progressBars, Kernels k) throws IOException {
        List<ResultRow> rows = new ArrayList<>();
        List<FewShotRun.Inputs> inputs = new ArrayList<>();
        for (long seed : seeds) {
            inputs.add(inputsForSeed.apply(seed));
        }
        for (String method : methods) {
            List<RunOutcome> outcomes = new ArrayList<>();
            String failure = null;
            for (int i = 0; i < seeds.size() && failure == null; i++) {
                long seed = seeds.get(i);
                RunSpec spec = specFor.apply(method);
                Progress progress = progressBars ? Progress.forConsole(log, String.format("%-8s seed %d", method, seed),
                        Math.max(1, spec.trainer().totalSteps() / 4)) : Progress.silent();
                try {
                    RunOutcome o = FewShotRun.run(inputs.get(i), spec, seed, out.resolve(method).resolve("seed-" + seed),
                            resume, progress, k);
                    outcomes.add(o);
                    log.printf("%-12s seed %-4d test %s %.4f  (%d steps, %s)%n", method, seed,
                            Double.isNaN(o.test().accuracy()) ? "loss" : "accuracy",
                            Double.isNaN(o.test().accuracy()) ? o.test().loss() : o.test().accuracy(),
                            o.result().steps(), o.result().stopReason());
                } catch (NonFiniteLossException e) {
                    throw e;
                } catch (RuntimeException e) {
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
