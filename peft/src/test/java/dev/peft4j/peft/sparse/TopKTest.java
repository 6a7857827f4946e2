package dev.peft4j.peft.sparse;

import dev.peft4j.engine.Rng;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The radix select against a plain sort (score descending, then array, then position), ties and signs included. */
class TopKTest {

    /** Reference: sort every (array, position) by score descending, earlier array and position first on ties. */
    private static int[][] bySort(List<float[]> scores, long k) {
        List<int[]> all = new ArrayList<>();
        for (int a = 0; a < scores.size(); a++) {
            for (int i = 0; i < scores.get(a).length; i++) {
                all.add(new int[] {a, i});
            }
        }
        all.sort(Comparator.<int[]>comparingDouble(p -> -(scores.get(p[0])[p[1]] + 0.0)) // -0 ranks as +0
                .thenComparingInt(p -> p[0]).thenComparingInt(p -> p[1]));
        int[][] out = new int[scores.size()][];
        for (int a = 0; a < out.length; a++) {
            final int arr = a;
            out[a] = all.subList(0, (int) Math.min(k, all.size())).stream().filter(p -> p[0] == arr)
                    .mapToInt(p -> p[1]).sorted().toArray();
        }
        return out;
    }

    @Test
    void matchesASortOnRandomScoresWithTiesAndSigns() {
        Rng rng = new Rng(1);
        for (int trial = 0; trial < 20; trial++) {
            List<float[]> scores = new ArrayList<>();
            int arrays = 1 + rng.nextInt(3);
            for (int a = 0; a < arrays; a++) {
                float[] s = new float[rng.nextInt(60)];
                for (int i = 0; i < s.length; i++) {
                    // Few distinct values (many ties), both signs, signed zeros, values sharing the top 16 bits.
                    s[i] = switch (rng.nextInt(4)) {
                        case 0 -> rng.nextInt(5) - 2;
                        case 1 -> rng.nextInt(2) == 0 ? 0f : -0f;
                        case 2 -> 1f + rng.nextInt(8) * Math.ulp(1f);
                        default -> (float) rng.normal(0, 3);
                    };
                }
                scores.add(s);
            }
            long total = scores.stream().mapToInt(s -> s.length).sum();
            for (long k : new long[] {0, 1, total / 3, total / 2, total - 1, total, total + 5}) {
                int[][] got = TopK.largest(scores, k);
                int[][] want = bySort(scores, k);
                for (int a = 0; a < arrays; a++) {
                    assertArrayEquals(want[a], got[a], "trial " + trial + " k " + k + " array " + a);
                }
            }
        }
    }

    @Test
    void handCase() {
        // Largest three of {2, 7, 7, -1, 9} and {7, 0}: 9, then the first two 7s (array 0 comes first).
        int[][] got = TopK.largest(List.of(new float[] {2, 7, 7, -1, 9}, new float[] {7, 0}), 3);
        assertArrayEquals(new int[] {1, 2, 4}, got[0]);
        assertArrayEquals(new int[0], got[1]);
        assertEquals("[0, 1]", Arrays.toString(TopK.largest(new float[] {-1, -2, -3}, 2)));
        var e = assertThrows(IllegalArgumentException.class, () -> TopK.largest(new float[] {1, Float.NaN}, 1));
        assertEquals("sparse selection: score at position 1 is NaN", e.getMessage());
    }
}
