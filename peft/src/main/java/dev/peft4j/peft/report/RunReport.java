package dev.peft4j.peft.report;

import dev.peft4j.engine.json.Json;
import dev.peft4j.peft.core.AdapterFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A run's report: {@code report.html} (the results table and the train/dev loss curves as inline SVG,
 * no scripts or external files) and {@code metrics.json} (the same numbers for machines). Both are written
 * atomically.
 *
 * @param title     the page heading
 * @param scoreName "accuracy" or "test loss"
 * @param percent   print the score ×100
 * @param settings  free-form run settings shown under the heading and stored in metrics.json
 */
public record RunReport(String title, String scoreName, boolean percent, Map<String, Object> settings,
                        List<ResultRow> rows) {

    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        AdapterFiles.writeAtomically(dir.resolve("metrics.json"), Json.writePretty(metrics()) + "\n");
        AdapterFiles.writeAtomically(dir.resolve("report.html"), html());
    }

    public Map<String, Object> metrics() {
        Map<String, Object> o = Json.newObject();
        o.put("title", title);
        o.put("score", scoreName);
        o.put("settings", settings);
        List<Object> methods = new ArrayList<>();
        for (ResultRow r : rows) {
            Map<String, Object> m = Json.newObject();
            m.put("method", r.method());
            if (!r.ok()) {
                m.put("note", r.note());
                methods.add(m);
                continue;
            }
            // null without held-out rows to score (JSON has no NaN)
            m.put("score_mean", Double.isNaN(r.score().mean()) ? null : r.score().mean());
            m.put("score_std", Double.isNaN(r.score().std()) ? null : r.score().std());
            m.put("seeds", (long) r.score().n());
            m.put("trainable_params", r.trainableParams());
            m.put("total_params", r.totalParams());
            m.put("saved_bytes", r.savedBytes());
            m.put("seconds_per_step", r.secondsPerStep());
            m.put("peak_heap_bytes", r.peakHeapBytes());
            List<Object> loss = new ArrayList<>();
            r.trainLoss().forEach(x -> loss.add((double) x));
            m.put("train_loss", loss);
            List<Object> dev = new ArrayList<>();
            for (int i = 0; i < r.devSteps().size(); i++) {
                Map<String, Object> p = Json.newObject();
                p.put("step", (long) r.devSteps().get(i));
                p.put("loss", r.devLoss().get(i));
                dev.add(p);
            }
            m.put("dev", dev);
            methods.add(m);
        }
        o.put("methods", methods);
        return o;
    }

    public String html() {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(SvgLineChart.escape(title)).append("</title>\n<style>body{font-family:sans-serif;margin:2em}"
                        + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
                        + "td:first-child,th:first-child{text-align:left}</style></head><body>\n");
        sb.append("<h1>").append(SvgLineChart.escape(title)).append("</h1>\n<p>");
        settings.forEach((k, v) -> sb.append("<b>").append(SvgLineChart.escape(k)).append("</b>: ")
                .append(SvgLineChart.escape(String.valueOf(v))).append(" &nbsp; "));
        sb.append("</p>\n<h2>Results</h2>\n<table>\n<tr>");
        for (String h : ResultsTable.header(scoreName)) {
            sb.append("<th>").append(SvgLineChart.escape(h)).append("</th>");
        }
        sb.append("</tr>\n");
        for (ResultRow r : rows) {
            sb.append("<tr>");
            for (String c : ResultsTable.cells(r, percent)) {
                sb.append("<td>").append(SvgLineChart.escape(c)).append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</table>\n<h2>Loss curves (first seed; solid: train, dashed: dev)</h2>\n");
        List<SvgLineChart.Series> series = new ArrayList<>();
        for (ResultRow r : rows) {
            if (!r.ok() || r.trainLoss().isEmpty()) {
                continue;
            }
            double[] x = new double[r.trainLoss().size()];
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = i + 1;
                y[i] = r.trainLoss().get(i);
            }
            series.add(new SvgLineChart.Series(r.method() + " train", x, smooth(y, 5), false));
            if (!r.devSteps().isEmpty()) {
                double[] dx = r.devSteps().stream().mapToDouble(Integer::doubleValue).toArray();
                double[] dy = r.devLoss().stream().mapToDouble(Double::doubleValue).toArray();
                series.add(new SvgLineChart.Series(r.method() + " dev", dx, dy, true));
            }
        }
        sb.append(SvgLineChart.render("loss", "step", "loss", series, 860, 380));
        sb.append("</body></html>\n");
        return sb.toString();
    }

    /** A trailing moving average over {@code w} points, so few-shot batch noise does not hide the trend. */
    static double[] smooth(double[] y, int w) {
        double[] out = new double[y.length];
        double sum = 0;
        for (int i = 0; i < y.length; i++) {
            sum += y[i];
            if (i >= w) {
                sum -= y[i - w];
            }
            out[i] = sum / Math.min(i + 1, w);
        }
        return out;
    }
}
