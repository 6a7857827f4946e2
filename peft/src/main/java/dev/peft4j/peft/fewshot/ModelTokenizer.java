package dev.peft4j.peft.fewshot;

import dev.peft4j.models.tokenizer.ByteLevelBpeTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A checkpoint's byte-level BPE tokenizer, loaded on first use: pre-tokenized data needs none, so a
 * checkpoint without {@code vocab.json} still trains on {@code input_ids} rows.
 */
public final class ModelTokenizer {

    private static final String EOS = "<|endoftext|>";

    private final Path dir;
    private ByteLevelBpeTokenizer tokenizer;

    public ModelTokenizer(Path dir) {
        this.dir = dir;
    }

    /** Text to token ids; fails naming the directory when it has no tokenizer. */
    public int[] encode(String text) {
        return load().encode(text);
    }

    /** {@code <|endoftext|>} as padding (never scored), else id 0; 0 without a tokenizer. */
    public int padId() {
        if (tokenizer == null && !Files.exists(dir.resolve("vocab.json"))) {
            return 0;
        }
        int eos = load().tokenToId(EOS);
        return eos >= 0 ? eos : 0;
    }

    private ByteLevelBpeTokenizer load() {
        if (tokenizer == null) {
            try {
                tokenizer = ByteLevelBpeTokenizer.fromDirectory(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(dir + ": cannot load the tokenizer for text rows: " + e.getMessage(), e);
            }
        }
        return tokenizer;
    }
}
