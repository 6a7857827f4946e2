package dev.peft4j.peft.train;

import dev.peft4j.peft.fewshot.CausalLmObjective;
import dev.peft4j.peft.fewshot.FewShotJsonl;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * Causal-LM examples from JSON Lines, read as {@code finetune} reads them ({@link FewShotJsonl}): each
 * non-blank line is {@code {"text": ...}} (every token scored), {@code {"prompt": ..., "completion": ...}}
 * (the completion scored) or {@code {"input_ids": [...], "labels": [...]}} (labels optional: default the
 * ids). A bad row is an error naming the file and line.
 */
public final class JsonlDataset {

    private JsonlDataset() {
    }

    /**
     * @param tokenizer text -> ids, asked for only when a text row appears (may be null when there are none)
     * @param vocabSize ids must lie in [0, vocabSize)
     */
    public static List<TrainingExample> read(Path file, Function<String, int[]> tokenizer, int vocabSize)
            throws IOException {
        Function<String, int[]> encode = tokenizer != null ? tokenizer : text -> {
            throw new IllegalArgumentException("a text row needs a tokenizer, and the model has none");
        };
        return CausalLmObjective.encode(FewShotJsonl.readStrict(file), encode, Integer.MAX_VALUE, vocabSize,
                file.toString());
    }
}
