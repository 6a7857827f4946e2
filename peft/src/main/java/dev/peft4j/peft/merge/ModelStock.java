package dev.peft4j.peft.merge;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Model Stock (Jang et al., arXiv 2403.19522), layer-wise: from the base θ₀ and N ≥ 2 fine-tuned models,
 * per tensor take cosθ between the deltas θᵢ − θ₀ (the mean over pairs when N > 2, as mergekit does), set
 * t = N·cosθ / (1 + (N−1)·cosθ) and return t·mean(θᵢ) + (1−t)·θ₀. For N = 2 that is t = 2cosθ/(1+cosθ).
 */
public final class ModelStock {

    /** The merged weights and, per tensor, the interpolation ratio t that was used. */
    public record Result(StateDict merged, Map<String, Double> ratios) {
    }

    private ModelStock() {
    }

    public static Result merge(StateDict base, List<StateDict> fineTuned) {
        if (fineTuned.size() < 2) {
            throw new IllegalArgumentException("Model Stock needs at least two fine-tuned models, got "
                    + fineTuned.size());
        }
        TaskVectors.requireBase("Model Stock", base);
        Map<String, Double> ratios = new LinkedHashMap<>();
        StateDict merged = TensorwiseMerger.merge("model-stock(" + fineTuned.size() + ")", base, fineTuned,
                (name, w0, models) -> {
                    float[][] deltas = TaskVectors.deltas(w0, models);
                    double t = ratio(meanPairwiseCosine(deltas), models.size());
                    ratios.put(name, t);
                    float[] avg = UniformSoup.mean(models);
                    float[] out = new float[w0.length];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = (float) (t * avg[i] + (1 - t) * w0[i]);
                    }
                    return out;
                });
        return new Result(merged, ratios);
    }

    /**
     * t = N·cosθ / (1 + (N−1)·cosθ). A negative cosine is taken as 0 (t = 0, the base): below zero the formula
     * extrapolates away from the fine-tunes and its denominator vanishes at cosθ = −1/(N−1).
     */
    public static double ratio(double cosTheta, int n) {
        double c = Math.min(1.0, Math.max(0.0, cosTheta));
        return n * c / (1 + (n - 1) * c);
    }

    /** The mean of cos(Δᵢ, Δⱼ) over pairs i < j; a zero delta has cosine 0 with anything. */
    public static double meanPairwiseCosine(float[][] deltas) {
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < deltas.length; i++) {
            for (int j = i + 1; j < deltas.length; j++) {
                sum += cosine(deltas[i], deltas[j]);
                pairs++;
            }
        }
        return sum / pairs;
    }

    public static double cosine(float[] a, float[] b) {
        double dot = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        if (aa == 0 || bb == 0) {
            return 0;
        }
        return Math.max(-1.0, Math.min(1.0, dot / Math.sqrt(aa * bb)));
    }
}
