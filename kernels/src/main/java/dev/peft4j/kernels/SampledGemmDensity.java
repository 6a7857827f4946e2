package dev.peft4j.kernels;

/**
 * The {@link Kernels#sampledGemmMaxDensity()} a backend reports: its measured crossover, unless
 * {@code -Dpeft4j.sampledGemm.maxDensity=D} gives one measured on the machine at hand.
 */
public final class SampledGemmDensity {

    /** The system property that replaces every backend's crossover. */
    public static final String PROPERTY = "peft4j.sampledGemm.maxDensity";

    private SampledGemmDensity() {
    }

    /** {@code measured}, or the property's value when it is set; a value that is not a density in [0, 1] throws. */
    public static double configured(double measured) {
        String value = System.getProperty(PROPERTY);
        if (value == null) {
            return measured;
        }
        double d;
        try {
            d = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + " is not a number", e);
        }
        if (!(d >= 0 && d <= 1)) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + " is not a density in [0, 1]");
        }
        return d;
    }
}
