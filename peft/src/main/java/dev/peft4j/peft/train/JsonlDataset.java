package dev.peft4j.peft.train;

import dev.peft4j.engine.json.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Causal-LM examples from JSON Lines: each non-blank line is {@code {"text": ...}} (tokenized, every
 * token scored) or {@code {"input_ids": [...], "labels": [...]}} (labels optional: default the ids).
 * A bad row is an error naming the file and line.
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
        List<TrainingExample> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String where = file + ":" + number;
                try {
                    out.add(parseRow(line, where, tokenizer, vocabSize));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(e.getMessage().startsWith(where) ? e.getMessage()
                            : where + ": " + e.getMessage(), e);
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file + ": no examples (empty file)");
        }
        return out;
    }

    private static TrainingExample parseRow(String line, String where, Function<String, int[]> tokenizer, int vocab) {
        Map<String, Object> row = Json.object(Json.parse(line, where), where);
        int[] ids;
        int[] labels;
        if (row.containsKey("text")) {
            if (tokenizer == null) {
                throw new IllegalArgumentException(where + ": a \"text\" row needs a tokenizer, and the model has none");
            }
            ids = tokenizer.apply(Json.string(row.get("text"), where + " text"));
            labels = ids.clone();
        } else if (row.containsKey("input_ids")) {
            ids = ints(row.get("input_ids"), where + " input_ids");
            labels = row.get("labels") == null ? ids.clone() : ints(row.get("labels"), where + " labels");
            if (labels.length != ids.length) {
                throw new IllegalArgumentException(where + ": " + ids.length + " input_ids but " + labels.length + " labels");
            }
        } else {
            throw new IllegalArgumentException(where + ": a row needs \"text\" or \"input_ids\", found keys " + row.keySet());
        }
        if (ids.length < 2) {
            throw new IllegalArgumentException(where + ": " + ids.length + " token(s); causal-LM training needs at least 2");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException(where + ": token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
            if (labels[i] != Batch.IGNORE_INDEX && (labels[i] < 0 || labels[i] >= vocab)) {
                throw new IllegalArgumentException(where + ": label " + labels[i] + " at position " + i
                        + " is neither -100 nor in [0, " + vocab + ")");
            }
        }
        return new TrainingExample(ids, labels);
    }

    private static int[] ints(Object v, String what) {
        List<Object> l = Json.array(v, what);
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.toIntExact(Json.integer(l.get(i), what + "[" + i + "]"));
        }
        return out;
    }
}
