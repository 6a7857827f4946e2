package dev.peft4j.peft.fewshot;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Functional;
import dev.peft4j.engine.StepScope;
import dev.peft4j.engine.Tensor;
import dev.peft4j.peft.train.Evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Classification rows as a training objective: cross-entropy over the classes of a {@link FewShotClassifier}. */
public final class ClassificationObjective extends SplitObjective<ClassificationObjective.Example> {

    /** One encoded row: its token ids and class index. */
    record Example(int[] ids, int label) {
    }

    private final FewShotClassifier model;

    /**
     * @param encode text (already put through the template) to token ids
     * @param labels the class names, in class-index order
     */
    public ClassificationObjective(FewShotClassifier model, FewShotSplit split, List<DataRow> test, List<String> labels,
                                   PromptTemplate template, Function<String, int[]> encode, int padId, int evalBatch) {
        int max = model.transformer().config().nPositions();
        super(encode(split.train(), labels, template, encode, max), encode(split.dev(), labels, template, encode, max),
                encode(test, labels, template, encode, max), padId, evalBatch);
        this.model = model;
    }

    private static List<Example> encode(List<DataRow> rows, List<String> labels, PromptTemplate template,
                                        Function<String, int[]> encode, int max) {
        List<Example> out = new ArrayList<>();
        for (DataRow r : rows) {
            DataRow.Classification c = (DataRow.Classification) r;
            int label = labels.indexOf(c.label());
            if (label < 0) {
                throw new IllegalArgumentException("line " + r.line() + ": label \"" + c.label()
                        + "\" is not one of the training labels " + labels);
            }
            int[] ids = encode.apply(template.apply(c.text()));
            if (ids.length == 0) {
                throw new IllegalArgumentException("line " + r.line() + ": the text encodes to no tokens");
            }
            if (ids.length > max) { // keep the end, where the template's cue and the scored token are
                ids = java.util.Arrays.copyOfRange(ids, ids.length - max, ids.length);
            }
            out.add(new Example(ids, label));
        }
        return out;
    }

    @Override
    public Tensor trainLoss(int[] indices) {
        List<Example> batch = trainBatch(indices);
        return Functional.crossEntropy(logits(batch), labels(batch));
    }

    @Override
    protected int length(Example example) {
        return example.ids().length;
    }

    public int testSize() {
        return test.size();
    }

    @Override
    protected Evaluation evaluate(List<Example> examples) {
        if (examples.isEmpty()) {
            return new Evaluation(Double.NaN, Double.NaN, 0);
        }
        double lossSum = 0;
        int correct = 0;
        int classes = model.classes();
        try (var ignored = Autograd.noGrad()) {
            for (int from = 0; from < examples.size(); from += evalBatch) {
                List<Example> batch = examples.subList(from, Math.min(examples.size(), from + evalBatch));
                int[] labels = labels(batch);
                float[] v;
                try (StepScope pass = StepScope.openForInference()) { // this batch's activations serve the next
                    Tensor logits = logits(batch);
                    lossSum += Functional.crossEntropy(logits, labels).item() * batch.size();
                    v = logits.toArray();
                }
                for (int b = 0; b < batch.size(); b++) {
                    int best = 0;
                    for (int c = 1; c < classes; c++) {
                        if (v[b * classes + c] > v[b * classes + best]) {
                            best = c;
                        }
                    }
                    correct += best == labels[b] ? 1 : 0;
                }
            }
        }
        return new Evaluation(lossSum / examples.size(), correct / (double) examples.size(), examples.size());
    }

    private Tensor logits(List<Example> batch) {
        int seq = 0;
        for (Example e : batch) {
            seq = Math.max(seq, e.ids().length);
        }
        int[] ids = new int[batch.size() * seq];
        java.util.Arrays.fill(ids, padId);
        int[] last = new int[batch.size()];
        for (int b = 0; b < batch.size(); b++) {
            int[] x = batch.get(b).ids();
            System.arraycopy(x, 0, ids, b * seq, x.length);
            last[b] = x.length - 1;
        }
        return model.logits(ids, batch.size(), seq, last);
    }

    private static int[] labels(List<Example> batch) {
        int[] out = new int[batch.size()];
        for (int b = 0; b < out.length; b++) {
            out[b] = batch.get(b).label();
        }
        return out;
    }
}
