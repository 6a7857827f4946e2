package dev.peft4j.peft.core;

import dev.peft4j.engine.nn.LinearLayer;

/**
 * Host-side float64 arithmetic on a linear layer's weight for merges and initialisation, always in the
 * [out, in] orientation whatever the storage ({@code fan_in_fan_out} layers are transposed on the way in
 * and out). Float64 so that merge followed by unmerge loses only the final float32 rounding.
 */
public final class WeightMath {

    private WeightMath() {
    }

    /** {@code scale · B·A} as [out, in] for B [out, r] and A [r, in] (row-major). */
    public static double[] lowRank(float[] b, float[] a, int out, int r, int in, double scale) {
        double[] d = new double[out * in];
        for (int o = 0; o < out; o++) {
            for (int k = 0; k < r; k++) {
                double bok = scale * b[o * r + k];
                if (bok == 0) {
                    continue;
                }
                int aRow = k * in;
                int dRow = o * in;
                for (int i = 0; i < in; i++) {
                    d[dRow + i] += bok * a[aRow + i];
                }
            }
        }
        return d;
    }

    /** The weight as [out, in] in float64. */
    public static double[] readOutIn(LinearLayer layer) {
        float[] w = layer.weight().toArray();
        int out = layer.outFeatures();
        int in = layer.inFeatures();
        double[] d = new double[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                d[o * in + i] = layer.fanInFanOut() ? w[i * out + o] : w[o * in + i];
            }
        }
        return d;
    }

    /** Stores [out, in] values {@code w} into the layer's weight, rounding to float32. */
    public static void writeOutIn(LinearLayer layer, double[] w) {
        int out = layer.outFeatures();
        int in = layer.inFeatures();
        float[] stored = new float[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                stored[layer.fanInFanOut() ? i * out + o : o * in + i] = (float) w[o * in + i];
            }
        }
        layer.weight().copyFrom(stored);
    }

    /** {@code W += sign · delta}, delta [out, in]. */
    public static void add(LinearLayer layer, double[] delta, double sign) {
        double[] w = readOutIn(layer);
        for (int j = 0; j < w.length; j++) {
            w[j] += sign * delta[j];
        }
        writeOutIn(layer, w);
    }

    /** The 2-norm of each of the [out, in] matrix's rows. */
    public static double[] rowNorms(double[] w, int out, int in) {
        double[] n = new double[out];
        for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < in; i++) {
                double v = w[o * in + i];
                s += v * v;
            }
            n[o] = Math.sqrt(s);
        }
        return n;
    }
}
