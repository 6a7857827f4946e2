package dev.peft4j.models.generate;

import dev.peft4j.engine.Rng;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/** Picks a token id from one row of logits under a {@link GenerationConfig}. */
public final class TokenSampler {

    private final GenerationConfig config;
    private final Rng rng;

    public TokenSampler(GenerationConfig config) {
        this.config = config;
        this.rng = new Rng(config.seed());
    }

    public int next(float[] logits) {
        return config.isGreedy() ? argmax(logits) : sample(logits);
    }

    /** The first index of the largest logit. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Probabilities after temperature, top-k and top-p; zero outside the kept set. Exposed for tests. */
    public double[] filteredProbabilities(float[] logits) {
        int n = logits.length;
        // Candidates by descending logit; a stable sort keeps lower ids first among ties.
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -logits[i]));
        int keep = config.topK() > 0 ? Math.min(config.topK(), n) : n;
        double max = logits[order[0]] / (double) config.temperature();
        double[] p = new double[n];
        double total = 0;
        for (int r = 0; r < keep; r++) {
            int i = order[r];
            p[i] = Math.exp(logits[i] / (double) config.temperature() - max);
            total += p[i];
        }
        // Nucleus: the smallest prefix whose mass reaches topP (the token crossing the line is kept).
        double cumulative = 0;
        int kept = 0;
        while (kept < keep) {
            cumulative += p[order[kept++]] / total;
            if (cumulative >= config.topP()) {
                break;
            }
        }
        double mass = 0;
        for (int r = 0; r < n; r++) {
            if (r < kept) {
                mass += p[order[r]];
            } else {
                p[order[r]] = 0;
            }
        }
        for (int i = 0; i < n; i++) {
            p[i] /= mass;
        }
        return p;
    }

    private int sample(float[] logits) {
        double[] p = filteredProbabilities(logits);
        double u = rng.nextDouble();
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                cumulative += p[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last; // u fell in the rounding gap at the top of the cumulative sum
    }
}
