package dev.peft4j.peft.fewshot;

import dev.peft4j.engine.Rng;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.models.tokenizer.ByteLevelBpeTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One few-shot run end to end: load the base model, make it trainable by the method, train on the split
 * with dev early stopping, score the held-out rows, save the adapter (or full weights) under {@code out}.
 */
public final class FewShotRun {

    private FewShotRun() {
    }

    /** The training inputs shared by every run of an experiment. */
    public record Inputs(Path modelDir, ByteLevelBpeTokenizer tokenizer, FewShotSplit split, List<DataRow> test,
                         String source) {
    }

    /**
     * @param out        the run's folder: {@code adapter/} and, with checkpointing, {@code checkpoints/}
     * @param resume     continue from the newest checkpoint in {@code out/checkpoints}
     */
    public static RunOutcome run(Inputs in, RunSpec spec, long seed, Path out, boolean resume, Progress progress,
                                 Kernels k) throws IOException {
        Gpt2Model gpt2 = Gpt2Model.fromPretrained(in.modelDir(), k);
        gpt2.eval(); // no dropout: a run is a pure function of its seed, which resume relies on
        long totalBase = gpt2.parameterCount();
        Rng rng = new Rng(seed);
        int padId = padId(in.tokenizer());
        boolean classify = in.split().train().getFirst() instanceof DataRow.Classification;
        TrainableModel model;
        Objective objective;
        String extra = spec.method() + " " + (classify ? spec.kind().cliName() : "causal-lm") + " r=" + spec.r()
                + " alpha=" + spec.alpha() + " targets=" + spec.targets() + " template=" + spec.template()
                + " words=" + spec.labelWords() + " train=" + in.split().train().size();
        if (classify) {
            List<String> labels = FewShotSplit.labels(in.split().train());
            PromptTemplate template = spec.kind() == ClassifierKind.PROMPT
                    ? PromptTemplate.withLabelWords(spec.template(), labels, spec.labelWords(), in.tokenizer()::encode)
                    : new PromptTemplate(spec.template(), labels, null);
            FewShotClassifier classifier = new FewShotClassifier(gpt2, spec.kind(), labels.size(),
                    template.labelWordIds(), k, rng.fork());
            classifier.eval();
            model = TrainableModel.prepare(classifier, spec.method(), spec.r(), spec.alpha(), spec.targets(),
                    spec.kind().moduleName(), spec.kind() == ClassifierKind.PROMPT ? "CAUSAL_LM" : "SEQ_CLS",
                    in.modelDir().toString(), k, rng.fork());
            objective = new ClassificationObjective(classifier, in.split(), in.test(), labels, template,
                    in.tokenizer()::encode, padId, spec.trainer().batchSize() * 4);
        } else {
            model = TrainableModel.prepare(gpt2, spec.method(), spec.r(), spec.alpha(), spec.targets(), null,
                    "CAUSAL_LM", in.modelDir().toString(), k, rng.fork());
            objective = new CausalLmObjective(gpt2, in.split(), in.test(), in.tokenizer()::encode, in.source(), padId,
                    spec.trainer().batchSize() * 4);
        }
        model.model().eval();
        long trainable = model.trainableCount();
        FewShotTrainer trainer = new FewShotTrainer(spec.trainer().withSeed(seed), out.resolve("checkpoints"), progress, extra);
        RunResult result = trainer.train(model.trainable(), objective, resume);
        Evaluation test = objective.evaluateTest();
        Path saved = out.resolve(model.peft() != null ? "adapter" : "model");
        long bytes = model.save(saved, gpt2.config().toJson());
        return new RunOutcome(spec.method(), seed, result, test, trainable,
                Math.max(totalBase, model.model().parameterCount()), bytes, saved);
    }

    /** The tokenizer's {@code <|endoftext|>} as padding (never scored), else id 0. */
    static int padId(ByteLevelBpeTokenizer tokenizer) {
        int eos = tokenizer.tokenToId("<|endoftext|>");
        return eos >= 0 ? eos : 0;
    }
}
