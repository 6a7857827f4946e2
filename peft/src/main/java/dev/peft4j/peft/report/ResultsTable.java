package dev.peft4j.peft.report;

import java.util.ArrayList;
import java.util.List;

/** The results as a fixed-width text table (console) and as cells (HTML). */
public final class ResultsTable {

    private ResultsTable() {
    }

    public static List<String> header(String scoreName) {
        return List.of("method", scoreName + " (mean ± std)", "seeds", "trainable params", "% of model",
                "saved size", "s/step", "peak heap");
    }

    /** A row's cells; {@code percent} prints the score ×100. */
    public static List<String> cells(ResultRow r, boolean percent) {
        if (!r.ok()) {
            return List.of(r.method(), r.note(), "", "", "", "", "", "");
        }
        return List.of(r.method(), r.score().format(percent ? 100 : 1, percent ? 1 : 4),
                String.valueOf(r.score().n()), String.format("%,d", r.trainableParams()),
                String.format("%.3f%%", 100.0 * r.trainableParams() / Math.max(1, r.totalParams())),
                bytes(r.savedBytes()), String.format("%.3f", r.secondsPerStep()), bytes(r.peakHeapBytes()));
    }

    public static String render(List<ResultRow> rows, String scoreName, boolean percent) {
        List<List<String>> table = new ArrayList<>();
        table.add(header(scoreName));
        for (ResultRow r : rows) {
            table.add(cells(r, percent));
        }
        int cols = table.getFirst().size();
        int[] w = new int[cols];
        for (List<String> line : table) {
            for (int c = 0; c < cols; c++) {
                if (!(line.get(c).length() > 40 && c == 1 && line.get(2).isEmpty())) {
                    w[c] = Math.max(w[c], line.get(c).length());
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < table.size(); i++) {
            List<String> line = table.get(i);
            StringBuilder l = new StringBuilder();
            for (int c = 0; c < cols; c++) {
                String cell = line.get(c);
                l.append(c == 0 ? String.format("%-" + w[c] + "s", cell) : "  " + String.format(c == 1 ? "%-" + w[c] + "s"
                        : "%" + w[c] + "s", cell));
            }
            sb.append(l.toString().stripTrailing()).append('\n');
            if (i == 0) {
                sb.append("-".repeat(l.toString().stripTrailing().length())).append('\n');
            }
        }
        return sb.toString();
    }

    /** Bytes as B, KiB or MiB. */
    public static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format("%.1f KiB", n / 1024.0);
        }
        return String.format("%.1f MiB", n / (1024.0 * 1024.0));
    }
}
