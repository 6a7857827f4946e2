package dev.peft4j.peft.fewshot;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.FrozenBf16;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.core.PeftModel;
import dev.peft4j.peft.lora.ChainOfLora;
import dev.peft4j.peft.sparse.SelectionData;
import dev.peft4j.peft.train.Evaluation;
import dev.peft4j.peft.train.Objective;
import dev.peft4j.peft.train.Progress;
import dev.peft4j.peft.train.RunResult;
import dev.peft4j.peft.train.TrainingLoop;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One training run end to end: load the base model, make it trainable by the method, train on the split
 * with dev early stopping, score the held-out rows, save the adapter (or full weights).
 */
public final class FewShotRun {

    private FewShotRun() {
    }

    /** The training inputs shared by every run of an experiment. */
    public record Inputs(Path modelDir, ModelTokenizer tokenizer, FewShotSplit split, List<DataRow> test,
                         String source) {
    }

    /**
     * @param out     the run's folder: {@code checkpoints/} goes there
     * @param saveTo  where the adapter (or the full model) is written
     * @param resume  continue from the newest checkpoint in {@code out/checkpoints}
     */
    public static RunOutcome run(Inputs in, RunSpec spec, long seed, Path out, Path saveTo, boolean resume,
                                 Progress progress, Kernels k) throws IOException {
        Gpt2Model gpt2 = Gpt2Model.fromPretrained(in.modelDir(), k);
        long totalBase = gpt2.parameterCount();
        Rng rng = new Rng(seed);
        int padId = in.tokenizer().padId();
        boolean classify = in.split().train().getFirst() instanceof DataRow.Classification;
        MethodOptions o = spec.options();
        int evalBatch = spec.trainer().batchSize() * 4;
        Module module;
        Objective objective;
        String head = null;
        String taskType = "CAUSAL_LM";
        if (classify) {
            List<String> labels = FewShotSplit.labels(in.split().train());
            PromptTemplate template = spec.kind() == ClassifierKind.PROMPT
                    ? PromptTemplate.withLabelWords(spec.template(), labels, spec.labelWords(), in.tokenizer()::encode)
                    : new PromptTemplate(spec.template(), labels, null);
            FewShotClassifier classifier = new FewShotClassifier(gpt2, spec.kind(), labels.size(),
                    template.labelWordIds(), k, rng.fork());
            module = classifier;
            head = spec.kind().moduleName();
            taskType = spec.kind() == ClassifierKind.PROMPT ? "CAUSAL_LM" : "SEQ_CLS";
            objective = new ClassificationObjective(classifier, in.split(), in.test(), labels, template,
                    in.tokenizer()::encode, padId, evalBatch);
        } else {
            module = gpt2;
            objective = new CausalLmObjective(gpt2, in.split(), in.test(), in.tokenizer()::encode, in.source(), padId,
                    evalBatch);
        }
        module.eval(); // no dropout unless asked for: a run is then a pure function of its seed, which resume relies on
        Objective trained = objective;
        if (o.bf16Base()) {
            checkBf16Base(spec.method());
        }
        TrainableModel model = TrainableModel.prepare(module, spec.method(), o, head, taskType,
                in.modelDir().toString(), () -> selectionData(module, trained, spec.trainer().batchSize()), k, rng.fork());
        // Loading's garbage (each tensor's host array) goes before the cast and training grow the heap around it:
        // a generational collector that promoted it keeps it until a full collection.
        System.gc();
        if (o.bf16Base()) {
            // After injection and freezing, so PiSSA/DoRA/sparse initialisation read the float32 base.
            FrozenBf16.cast(module);
            System.gc(); // and the float32 originals
        }
        if (o.dropout() > 0) {
            objective = new TrainMode(objective, module);
        }
        module.eval();
        long trainable = model.trainableCount();
        String extra = spec.method() + " " + (classify ? spec.kind().cliName() : "causal-lm") + " " + o.fingerprint()
                + " template=" + spec.template() + " words=" + spec.labelWords() + " train=" + in.split().train().size();
        TrainingLoop loop = new TrainingLoop(spec.trainer().withSeed(seed), out.resolve("checkpoints"), progress, extra);
        if (spec.method().equals("cola")) {
            if (spec.trainer().checkpointEvery() > 0 || resume) {
                throw new IllegalArgumentException("cola folds each link into the base weights, which a checkpoint"
                        + " does not hold: --checkpoint-every and --resume do not apply to it");
            }
            int steps = spec.trainer().totalSteps();
            ChainOfLora chain = new ChainOfLora(model.peft(), PeftModel.DEFAULT_ADAPTER,
                    o.colaEvery() > 0 ? o.colaEvery() : Math.max(1, steps / 3), rng.fork());
            loop.onStep((step, loss) -> chain.afterStep(step, steps));
        }
        RunResult result = loop.train(model::trainable, objective, resume);
        Evaluation test = objective.evaluateTest();
        long bytes = model.save(saveTo, gpt2.config().toJson());
        return new RunOutcome(spec.method(), seed, result, test, trainable,
                Math.max(totalBase, model.model().parameterCount()), bytes, saveTo);
    }

    /** Methods that write into the base weights cannot run on a read-only bf16 base. */
    public static void checkBf16Base(String method) {
        if (method.equals(TrainableModel.FULL) || method.equals("cola")) {
            throw new IllegalArgumentException("--base-dtype bf16 keeps the frozen base weights read-only in bf16, but"
                    + " method " + method + (method.equals("cola") ? " folds each link into the base weights"
                    : " trains every weight") + ": use --base-dtype f32");
        }
    }

    /** One pass over the training examples in order, a batch at a time, for a data-dependent sparse selection. */
    private static SelectionData selectionData(Module model, Objective objective, int batchSize) {
        List<int[]> batches = new ArrayList<>();
        int[] all = new int[objective.trainSize()];
        Arrays.setAll(all, i -> i);
        for (int from = 0; from < all.length; from += batchSize) {
            batches.add(Arrays.copyOfRange(all, from, Math.min(all.length, from + batchSize)));
        }
        return SelectionData.of(model, batches, objective::trainLoss);
    }

    /** Trains with dropout on (train mode) and evaluates without (eval mode). */
    private record TrainMode(Objective inner, Module model) implements Objective {
        public int trainSize() {
            return inner.trainSize();
        }

        public Tensor trainLoss(int[] indices) {
            model.train(true);
            return inner.trainLoss(indices);
        }

        public long tokens(int[] indices) {
            return inner.tokens(indices);
        }

        public boolean hasDev() {
            return inner.hasDev();
        }

        public Evaluation evaluateDev() {
            model.eval();
            return inner.evaluateDev();
        }

        public Evaluation evaluateTest() {
            model.eval();
            return inner.evaluateTest();
        }
    }
}
