package dev.peft4j.peft.cli;

import dev.peft4j.engine.json.Json;
import dev.peft4j.peft.TinyModels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A copy of the tiny HF GPT-2 fixture (vocab 97, n_positions 32) with a tokenizer that fits its vocabulary:
 * one token per printable ASCII character ('!'..'~' = ids 0..93), space 'Ġ' = 94, newline 'Ċ' = 95 and
 * {@code <|endoftext|>} = 96, no merges.
 */
final class TinyCheckpointDir {

    static final int SPACE = 94;
    static final int EOS = 96;

    private TinyCheckpointDir() {
    }

    static Path create(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(TinyModels.goldenCheckpoint().resolve(name), dir.resolve(name));
        }
        Map<String, Object> vocab = Json.newObject();
        for (char c = '!'; c <= '~'; c++) {
            vocab.put(String.valueOf(c), (long) (c - '!'));
        }
        vocab.put("\u0120", (long) SPACE);
        vocab.put("\u010A", 95L);
        vocab.put("<|endoftext|>", (long) EOS);
        Files.writeString(dir.resolve("vocab.json"), Json.write(vocab));
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n");
        return dir;
    }

    /** The ids this tokenizer gives printable ASCII text, computed by hand. */
    static int[] ids(String text) {
        int[] ids = new int[text.length()];
        for (int i = 0; i < ids.length; i++) {
            char c = text.charAt(i);
            ids[i] = c == ' ' ? SPACE : c - '!';
        }
        return ids;
    }
}
