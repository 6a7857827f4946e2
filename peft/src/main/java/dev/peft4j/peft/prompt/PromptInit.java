package dev.peft4j.peft.prompt;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.models.tokenizer.ByteLevelBpeTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The initial virtual-token embeddings of prompt tuning, as HF's {@code PromptEmbedding.__init__}. */
final class PromptInit {

    private PromptInit() {
    }

    /** [P·C] row-major: rows of {@code vocab} [V, C] at the init ids, or N(0, 1) for RANDOM. */
    static float[] promptRows(PromptTuningConfig c, Tensor vocab, Rng rng) {
        int p = c.numVirtualTokens();
        int dim = vocab.dim(1);
        if (c.inferenceMode()) {
            return new float[p * dim]; // HF skips the init when loading for inference: the file supplies the values
        }
        int[] ids = switch (c.promptTuningInit()) {
            case "RANDOM" -> null;
            case "SAMPLE_VOCAB" -> {
                int[] r = new int[p];
                for (int i = 0; i < p; i++) {
                    r[i] = rng.nextInt(vocab.dim(0));
                }
                yield r;
            }
            case "TEXT" -> repeatToLength(textIds(c), p);
            default -> throw new IllegalStateException(c.promptTuningInit());
        };
        if (ids == null) {
            return rng.normal(p * dim, 0, 1);
        }
        float[] table = vocab.toArray();
        float[] out = new float[p * dim];
        for (int i = 0; i < p; i++) {
            if (ids[i] < 0 || ids[i] >= vocab.dim(0)) {
                throw new IllegalArgumentException("PROMPT_TUNING init: token id " + ids[i] + " is outside the vocabulary [0, "
                        + vocab.dim(0) + ")");
            }
            System.arraycopy(table, ids[i] * dim, out, i * dim, dim);
        }
        return out;
    }

    /** HF: cut to P ids, or repeat the ids until there are P. */
    static int[] repeatToLength(int[] ids, int p) {
        if (ids.length == 0) {
            throw new IllegalArgumentException("PROMPT_TUNING init: prompt_tuning_init_text gives no tokens");
        }
        int[] out = new int[p];
        for (int i = 0; i < p; i++) {
            out[i] = ids[i % ids.length];
        }
        return out;
    }

    private static int[] textIds(PromptTuningConfig c) {
        int[] given = c.initTokenIds();
        if (given != null) {
            return given;
        }
        String text = c.promptTuningInitText();
        if (text == null) {
            throw new IllegalArgumentException("PROMPT_TUNING config: prompt_tuning_init TEXT needs prompt_tuning_init_text");
        }
        for (String dir : new String[] {c.tokenizerNameOrPath(), c.baseModelNameOrPath()}) {
            if (dir != null && Files.isDirectory(Path.of(dir))) {
                try {
                    return ByteLevelBpeTokenizer.fromDirectory(Path.of(dir)).encode(text);
                } catch (IOException e) {
                    throw new UncheckedIOException("PROMPT_TUNING init: cannot load the tokenizer in " + dir + ": "
                            + e.getMessage(), e);
                }
            }
        }
        throw new IllegalArgumentException("PROMPT_TUNING config: prompt_tuning_init TEXT needs a tokenizer directory in"
                + " tokenizer_name_or_path or base_model_name_or_path (got " + c.tokenizerNameOrPath() + ", "
                + c.baseModelNameOrPath() + "), or the ids set with initTokenIds");
    }
}
