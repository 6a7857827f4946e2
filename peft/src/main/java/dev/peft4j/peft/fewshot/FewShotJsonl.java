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
 * Reads a few-shot JSONL file: every non-blank line one object of a single kind ({@link DataRow}). A bad
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

    public static Loaded read(Path file, boolean skipBadRows) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such data file");
        }
        List<DataRow> rows = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        Class<?> kind = null;
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
                    if (kind != null && row.getClass() != kind) {
                        throw new IllegalArgumentException(where + ": a " + DataRow.kind(row) + " row in a file of "
                                + DataRow.kind(rows.getFirst()) + " rows (one kind per file)");
                    }
                    kind = row.getClass();
                    rows.add(row);
                } catch (RuntimeException e) {
                    String msg = e.getMessage() != null && e.getMessage().startsWith(where) ? e.getMessage()
                            : where + ": " + e.getMessage();
                    if (!skipBadRows) {
                        throw new IllegalArgumentException(msg + " (--skip-bad-rows skips such rows)", e);
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
        if (o.containsKey("text") || o.containsKey("label")) {
            return new DataRow.Classification(nonEmpty(o, "text", where), label(o.get("label"), where), line);
        }
        if (o.containsKey("prompt") || o.containsKey("completion")) {
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
        throw new IllegalArgumentException(where + ": a row needs {text, label}, {prompt, completion} or"
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
