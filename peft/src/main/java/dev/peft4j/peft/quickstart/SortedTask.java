package dev.peft4j.peft.quickstart;

import dev.peft4j.engine.Rng;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The quickstart's few-shot task, never asked in pretraining: is a list of digits in ascending order?
 * Half the rows are sorted lists ("yes"); the other half are random lists of the same lengths that are not
 * sorted ("no"). (Negatives made by swapping two entries of a sorted list differ from the positives in one
 * pair only: 16 examples per class of that are too few for a 4-layer model, which stays at chance.)
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
                if (sorted) {
                    Arrays.sort(xs);
                }
            } while (xs[0] == xs[xs.length - 1] || isSorted(xs) != sorted); // all equal reads as either
            out.add(new Row(ProceduralCorpus.join(xs), sorted ? "yes" : "no"));
        }
        return out;
    }

    static boolean isSorted(int[] xs) {
        for (int i = 1; i < xs.length; i++) {
            if (xs[i] < xs[i - 1]) {
                return false;
            }
        }
        return true;
    }
}
