package dev.peft4j.peft.report;

import dev.peft4j.engine.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** report.html draws the curves as inline SVG and holds the table; metrics.json holds the same numbers. */
class RunReportTest {

    @TempDir
    Path dir;

    @Test
    void meanAndSampleStd() {
        MeanStd m = MeanStd.of(new double[]{0.5, 0.7, 0.9});
        assertEquals(0.7, m.mean(), 1e-12);
        assertEquals(0.2, m.std(), 1e-12);
        assertEquals("70.0 ± 20.0", m.format(100, 1));
        assertEquals(0.0, MeanStd.of(new double[]{0.4}).std());
    }

    @Test
    void writesHtmlWithSvgCurvesAndMetrics() throws Exception {
        ResultRow lora = new ResultRow("lora", MeanStd.of(new double[]{0.75, 0.85}), 1234, 100000, 5000, 0.02,
                1 << 20, null, List.of(2.0f, 1.5f, 1.0f, 0.5f), List.of(2, 4), List.of(1.2, 0.9));
        ResultRow ia3 = ResultRow.missing("ia3", "not available <yet>");
        Map<String, Object> settings = Json.newObject();
        settings.put("k", 16L);
        new RunReport("demo & test", "accuracy %", true, settings, List.of(lora, ia3)).write(dir);

        String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("<svg") && html.contains("</svg>"), "inline SVG");
        assertEquals(2, html.split("<polyline", -1).length - 1, "a train and a dev line for lora");
        assertTrue(html.contains("stroke-dasharray"), "dev curve dashed");
        assertTrue(html.contains("80.0 ± 7.1"), "mean ± std cell");
        assertTrue(html.contains("not available &lt;yet&gt;"), "escaped note");
        assertTrue(html.contains("demo &amp; test"));
        assertFalse(html.contains("<script"), "no scripts");

        Map<String, Object> m = Json.object(Json.parse(Files.readString(dir.resolve("metrics.json")), "metrics"), "m");
        List<Object> methods = Json.array(m.get("methods"), "methods");
        Map<String, Object> first = Json.object(methods.get(0), "lora");
        assertEquals(0.8, Json.number(first.get("score_mean"), "mean"), 1e-12);
        assertEquals(1234L, Json.integer(first.get("trainable_params"), "t"));
        assertEquals(4, Json.array(first.get("train_loss"), "loss").size());
        assertEquals("not available <yet>", Json.object(methods.get(1), "ia3").get("note"));
    }

    @Test
    void chartMapsPointsInsideThePlot() {
        String svg = SvgLineChart.render("t", "x", "y", List.of(new SvgLineChart.Series("s", new double[]{0, 10},
                new double[]{1, 3}, false)), 400, 200);
        String pts = svg.substring(svg.indexOf("points=\"") + 8);
        pts = pts.substring(0, pts.indexOf('"'));
        String[] p = pts.split(" ");
        assertEquals(2, p.length);
        double x0 = Double.parseDouble(p[0].split(",")[0]);
        double y0 = Double.parseDouble(p[0].split(",")[1]);
        double x1 = Double.parseDouble(p[1].split(",")[0]);
        double y1 = Double.parseDouble(p[1].split(",")[1]);
        assertTrue(x0 < x1, "x grows rightwards");
        assertTrue(y1 < y0, "larger y is drawn higher");
        assertThrows(IllegalArgumentException.class, () -> new SvgLineChart.Series("bad", new double[1], new double[2], false));
    }
}
