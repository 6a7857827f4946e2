package dev.peft4j.peft.sparse;

import java.util.List;

/**
 * The k largest of several float score arrays taken together, in O(total) time and 256 KiB of counts
 * (a radix select on the scores' order-preserving bit patterns: the top 16 bits, then the low 16 within
 * the deciding bucket), so a global budget over all of a model's weights needs no sort and no copy.
 * Ties at the threshold go to the earlier array, then the lower position, so the result is deterministic.
 */
final class TopK {

    private TopK() {
    }

    /** The sorted positions of {@code k} largest entries of {@code scores} (k clamped to [0, length]). */
    static int[] largest(float[] scores, long k) {
        return largest(List.of(scores), k)[0];
    }

    /**
     * Per array, the ascending positions of its entries among the {@code k} largest of all arrays together
     * (k clamped to [0, total]). Scores must not be NaN.
     */
    static int[][] largest(List<float[]> scores, long k) {
        long total = 0;
        for (float[] s : scores) {
            total += s.length;
        }
        k = Math.max(0, Math.min(k, total));
        long[] high = new long[1 << 16];
        for (float[] s : scores) {
            for (int i = 0; i < s.length; i++) {
                high[key(s[i], i) >>> 16]++;
            }
        }
        int[][] out = new int[scores.size()][];
        if (k == 0) {
            for (int a = 0; a < out.length; a++) {
                out[a] = new int[0];
            }
            return out;
        }
        // The bucket of the k-th largest key, and how many keys lie in buckets above it.
        int bucket = high.length - 1;
        long above = 0;
        while (above + high[bucket] < k) {
            above += high[bucket--];
        }
        long[] low = new long[1 << 16];
        for (float[] s : scores) {
            for (int i = 0; i < s.length; i++) {
                int u = key(s[i], i);
                if (u >>> 16 == bucket) {
                    low[u & 0xFFFF]++;
                }
            }
        }
        int lo = low.length - 1;
        while (above + low[lo] < k) {
            above += low[lo--];
        }
        int threshold = bucket << 16 | lo;
        long atThreshold = k - above; // how many keys equal to the threshold are taken, first come first served
        for (int a = 0; a < out.length; a++) {
            float[] s = scores.get(a);
            int n = 0;
            int[] picked = new int[(int) Math.min(s.length, k)];
            for (int i = 0; i < s.length && n < picked.length; i++) {
                int c = Integer.compareUnsigned(key(s[i], i), threshold);
                if (c > 0 || c == 0 && atThreshold-- > 0) {
                    picked[n++] = i;
                }
            }
            out[a] = java.util.Arrays.copyOf(picked, n);
        }
        return out;
    }

    /** An int whose unsigned order is the float order (-0 counted as +0). */
    private static int key(float f, int position) {
        if (Float.isNaN(f)) {
            throw new IllegalArgumentException("sparse selection: score at position " + position + " is NaN");
        }
        int b = Float.floatToIntBits(f == 0f ? 0f : f);
        return b >= 0 ? b ^ 0x80000000 : ~b;
    }
}
