package dev.peft4j.peft.report;

import java.util.List;
import java.util.Locale;

/**
 * A line chart as an inline SVG string: axes with tick labels, one polyline per series in a fixed palette,
 * a legend. Non-finite points are skipped.
 */
public final class SvgLineChart {

    /** A named line; {@code dashed} for dev curves beside their train curve. */
    public record Series(String name, double[] x, double[] y, boolean dashed) {
        public Series {
            if (x.length != y.length) {
                throw new IllegalArgumentException("series " + name + ": " + x.length + " x values but " + y.length
                        + " y values");
            }
        }
    }

    private static final String[] PALETTE = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
            "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    private static final int LEFT = 56;
    private static final int RIGHT = 170;
    private static final int TOP = 28;
    private static final int BOTTOM = 40;

    private SvgLineChart() {
    }

    public static String render(String title, String xLabel, String yLabel, List<Series> series, int width, int height) {
        double x0 = Double.POSITIVE_INFINITY;
        double x1 = Double.NEGATIVE_INFINITY;
        double y0 = Double.POSITIVE_INFINITY;
        double y1 = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
                    x0 = Math.min(x0, s.x()[i]);
                    x1 = Math.max(x1, s.x()[i]);
                    y0 = Math.min(y0, s.y()[i]);
                    y1 = Math.max(y1, s.y()[i]);
                }
            }
        }
        if (!(x0 <= x1)) { // no finite point at all
            x0 = 0;
            x1 = 1;
            y0 = 0;
            y1 = 1;
        }
        if (x1 == x0) {
            x1 = x0 + 1;
        }
        if (y1 == y0) {
            y1 = y0 + 1;
        }
        double pad = (y1 - y0) * 0.05;
        y0 -= pad;
        y1 += pad;
        int pw = width - LEFT - RIGHT;
        int ph = height - TOP - BOTTOM;
        StringBuilder sb = new StringBuilder();
        sb.append(f("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"11\">\n", width, height, width, height));
        sb.append(f("<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n", width, height));
        sb.append(f("<text x=\"%d\" y=\"16\" font-size=\"13\" font-weight=\"bold\">%s</text>\n", LEFT, escape(title)));
        sb.append(f("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", LEFT, TOP, pw, ph));
        for (int i = 0; i <= 4; i++) {
            double fy = y0 + (y1 - y0) * i / 4;
            double py = TOP + ph - (fy - y0) / (y1 - y0) * ph;
            sb.append(f("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", LEFT, py, LEFT + pw, py));
            sb.append(f("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", LEFT - 4, py + 4, tick(fy)));
            double fx = x0 + (x1 - x0) * i / 4;
            double px = LEFT + (fx - x0) / (x1 - x0) * pw;
            sb.append(f("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", px, TOP + ph + 14, tick(fx)));
        }
        sb.append(f("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", LEFT + pw / 2, height - 6, escape(xLabel)));
        sb.append(f("<text x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\">%s</text>\n",
                TOP + ph / 2, TOP + ph / 2, escape(yLabel)));
        int colorIndex = -1;
        for (int si = 0; si < series.size(); si++) {
            Series s = series.get(si);
            // A dashed series shares the colour of the solid one before it: one method's train and dev curves.
            if (!s.dashed() || colorIndex < 0) {
                colorIndex++;
            }
            String color = PALETTE[colorIndex % PALETTE.length];
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
                    double px = LEFT + (s.x()[i] - x0) / (x1 - x0) * pw;
                    double py = TOP + ph - (s.y()[i] - y0) / (y1 - y0) * ph;
                    pts.append(f("%.1f,%.1f ", px, py));
                }
            }
            sb.append(f("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s points=\"%s\"/>\n", color,
                    s.dashed() ? " stroke-dasharray=\"5,3\"" : "", pts.toString().trim()));
            int ly = TOP + 12 + si * 15;
            sb.append(f("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
                    LEFT + pw + 10, ly - 4, LEFT + pw + 30, ly - 4, color, s.dashed() ? " stroke-dasharray=\"5,3\"" : ""));
            sb.append(f("<text x=\"%d\" y=\"%d\">%s</text>\n", LEFT + pw + 34, ly, escape(s.name())));
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static String tick(double v) {
        double a = Math.abs(v);
        return a != 0 && (a >= 1e5 || a < 1e-2) ? f("%.2g", v) : a >= 100 ? f("%.0f", v) : f("%.2f", v);
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    public static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
