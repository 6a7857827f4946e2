package dev.peft4j.peft.fewshot;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.StepScope;
import dev.peft4j.engine.Tensor;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.train.Batch;
import dev.peft4j.peft.train.Evaluation;
import dev.peft4j.peft.train.TrainingExample;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Generation and pre-tokenized rows as a causal-LM objective: {@code prompt + completion} with the loss on
 * the completion only, or {@code input_ids} scored where {@code labels} is not -100. Scored by mean loss.
 */
public final class CausalLmObjective extends SplitObjective<TrainingExample> {

    private final Gpt2Model model;

    public CausalLmObjective(Gpt2Model model, FewShotSplit split, List<DataRow> test, Function<String, int[]> encode,
                             String source, int padId, int evalBatch) {
        int max = model.config().nPositions();
        int vocab = model.config().vocabSize();
        super(encode(split.train(), encode, max, vocab, source), encode(split.dev(), encode, max, vocab, source),
                encode(test, encode, max, vocab, source), padId, evalBatch);
        this.model = model;
    }

    /** Rows as examples, checked against the vocabulary and cut to {@code max} positions. */
    public static List<TrainingExample> encode(List<DataRow> rows, Function<String, int[]> encode, int max, int vocab,
                                        String source) {
        List<TrainingExample> out = new ArrayList<>();
        for (DataRow r : rows) {
            String where = source + ":" + r.line();
            int[] ids;
            int[] labels;
            switch (r) {
                case DataRow.Generation g -> {
                    int[] p = encode.apply(g.prompt());
                    int[] c = encode.apply(g.completion());
                    ids = new int[p.length + c.length];
                    System.arraycopy(p, 0, ids, 0, p.length);
                    System.arraycopy(c, 0, ids, p.length, c.length);
                    labels = ids.clone();
                    Arrays.fill(labels, 0, p.length, Batch.IGNORE_INDEX);
                }
                case DataRow.Text t -> {
                    try {
                        ids = encode.apply(t.text());
                    } catch (RuntimeException e) {
                        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
                    }
                    labels = ids.clone();
                }
                case DataRow.Tokens t -> {
                    ids = t.inputIds();
                    labels = t.labels();
                }
                case DataRow.Classification c -> throw new IllegalArgumentException(where
                        + ": a classification row where causal-LM rows were expected");
            }
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] >= vocab || (labels[i] != Batch.IGNORE_INDEX && labels[i] >= vocab)) {
                    throw new IllegalArgumentException(where + ": token id " + Math.max(ids[i], labels[i])
                            + " at position " + i + " is outside the vocabulary [0, " + vocab + ")");
                }
            }
            if (ids.length > max) {
                ids = Arrays.copyOf(ids, max);
                labels = Arrays.copyOf(labels, max);
            }
            boolean scored = false;
            for (int i = 1; i < labels.length; i++) {
                scored |= labels[i] != Batch.IGNORE_INDEX;
            }
            if (!scored) {
                throw new IllegalArgumentException(where + ": no scored tokens (every label after the first is -100"
                        + (ids.length == max ? " within the model's " + max + " positions)" : ")"));
            }
            out.add(new TrainingExample(ids, labels));
        }
        return out;
    }

    @Override
    public Tensor trainLoss(int[] indices) {
        Batch b = Batch.collate(trainBatch(indices), padId);
        return model.loss(b.inputIds(), b.labels(), b.batch(), b.seq());
    }

    @Override
    protected int length(TrainingExample example) {
        return example.length();
    }

    @Override
    protected Evaluation evaluate(List<TrainingExample> examples) {
        if (examples.isEmpty()) {
            return new Evaluation(Double.NaN, Double.NaN, 0);
        }
        double sum = 0;
        long counted = 0;
        try (var ignored = Autograd.noGrad()) {
            for (int from = 0; from < examples.size(); from += evalBatch) {
                Batch b = Batch.collate(examples.subList(from, Math.min(examples.size(), from + evalBatch)), padId);
                long n = 0;
                for (int i = 0; i < b.batch(); i++) {
                    for (int t = 1; t < b.seq(); t++) {
                        n += b.labels()[i * b.seq() + t] != Batch.IGNORE_INDEX ? 1 : 0;
                    }
                }
                try (StepScope pass = StepScope.openForInference()) { // this batch's activations serve the next
                    sum += model.loss(b.inputIds(), b.labels(), b.batch(), b.seq()).item() * n;
                }
                counted += n;
            }
        }
        return new Evaluation(sum / counted, Double.NaN, examples.size());
    }
}
