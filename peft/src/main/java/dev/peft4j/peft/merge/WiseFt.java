package dev.peft4j.peft.merge;

import java.util.List;

/** WiSE-FT (Wortsman et al.): weight-space interpolation θ = (1−α)·θ_zero-shot + α·θ_fine-tuned, per tensor. */
public final class WiseFt {

    private WiseFt() {
    }

    /** α = 0 returns the zero-shot weights, α = 1 the fine-tuned ones; other α (even outside [0,1]) interpolate. */
    public static StateDict interpolate(StateDict zeroShot, StateDict fineTuned, double alpha) {
        if (!Double.isFinite(alpha)) {
            throw new IllegalArgumentException("WiSE-FT: alpha must be finite, got " + alpha);
        }
        TaskVectors.requireBase("WiSE-FT", zeroShot);
        return TensorwiseMerger.merge("wise-ft(alpha=" + alpha + ")", zeroShot, List.of(fineTuned),
                (name, base, models) -> {
                    float[] ft = models.get(0);
                    float[] out = new float[ft.length];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = (float) ((1 - alpha) * base[i] + alpha * ft[i]);
                    }
                    return out;
                });
    }
}
