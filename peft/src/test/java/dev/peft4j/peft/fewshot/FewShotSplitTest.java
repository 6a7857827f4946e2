package dev.peft4j.peft.fewshot;

import dev.peft4j.peft.train.EpochOrder;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** K-shot sampling: K per class, disjoint train/dev/rest, reproducible by seed, different across seeds. */
class FewShotSplitTest {

    private static List<DataRow> pool() {
        List<DataRow> rows = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            rows.add(new DataRow.Classification("t" + i, i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c", i + 1));
        }
        return rows;
    }

    private static long count(List<DataRow> rows, String label) {
        return rows.stream().filter(r -> ((DataRow.Classification) r).label().equals(label)).count();
    }

    @Test
    void kPerClassDisjointAndReproducible() {
        FewShotSplit s = FewShotSplit.sample(pool(), 4, 2, 13, "pool");
        for (String label : List.of("a", "b", "c")) {
            assertEquals(4, count(s.train(), label));
            assertEquals(2, count(s.dev(), label));
        }
        assertEquals(60 - 12 - 6, s.rest().size());
        Set<Integer> lines = new HashSet<>();
        for (List<DataRow> part : List.of(s.train(), s.dev(), s.rest())) {
            part.forEach(r -> assertTrue(lines.add(r.line()), "row on line " + r.line() + " is in two splits"));
        }
        assertEquals(60, lines.size());
        assertEquals(s, FewShotSplit.sample(pool(), 4, 2, 13, "pool"));
        assertNotEquals(s.train(), FewShotSplit.sample(pool(), 4, 2, 21, "pool").train());
    }

    @Test
    void tooFewRowsNamesTheClass() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FewShotSplit.sample(pool(), 15, 6, 1, "pool.jsonl"));
        assertTrue(e.getMessage().contains("pool.jsonl") && e.getMessage().contains("class \"a\""), e.getMessage());
    }

    @Test
    void rowsWithoutClassesDrawKRows() {
        List<DataRow> rows = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            rows.add(new DataRow.Generation("p" + i, "c", i + 1));
        }
        FewShotSplit s = FewShotSplit.sample(rows, 3, 2, 5, "g");
        assertEquals(3, s.train().size());
        assertEquals(2, s.dev().size());
        assertEquals(5, s.rest().size());
    }

    @Test
    void epochOrderVisitsEveryExampleOncePerEpochAndSeeks() {
        EpochOrder o = new EpochOrder(3, 7, 3, true);
        List<Integer> firstEpoch = new ArrayList<>();
        for (int b = 0; b < o.batchesPerEpoch(); b++) {
            for (int i : o.next()) {
                firstEpoch.add(i);
            }
        }
        assertEquals(Set.of(0, 1, 2, 3, 4, 5, 6), new HashSet<>(firstEpoch));
        assertEquals(7, firstEpoch.size());
        int[] next = o.next();
        EpochOrder resumed = new EpochOrder(3, 7, 3, true);
        resumed.seek(1, 0);
        assertEquals(1, o.epoch());
        org.junit.jupiter.api.Assertions.assertArrayEquals(next, resumed.next());
    }
}
