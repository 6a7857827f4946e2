package dev.peft4j.peft.sparse;

import dev.peft4j.engine.Rng;

/** The selections that need no scores: random entries (SHiRA) and random whole rows (HFT). */
final class RandomIndices {

    private RandomIndices() {
    }

    /** How many of {@code n} items a density keeps: round(density·n), at least 1 when n > 0. */
    static int count(double density, long n) {
        if (n == 0) {
            return 0;
        }
        return (int) Math.max(1, Math.min(n, Math.round(density * n)));
    }

    /** A generator for one target: the config seed mixed with the target's path, so targets differ. */
    static Rng rngFor(long seed, String path) {
        return new Rng(seed * 0x9E3779B97F4A7C15L + path.hashCode());
    }

    /**
     * {@code k} distinct values of [0, n), ascending, uniformly among all k-subsets: selection sampling
     * (Knuth's Algorithm S), one pass and no memory beyond the result.
     */
    static int[] sample(int n, int k, Rng rng) {
        int[] out = new int[k];
        int taken = 0;
        for (int t = 0; t < n && taken < k; t++) {
            if ((n - t) * rng.nextDouble() < k - taken) {
                out[taken++] = t;
            }
        }
        return out;
    }

    /** SHiRA: count(density, out·in) random entries of the [out, in] matrix. */
    static int[] entries(int out, int in, double density, Rng rng) {
        int n = out * in;
        return sample(n, count(density, n), rng);
    }

    /**
     * HFT: count(density, out) random output rows, every entry of each (density 0.5 is HFT's half).
     * Rows are the groups because a target is often the only one of its block (GPT-2's c_attn), where
     * freezing whole matrices would freeze whole blocks; a row is one output unit's incoming weights,
     * so every target keeps learning while half of each stays at its pre-trained value.
     */
    static int[] rows(int out, int in, double density, Rng rng) {
        int[] rows = sample(out, count(density, out), rng);
        int[] idx = new int[rows.length * in];
        int n = 0;
        for (int r : rows) {
            for (int i = 0; i < in; i++) {
                idx[n++] = r * in + i;
            }
        }
        return idx;
    }
}
