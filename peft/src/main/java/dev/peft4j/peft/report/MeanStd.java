package dev.peft4j.peft.report;

/** Mean and sample standard deviation (n - 1; 0 for one value) of per-seed scores. */
public record MeanStd(double mean, double std, int n) {

    public static MeanStd of(double[] values) {
        int n = values.length;
        if (n == 0) {
            return new MeanStd(Double.NaN, Double.NaN, 0);
        }
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        double mean = sum / n;
        double sq = 0;
        for (double v : values) {
            sq += (v - mean) * (v - mean);
        }
        return new MeanStd(mean, n > 1 ? Math.sqrt(sq / (n - 1)) : 0.0, n);
    }

    /** "mean ± std" with {@code digits} decimals, scaled by {@code scale} (100 for percent). */
    public String format(double scale, int digits) {
        if (Double.isNaN(mean)) {
            return "n/a";
        }
        String f = "%." + digits + "f";
        return String.format(f + " ± " + f, mean * scale, std * scale);
    }
}
