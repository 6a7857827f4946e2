package dev.peft4j.models.generate;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenSamplerTest {

    private static final float[] LOGITS = {0.5f, 2.0f, -1.0f, 1.5f, 0.0f, 1.9f};

    @Test
    void greedyTakesTheFirstLargest() {
        assertEquals(1, new TokenSampler(GenerationConfig.greedy(1)).next(LOGITS));
        assertEquals(0, TokenSampler.argmax(new float[]{3f, 3f, 1f}));
    }

    @Test
    void temperatureOnlyGivesTheSoftmax() {
        double[] p = new TokenSampler(GenerationConfig.sampling(1, 2f, 0, 1f, 1)).filteredProbabilities(LOGITS);
        double z = 0;
        for (float l : LOGITS) {
            z += Math.exp(l / 2.0);
        }
        for (int i = 0; i < LOGITS.length; i++) {
            assertEquals(Math.exp(LOGITS[i] / 2.0) / z, p[i], 1e-12);
        }
    }

    @Test
    void topKAndTopPCutTheTail() {
        double[] k2 = new TokenSampler(GenerationConfig.sampling(1, 1f, 2, 1f, 1)).filteredProbabilities(LOGITS);
        double e0 = Math.exp(2.0);
        double e1 = Math.exp(1.9f); // the float logit, not the decimal
        assertArrayEquals(new double[]{0, e0 / (e0 + e1), 0, 0, 0, e1 / (e0 + e1)}, k2, 1e-12);
        // Probabilities at T=1 sorted: 0.31 (id1), 0.28 (id5), 0.19 (id3) ... topP 0.5 keeps the first two.
        double[] p5 = new TokenSampler(GenerationConfig.sampling(1, 1f, 0, 0.5f, 1)).filteredProbabilities(LOGITS);
        assertArrayEquals(k2, p5, 1e-12);
        double[] tiny = new TokenSampler(GenerationConfig.sampling(1, 1f, 0, 1e-6f, 1)).filteredProbabilities(LOGITS);
        assertEquals(1.0, tiny[1], 0.0);
    }

    @Test
    void samplingIsSeededAndFollowsTheDistribution() {
        GenerationConfig cfg = GenerationConfig.sampling(1, 1f, 3, 1f, 42);
        TokenSampler a = new TokenSampler(cfg);
        TokenSampler b = new TokenSampler(cfg);
        int[] counts = new int[LOGITS.length];
        int draws = 20_000;
        for (int i = 0; i < draws; i++) {
            int x = a.next(LOGITS);
            assertEquals(x, b.next(LOGITS), "same seed, same draws");
            counts[x]++;
        }
        double[] p = new TokenSampler(cfg).filteredProbabilities(LOGITS);
        for (int i = 0; i < LOGITS.length; i++) {
            // 5 standard deviations of a binomial count: fails only for a biased sampler.
            double sd = Math.sqrt(draws * p[i] * (1 - p[i]));
            assertTrue(Math.abs(counts[i] - draws * p[i]) <= 5 * sd + 1e-9,
                    "token " + i + ": " + counts[i] + " draws, expected about " + draws * p[i]);
        }
        assertEquals(0, counts[0] + counts[2] + counts[4], "tokens outside the top 3 were drawn");
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> GenerationConfig.sampling(1, 1f, 0, 0f, 1));
        assertThrows(IllegalArgumentException.class, () -> GenerationConfig.sampling(1, 1f, -1, 1f, 1));
        assertThrows(IllegalArgumentException.class, () -> GenerationConfig.greedy(-1));
    }
}
