package dev.peft4j.peft.merge;

import java.util.List;

/** Task vectors τ = θ_fine-tuned − θ_base for one tensor, and adding a merged one back. */
final class TaskVectors {

    private TaskVectors() {
    }

    /** One row per model: that model's values minus the base's. */
    static float[][] deltas(float[] base, List<float[]> models) {
        float[][] out = new float[models.size()][];
        for (int m = 0; m < out.length; m++) {
            float[] w = models.get(m);
            float[] d = new float[base.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = w[i] - base[i];
            }
            out[m] = d;
        }
        return out;
    }

    /** θ₀ + λ·τ, rounded once from double. */
    static float[] addScaled(float[] base, double[] delta, double lambda) {
        float[] out = new float[base.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (base[i] + lambda * delta[i]);
        }
        return out;
    }

    /** Fails unless {@code base} is given; methods built on task vectors need one. */
    static StateDict requireBase(String method, StateDict base) {
        if (base == null) {
            throw new IllegalArgumentException(method + " needs base weights (the model that was fine-tuned)");
        }
        return base;
    }
}
