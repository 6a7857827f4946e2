package dev.peft4j.peft.fewshot;

import dev.peft4j.engine.json.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a training JSONL file: every non-blank line one object ({@link DataRow}), all classification rows or
 * all causal-LM rows (text, prompt/completion and pre-tokenized mix freely). A bad
 * row is an error naming the file and line; with {@code skipBadRows} it is counted and described instead.
 */
public final class FewShotJsonl {

    /** The rows read, and the bad rows skipped (each "file:line: reason"). */
    public record Loaded(Path file, List<DataRow> rows, List<String> skipped) {

        public Loaded {
            rows = List.copyOf(rows);
            skipped = List.copyOf(skipped);
        }
    }

    private FewShotJsonl() {
    }

    /** Reads {@code file}; a bad row's error mentions {@code --skip-bad-rows}, the option that skips it. */
    public static Loaded read(Path file, boolean skipBadRows) throws IOException {
        return read(file, skipBadRows, " (--skip-bad-rows skips such rows)");
    }

    /** Reads {@code file}, failing at the first bad row (for commands without {@code --skip-bad-rows}). */
    public static List<DataRow> readStrict(Path file) throws IOException {
        return read(file, false, "").rows();
    }

    private static Loaded read(Path file, boolean skipBadRows, String hint) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such data file");
        }
        List<DataRow> rows = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        Boolean kind = null;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String text;
            int line = 0;
            while ((text = in.readLine()) != null) {
                line++;
                if (text.isBlank()) {
                    continue;
                }
                String where = file + ":" + line;
                try {
                    DataRow row = parse(text, where, line);
                    boolean classification = row instanceof DataRow.Classification;
                    if (kind != null && classification != kind) {
                        throw new IllegalArgumentException(where + ": a " + DataRow.kind(row) + " row in a file of "
                                + DataRow.kind(rows.getFirst()) + " rows (one kind per file: classification rows, or causal-LM rows)");
                    }
                    kind = classification;
                    rows.add(row);
                } catch (RuntimeException e) {
                    String msg = e.getMessage() != null && e.getMessage().startsWith(where) ? e.getMessage()
                            : where + ": " + e.getMessage();
                    if (!skipBadRows) {
                        throw new IllegalArgumentException(msg + hint, e);
                    }
                    skipped.add(msg);
                }
            }
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(file + ": no usable rows"
                    + (skipped.isEmpty() ? " (empty file)" : " (" + skipped.size() + " bad rows skipped; first: "
                    + skipped.getFirst() + ")"));
        }
        return new Loaded(file, rows, skipped);
    }

    static DataRow parse(String text, String where, int line) {
        Map<String, Object> o = Json.object(Json.parse(text, where), where);
        if (o.containsKey("text") && !o.containsKey("label")) {
            return new DataRow.Text(nonEmpty(o, "text", where), line);
        }
        if (o.containsKey("text") || o.containsKey("label")) {
            return new DataRow.Classification(nonEmpty(o, "text", where), label(o.get("label"), where), line);
        }
        if (o.containsKey("prompt") || o.containsKey("completion")) {
            if (!o.containsKey("prompt") || !o.containsKey("completion")) {
                throw new IllegalArgumentException(where + ": a row needs \"text\" or \"input_ids\", or both"
                        + " \"prompt\" and \"completion\"; found keys " + o.keySet());
            }
            String prompt = Json.string(Json.require(o, "prompt", where), where + " prompt");
            return new DataRow.Generation(prompt, nonEmpty(o, "completion", where), line);
        }
        if (o.containsKey("input_ids")) {
            int[] ids = ints(o.get("input_ids"), where + " input_ids");
            int[] labels = o.get("labels") == null ? ids.clone() : ints(o.get("labels"), where + " labels");
            if (ids.length < 2) {
                throw new IllegalArgumentException(where + ": " + ids.length + " input_ids; training needs at least 2");
            }
            if (labels.length != ids.length) {
                throw new IllegalArgumentException(where + ": " + ids.length + " input_ids but " + labels.length
                        + " labels");
            }
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] < 0) {
                    throw new IllegalArgumentException(where + ": negative token id " + ids[i] + " at position " + i);
                }
                if (labels[i] < 0 && labels[i] != -100) {
                    throw new IllegalArgumentException(where + ": label " + labels[i] + " at position " + i
                            + " is neither -100 nor a token id");
                }
            }
            return new DataRow.Tokens(ids, labels, line);
        }
        throw new IllegalArgumentException(where + ": a row needs {text, label}, {text}, {prompt, completion} or"
                + " {input_ids[, labels]}; found keys " + o.keySet());
    }

    private static String nonEmpty(Map<String, Object> o, String key, String where) {
        String s = Json.string(Json.require(o, key, where), where + " " + key);
        if (s.isEmpty()) {
            throw new IllegalArgumentException(where + ": \"" + key + "\" is empty");
        }
        return s;
    }

    private static String label(Object v, String where) {
        if (v == null) {
            throw new IllegalArgumentException(where + ": missing \"label\"");
        }
        if (v instanceof String s && !s.isEmpty()) {
            return s;
        }
        if (v instanceof Long || v instanceof Boolean) {
            return v.toString();
        }
        throw new IllegalArgumentException(where + ": \"label\" must be a non-empty string, an integer or a boolean,"
                + " got " + Json.write(v));
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
