package dev.peft4j.peft.fewshot;

import dev.peft4j.engine.Rng;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The few-shot protocol of LM-BFF (Gao et al. 2021): from a labelled pool, K training examples per class
 * and a dev set of K more per class (disjoint), drawn with a seed; every row not drawn is left for test.
 * Rows without classes (generation, pre-tokenized) draw K rows for training and K for dev.
 */
public record FewShotSplit(List<DataRow> train, List<DataRow> dev, List<DataRow> rest) {

    public FewShotSplit {
        train = List.copyOf(train);
        dev = List.copyOf(dev);
        rest = List.copyOf(rest);
    }

    /** Every row trains, in file order: no dev split, nothing held out. */
    public static FewShotSplit all(List<DataRow> rows) {
        return new FewShotSplit(rows, List.of(), List.of());
    }

    /**
     * @param k    examples per class (per split); for rows without classes, rows per split
     * @param devK dev examples per class (0 = no dev split)
     */
    public static FewShotSplit sample(List<DataRow> pool, int k, int devK, long seed, String source) {
        if (k <= 0 || devK < 0) {
            throw new IllegalArgumentException("K must be positive and dev K >= 0, got K " + k + ", dev K " + devK);
        }
        Rng rng = new Rng(seed);
        Map<String, List<DataRow>> groups = new LinkedHashMap<>();
        if (pool.getFirst() instanceof DataRow.Classification) {
            for (String label : new TreeSet<>(labels(pool))) {
                groups.put(label, new ArrayList<>());
            }
            for (DataRow r : pool) {
                groups.get(((DataRow.Classification) r).label()).add(r);
            }
        } else {
            groups.put("", new ArrayList<>(pool));
        }
        List<DataRow> train = new ArrayList<>();
        List<DataRow> dev = new ArrayList<>();
        List<DataRow> rest = new ArrayList<>();
        for (Map.Entry<String, List<DataRow>> e : groups.entrySet()) {
            List<DataRow> rows = e.getValue();
            if (rows.size() < k + devK) {
                throw new IllegalArgumentException(source + ": " + (e.getKey().isEmpty() ? "the file" : "class \""
                        + e.getKey() + "\"") + " has " + rows.size() + " rows but K=" + k + " train + " + devK
                        + " dev are asked for");
            }
            int[] order = rng.permutation(rows.size());
            for (int i = 0; i < order.length; i++) {
                DataRow r = rows.get(order[i]);
                (i < k ? train : i < k + devK ? dev : rest).add(r);
            }
        }
        // Interleave nothing by class: the trainer shuffles; keep file order inside each split for readability.
        train.sort((a, b) -> Integer.compare(a.line(), b.line()));
        dev.sort((a, b) -> Integer.compare(a.line(), b.line()));
        rest.sort((a, b) -> Integer.compare(a.line(), b.line()));
        return new FewShotSplit(train, dev, rest);
    }

    /** The sorted distinct labels of classification rows. */
    public static List<String> labels(List<DataRow> rows) {
        TreeSet<String> labels = new TreeSet<>();
        for (DataRow r : rows) {
            if (!(r instanceof DataRow.Classification c)) {
                throw new IllegalArgumentException("line " + r.line() + ": not a classification row");
            }
            labels.add(c.label());
        }
        return List.copyOf(labels);
    }
}
