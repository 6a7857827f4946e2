package dev.peft4j.peft.train;

import dev.peft4j.engine.StepScope;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.optim.GradClip;
import dev.peft4j.engine.optim.LrSchedule;
import dev.peft4j.engine.optim.Optimizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The one training loop: seeded epoch order, loss, backward, optional global-norm clipping, schedule, step;
 * dev evaluation with early stopping (the dev-best tensors are put back at the end); checkpoints every N
 * updates that a later run resumes to the same result as an uninterrupted one; a non-finite loss stops the
 * run naming the step and the last good checkpoint. A hook after each update may ask for a fresh optimizer
 * (Chain of LoRA restarts its factors and their moments).
 *
 * <p>Resuming reproduces a run bit for bit when the model has no dropout (eval mode): a run is then a pure
 * function of its settings and seed.
 */
public final class TrainingLoop {

    /** Runs after update {@code step} (0-based); returns true when the optimizer must be rebuilt. */
    @FunctionalInterface
    public interface StepHook {
        boolean afterStep(int step, float loss);
    }

    private final TrainerSettings settings;
    private final Path checkpointDir;
    private final Progress progress;
    private final String fingerprintExtra;
    private StepHook hook;

    /**
     * @param checkpointDir    where checkpoints go and are resumed from (null: no checkpoints, no resume)
     * @param fingerprintExtra what else must match on resume (method, data), or null
     */
    public TrainingLoop(TrainerSettings settings, Path checkpointDir, Progress progress, String fingerprintExtra) {
        this.settings = settings;
        this.checkpointDir = checkpointDir;
        this.progress = progress;
        this.fingerprintExtra = fingerprintExtra;
    }

    /** Calls {@code h} after every update; returns this. */
    public TrainingLoop onStep(StepHook h) {
        this.hook = h;
        return this;
    }

    /**
     * The plain loop over a stream of batches: {@code settings.totalSteps()} updates, no dev split, no
     * checkpoints; returns the loss of each update (measured before it).
     *
     * @param params the tensors to train, asked again whenever the hook rebuilds the optimizer
     */
    public static <B> List<Float> run(Supplier<List<Tensor>> params, Supplier<B> batches, Function<B, Tensor> loss,
                                      OptimizerSettings settings, StepHook hook) {
        TrainerSettings ts = new TrainerSettings(settings, 1, 0, 0, 0, 0);
        Objective stream = new Objective() {
            public int trainSize() {
                return 1;
            }

            public Tensor trainLoss(int[] indices) {
                return loss.apply(batches.get());
            }

            public long tokens(int[] indices) {
                return 0;
            }

            public boolean hasDev() {
                return false;
            }

            public Evaluation evaluateDev() {
                throw new IllegalStateException("a batch stream has no dev split");
            }

            public Evaluation evaluateTest() {
                throw new IllegalStateException("a batch stream has no test split");
            }
        };
        try {
            return new TrainingLoop(ts, null, Progress.silent(), null).onStep(hook)
                    .train(() -> numbered(params.get()), stream, false).losses();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // unreachable: no checkpoint directory
        }
    }

    private static Map<String, Tensor> numbered(List<Tensor> list) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            out.put(Integer.toString(i), list.get(i));
        }
        return out;
    }

    /** Trains {@code params} (by name, every one requiring grad) on {@code objective}. */
    public RunResult train(Map<String, Tensor> params, Objective objective, boolean resume) throws IOException {
        return train(() -> params, objective, resume);
    }

    /**
     * Trains the tensors {@code params} names on {@code objective}.
     *
     * @param params the tensors to train by name, asked again whenever the hook rebuilds the optimizer
     * @param resume continue from the newest checkpoint in the checkpoint directory, if there is one
     */
    public RunResult train(Supplier<Map<String, Tensor>> params, Objective objective, boolean resume) throws IOException {
        Map<String, Tensor> named = new LinkedHashMap<>(params.get());
        if (named.isEmpty()) {
            throw new IllegalStateException("nothing to train: no parameter requires grad");
        }
        OptimizerSettings os = settings.optimizer();
        Optimizer optimizer = os.create(new ArrayList<>(named.values()));
        LrSchedule schedule = os.lrSchedule();
        EpochOrder order = new EpochOrder(settings.seed(), objective.trainSize(), settings.batchSize(), settings.shuffle());
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
                Checkpoints.restore(named, saved, optimizer);
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
            int step = state.step + 1;
            float value;
            // The step's activations go back to the backend's pool when it ends, for the next step's forward.
            try (StepScope ignored = StepScope.open()) {
                Tensor loss;
                try {
                    loss = objective.trainLoss(batch);
                    value = loss.item();
                } catch (ArithmeticException e) { // an op's own finiteness check (cross-entropy checks its loss)
                    optimizer.zeroGrad();
                    progress.done();
                    throw new NonFiniteLossException(step, e.getMessage(), lastCheckpoint, e);
                }
                if (!Float.isFinite(value)) {
                    optimizer.zeroGrad();
                    progress.done();
                    throw new NonFiniteLossException(step, value, lastCheckpoint);
                }
                loss.backward();
                if (os.gradClip() > 0) {
                    GradClip.clipGlobalNorm(new ArrayList<>(named.values()), os.gradClip());
                }
                schedule.apply(optimizer, os.lr(), state.step);
                optimizer.step();
            }
            optimizer.zeroGrad();
            state.losses.add(value);
            state.step = step;
            state.epoch = order.epoch();
            state.position = order.position();
            if (hook != null && hook.afterStep(step - 1, value)) {
                named = new LinkedHashMap<>(params.get());
                optimizer = os.create(new ArrayList<>(named.values()));
            }
            long dt = System.nanoTime() - t0;
            trainNanos += dt;
            stepsHere++;
            tokens += objective.tokens(batch);
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
                lastCheckpoint = Checkpoints.save(checkpointDir, state, named, optimizer, best);
                progress.note("  checkpoint " + lastCheckpoint);
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
}
