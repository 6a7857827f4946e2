package dev.peft4j.peft.ssf;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.LayerNorm;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.engine.nn.RMSNorm;
import dev.peft4j.peft.core.LinearLayers;
import dev.peft4j.peft.core.WeightMath;

/**
 * The per-output-channel affine part of a module that a channel-wise {@code y·γ + β} folds into: a linear
 * layer's weight rows and bias, or a norm's gain and bias. Host-side float64, one rounding per fold.
 */
final class OutputChannels {

    private final String path;
    private final LinearLayer linear; // or null for a norm
    private final Tensor gain;        // the norm's weight, or null for a linear layer
    private final Tensor bias;        // may be null
    private final int width;
    private float[] biasBeforeFold; // b' = γb + β loses b to cancellation where γ is small: keep it

    private OutputChannels(String path, LinearLayer linear, Tensor gain, Tensor bias, int width) {
        this.path = path;
        this.linear = linear;
        this.gain = gain;
        this.bias = bias;
        this.width = width;
    }

    static OutputChannels of(Module m, String path) {
        if (LinearLayers.isLinear(m)) {
            LinearLayer l = LinearLayers.of(m, path);
            return new OutputChannels(path, l, null, l.bias(), l.outFeatures());
        }
        if (m instanceof LayerNorm n) {
            return new OutputChannels(path, null, n.weight(), n.bias(), n.weight().dim(0));
        }
        if (m instanceof RMSNorm n) {
            return new OutputChannels(path, null, n.weight(), null, n.weight().dim(0));
        }
        throw new IllegalArgumentException("module \"" + path + "\" is a " + m.getClass().getSimpleName()
                + "; a channel scale/shift needs a linear layer (Linear, Conv1D), a LayerNorm or an RMSNorm");
    }

    int width() {
        return width;
    }

    /** {@code y·γ + β} into the module: W' = diag(γ)W (or g' = γg), b' = γb + β. */
    void fold(float[] scale, float[] shift) {
        requireBiasFor(shift);
        scaleRows(scale, false);
        if (bias != null) {
            float[] b = bias.toArray();
            biasBeforeFold = b.clone();
            for (int o = 0; o < width; o++) {
                b[o] = (float) ((double) scale[o] * b[o] + shift[o]);
            }
            bias.copyFrom(b);
        }
    }

    /** The inverse of {@link #fold}: W = diag(1/γ)W' (one rounding) and the bias as it was before the fold. */
    void unfold(float[] scale, float[] shift) {
        for (int o = 0; o < width; o++) {
            if (scale[o] == 0f) {
                throw new IllegalStateException("\"" + path + "\": scale[" + o + "] is 0, so the folded weights cannot"
                        + " be unfolded");
            }
        }
        scaleRows(scale, true);
        if (bias != null) {
            bias.copyFrom(biasBeforeFold);
            biasBeforeFold = null;
        }
    }

    private void requireBiasFor(float[] shift) {
        if (bias != null) {
            return;
        }
        for (float s : shift) {
            if (s != 0f) {
                throw new IllegalStateException("\"" + path + "\" has no bias, so a non-zero shift cannot be folded in");
            }
        }
    }

    private void scaleRows(float[] scale, boolean divide) {
        if (gain != null) {
            float[] g = gain.toArray();
            for (int o = 0; o < width; o++) {
                g[o] = (float) (divide ? g[o] / (double) scale[o] : g[o] * (double) scale[o]);
            }
            gain.copyFrom(g);
            return;
        }
        int in = linear.inFeatures();
        double[] w = WeightMath.readOutIn(linear);
        for (int o = 0; o < width; o++) {
            double s = scale[o];
            for (int i = 0; i < in; i++) {
                w[o * in + i] = divide ? w[o * in + i] / s : w[o * in + i] * s;
            }
        }
        WeightMath.writeOutIn(linear, w);
    }
}
