package dev.peft4j.models.generate;

/**
 * How to pick each new token. {@code temperature <= 0} is greedy (argmax); otherwise logits are divided
 * by the temperature, cut to the {@code topK} most likely (0 = no cut) and then to the smallest set whose
 * probability reaches {@code topP} (1 = no cut), in that order as Hugging Face applies them, and sampled
 * with a generator seeded by {@code seed}. Generation stops early after {@code eosTokenId} (-1 = never).
 */
public record GenerationConfig(int maxNewTokens, float temperature, int topK, float topP, long seed,
                               int eosTokenId) {

    public GenerationConfig {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, found " + maxNewTokens);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = off), found " + topK);
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw new IllegalArgumentException("topP must be in (0, 1], found " + topP);
        }
        if (Float.isNaN(temperature)) {
            throw new IllegalArgumentException("temperature is NaN");
        }
    }

    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, 0f, 0, 1f, 0L, -1);
    }

    public static GenerationConfig sampling(int maxNewTokens, float temperature, int topK, float topP, long seed) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, -1);
    }

    public GenerationConfig withEos(int eosTokenId) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, eosTokenId);
    }

    public boolean isGreedy() {
        return temperature <= 0f;
    }
}
