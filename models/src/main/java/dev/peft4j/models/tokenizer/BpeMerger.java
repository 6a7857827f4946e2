package dev.peft4j.models.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Applies BPE merges to one pre-tokenised word: repeatedly merges every occurrence (left to right) of the
 * adjacent pair with the lowest merge rank, exactly as OpenAI's {@code encoder.py}. Symbols are vocabulary
 * ids so a merge is an integer lookup; results are cached per word because natural text repeats words.
 */
final class BpeMerger {

    /** A merge: its rank (priority, lower first) and the id of the merged token. */
    private record Merge(int rank, int result) {
    }

    private static final int CACHE_LIMIT = 100_000;

    private final Map<Long, Merge> merges;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab  token string -> id
     * @param pairs  merges in rank order, each {left, right}
     * @param source file name for error messages
     */
    BpeMerger(Map<String, Integer> vocab, Iterable<String[]> pairs, String source) {
        merges = new HashMap<>();
        int rank = 0;
        for (String[] pair : pairs) {
            Integer left = vocab.get(pair[0]);
            Integer right = vocab.get(pair[1]);
            Integer merged = vocab.get(pair[0] + pair[1]);
            if (left == null || right == null || merged == null) {
                String missing = left == null ? pair[0] : right == null ? pair[1] : pair[0] + pair[1];
                throw new IllegalArgumentException(source + ": merge #" + rank + " \"" + pair[0] + " " + pair[1]
                        + "\" uses token \"" + missing + "\" which is not in the vocabulary");
            }
            // A later duplicate of a pair never fires in the reference either: the first rank wins.
            merges.putIfAbsent(key(left, right), new Merge(rank, merged));
            rank++;
        }
    }

    int mergeCount() {
        return merges.size();
    }

    /** Merges the word whose initial symbols are {@code symbols} (one id per byte); {@code word} keys the cache. */
    int[] merge(String word, int[] symbols) {
        int[] cached = cache.get(word);
        if (cached != null) {
            return cached;
        }
        int[] result = mergeUncached(symbols.clone());
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear(); // crude bound; a miss only costs a recompute
        }
        cache.put(word, result);
        return result;
    }

    private int[] mergeUncached(int[] word) {
        int n = word.length;
        while (n > 1) {
            Merge best = null;
            int bestLeft = 0;
            int bestRight = 0;
            for (int i = 0; i + 1 < n; i++) {
                Merge m = merges.get(key(word[i], word[i + 1]));
                if (m != null && (best == null || m.rank < best.rank)) {
                    best = m;
                    bestLeft = word[i];
                    bestRight = word[i + 1];
                }
            }
            if (best == null) {
                break;
            }
            int out = 0;
            for (int i = 0; i < n; i++) {
                if (i + 1 < n && word[i] == bestLeft && word[i + 1] == bestRight) {
                    word[out++] = best.result;
                    i++;
                } else {
                    word[out++] = word[i];
                }
            }
            n = out;
        }
        return n == word.length ? word : Arrays.copyOf(word, n);
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }
}
