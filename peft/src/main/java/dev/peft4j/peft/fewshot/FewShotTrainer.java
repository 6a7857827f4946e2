package dev.peft4j.peft.fewshot;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.optim.GradClip;
import dev.peft4j.engine.optim.LrSchedule;
import dev.peft4j.engine.optim.Optimizer;
import dev.peft4j.peft.train.OptimizerSettings;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The few-shot training loop: seeded epoch order, loss, backward, clipping, schedule, step; dev evaluation
 * with early stopping (the dev-best tensors are put back at the end); checkpoints every N updates that a
 * later run resumes to the same result as an uninterrupted one; a non-finite loss stops the run.
 *
 * <p>The model must be in eval mode (no dropout): a run is then a pure function of its settings and seed.
 */
public final class FewShotTrainer {

    private final TrainerSettings settings;
    private final Path checkpointDir;
    private final Progress progress;
    private final String fingerprintExtra;

    /**
     * @param checkpointDir where checkpoints go and are resumed from (null: no checkpoints, no resume)
     * @param fingerprintExtra what else must match on resume (method, data), or null
     */
    public FewShotTrainer(TrainerSettings settings, Path checkpointDir, Progress progress, String fingerprintExtra) {
        this.settings = settings;
        this.checkpointDir = checkpointDir;
        this.progress = progress;
        this.fingerprintExtra = fingerprintExtra;
    }

    /**
     * Trains {@code params} (by name, every one requiring grad) on {@code objective}.
     *
     * @param resume continue from the newest checkpoint in the checkpoint directory, if there is one
     */
    public RunResult train(Map<String, Tensor> params, Objective objective, boolean resume) throws IOException {
        if (params.isEmpty()) {
            throw new IllegalStateException("nothing to train: no parameter requires grad");
        }
        Map<String, Tensor> named = new LinkedHashMap<>(params);
        List<Tensor> list = new ArrayList<>(named.values());
        OptimizerSettings os = settings.optimizer();
        ResumableAdamW adam = os.optimizer().equals("adamw")
                ? new ResumableAdamW(list, os.lr(), 0.9f, 0.999f, 1e-8f, os.weightDecay()) : null;
        Optimizer optimizer = adam != null ? adam : os.create(list);
        LrSchedule schedule = os.lrSchedule();
        EpochOrder order = new EpochOrder(settings.seed(), objective.trainSize(), settings.batchSize());
        TrainerState state = new TrainerState();
        state.fingerprint = settings.fingerprint(fingerprintExtra);
        Map<String, float[]> best = null;
        Path lastCheckpoint = null;
        if (resume) {
            if (checkpointDir == null) {
                throw new IllegalArgumentException("--resume needs a checkpoint directory");
            }
            lastCheckpoint = Checkpoints.latest(checkpointDir);
            if (lastCheckpoint != null) {
                Checkpoints.Saved saved = Checkpoints.load(lastCheckpoint);
                if (!saved.state().fingerprint.equals(state.fingerprint)) {
                    throw new IllegalArgumentException(lastCheckpoint + " was written by a run with other settings ("
                            + saved.state().fingerprint + "); this run has (" + state.fingerprint + ")");
                }
                state = saved.state();
                Checkpoints.restore(named, saved.params(), lastCheckpoint);
                restoreOptimizer(adam, named, saved, lastCheckpoint);
                best = saved.best();
                order.seek(state.epoch, state.position);
                progress.note("resuming from " + lastCheckpoint + " at step " + state.step);
            }
        }
        PeakMemory.reset();
        int total = settings.totalSteps();
        long tokens = 0;
        long trainNanos = 0;
        int stepsHere = 0;
        String stop = "steps";
        while (state.step < total) {
            long t0 = System.nanoTime();
            int[] batch = order.next();
            optimizer.zeroGrad();
            Tensor loss = objective.trainLoss(batch);
            float value = loss.item();
            int step = state.step + 1;
            if (!Float.isFinite(value)) {
                optimizer.zeroGrad();
                progress.done();
                throw new NonFiniteLossException(step, value, lastCheckpoint);
            }
            loss.backward();
            if (os.gradClip() > 0) {
                GradClip.clipGlobalNorm(list, os.gradClip());
            }
            schedule.apply(optimizer, os.lr(), state.step);
            optimizer.step();
            optimizer.zeroGrad();
            state.losses.add(value);
            state.step = step;
            state.epoch = order.epoch();
            state.position = order.position();
            long dt = System.nanoTime() - t0;
            trainNanos += dt;
            stepsHere++;
            long batchTokens = objective.tokens(batch);
            tokens += batchTokens;
            double secs = trainNanos / 1e9;
            progress.step(step, total, value, tokens / Math.max(secs, 1e-9), secs / stepsHere * (total - step));

            boolean evalNow = objective.hasDev()
                    && ((settings.evalEvery() > 0 && step % settings.evalEvery() == 0) || step == total);
            if (evalNow) {
                Evaluation e = objective.evaluateDev();
                DevPoint p = new DevPoint(step, e.loss(), e.accuracy());
                DevPoint prev = state.best();
                state.dev.add(p);
                if (p.betterThan(prev)) {
                    state.bestIndex = state.dev.size() - 1;
                    state.evalsSinceBest = 0;
                    best = snapshot(named);
                } else {
                    state.evalsSinceBest++;
                }
                progress.note(String.format("  dev @%d: loss %.4f%s%s", step, e.loss(),
                        Double.isNaN(e.accuracy()) ? "" : String.format(", accuracy %.3f", e.accuracy()),
                        state.bestIndex == state.dev.size() - 1 ? " (best)" : ""));
                if (settings.patience() > 0 && state.evalsSinceBest >= settings.patience() && step < total) {
                    stop = "early-stop";
                }
            }
            if (checkpointDir != null && settings.checkpointEvery() > 0 && step % settings.checkpointEvery() == 0) {
                state.adamSteps = adamSteps(adam);
                lastCheckpoint = Checkpoints.save(checkpointDir, state, named, adam, best);
            }
            if (stop.equals("early-stop")) {
                progress.note("  early stop at step " + step + ": no dev improvement in " + settings.patience()
                        + " evaluations");
                break;
            }
        }
        progress.done();
        if (best != null) {
            for (Map.Entry<String, Tensor> e : named.entrySet()) {
                e.getValue().copyFrom(best.get(e.getKey()));
            }
        }
        return new RunResult(state.losses, state.dev, state.best(), stop,
                stepsHere == 0 ? 0 : trainNanos / 1e9 / stepsHere, PeakMemory.peakBytes(), tokens);
    }

    private static Map<String, float[]> snapshot(Map<String, Tensor> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((name, t) -> out.put(name, t.toArray()));
        return out;
    }

    private static int[] adamSteps(ResumableAdamW adam) {
        if (adam == null) {
            return new int[0];
        }
        int[] s = new int[adam.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = adam.steps(i);
        }
        return s;
    }

    private static void restoreOptimizer(ResumableAdamW adam, Map<String, Tensor> named, Checkpoints.Saved saved,
                                         Path source) {
        int[] steps = saved.state().adamSteps;
        if (adam == null) {
            return;
        }
        if (steps.length != adam.size()) {
            throw new IllegalArgumentException(source + ": optimizer state for " + steps.length + " tensors, the run has "
                    + adam.size());
        }
        int i = 0;
        for (String name : named.keySet()) {
            adam.restore(i, steps[i], saved.moments().get("m." + name), saved.moments().get("v." + name));
            i++;
        }
    }
}
