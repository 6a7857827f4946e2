package dev.peft4j.peft.fewshot;

/** One row of a few-shot JSONL file, by the keys it has; {@code line} is its 1-based line number. */
public sealed interface DataRow {

    int line();

    /** {@code {"text": ..., "label": ...}}: a labelled text (the label is a string or an integer, kept as text). */
    record Classification(String text, String label, int line) implements DataRow {
    }

    /** {@code {"text": ...}} without a label: causal-LM text, every token scored. */
    record Text(String text, int line) implements DataRow {
    }

    /** {@code {"prompt": ..., "completion": ...}}: the loss falls on the completion only. */
    record Generation(String prompt, String completion, int line) implements DataRow {
    }

    /** {@code {"input_ids": [...], "labels": [...]}}: pre-tokenized, HF's convention (-100 = not scored). */
    record Tokens(int[] inputIds, int[] labels, int line) implements DataRow {
    }

    /** The kind's name as errors and reports spell it. */
    static String kind(DataRow row) {
        return switch (row) {
            case Classification c -> "classification {text, label}";
            case Text t -> "text {text}";
            case Generation g -> "generation {prompt, completion}";
            case Tokens t -> "pre-tokenized {input_ids, labels}";
        };
    }
}
