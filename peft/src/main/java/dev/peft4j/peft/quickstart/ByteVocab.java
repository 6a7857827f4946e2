package dev.peft4j.peft.quickstart;

import dev.peft4j.engine.json.Json;
import dev.peft4j.peft.core.AdapterFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A byte-level vocabulary with no merges: id b is byte b (spelled with GPT-2's byte-to-Unicode map, so
 * the project's BPE tokenizer reads it), and id 256 is {@code <|endoftext|>}. Every UTF-8 text encodes.
 */
public final class ByteVocab {

    public static final int SIZE = 257;
    public static final int EOS = 256;
    public static final String EOS_TOKEN = "<|endoftext|>";

    private ByteVocab() {
    }

    /** GPT-2's {@code bytes_to_unicode}: printable Latin-1 bytes as themselves, the other 68 from U+0100 on. */
    static char charOf(int b) {
        boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable) {
            return (char) b;
        }
        int next = 256;
        for (int x = 0; x < b; x++) {
            boolean p = (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
            if (!p) {
                next++;
            }
        }
        return (char) next;
    }

    /** Writes {@code vocab.json} and an empty {@code merges.txt} into {@code dir}, each atomically. */
    public static void write(Path dir) throws IOException {
        Map<String, Object> vocab = Json.newObject();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(charOf(b)), (long) b);
        }
        vocab.put(EOS_TOKEN, (long) EOS);
        AdapterFiles.writeAtomically(dir.resolve("vocab.json"), Json.write(vocab) + "\n");
        AdapterFiles.writeAtomically(dir.resolve("merges.txt"), "#version: 0.2\n");
    }
}
