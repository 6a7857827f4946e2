package dev.peft4j.peft.quickstart;

import dev.peft4j.engine.Rng;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The quickstart's few-shot task, never asked in pretraining: is a list of digits in ascending order?
 * Half the rows are sorted lists ("yes"); the other half are the same kind of list with two unequal
 * entries swapped, so it is not sorted ("no").
 */
public final class SortedTask {

    public static final List<String> LABELS = List.of("no", "yes");

    private SortedTask() {
    }

    /** A row: the list as text and its label. */
    public record Row(String text, String label) {
    }

    /** {@code n} rows alternating "yes" and "no", from {@code rng}. */
    public static List<Row> rows(Rng rng, int n) {
        List<Row> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            boolean sorted = i % 2 == 0;
            int[] xs;
            do {
                xs = ProceduralCorpus.digits(rng, 4 + rng.nextInt(4));
                Arrays.sort(xs);
            } while (xs[0] == xs[xs.length - 1]); // all equal: no swap could unsort it
            if (!sorted) {
                int a;
                int b;
                do {
                    a = rng.nextInt(xs.length);
                    b = rng.nextInt(xs.length);
                } while (xs[a] == xs[b]);
                int t = xs[a];
                xs[a] = xs[b];
                xs[b] = t;
            }
            out.add(new Row(ProceduralCorpus.join(xs), sorted ? "yes" : "no"));
        }
        return out;
    }
}
