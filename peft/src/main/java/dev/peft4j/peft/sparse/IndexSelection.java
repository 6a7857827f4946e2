package dev.peft4j.peft.sparse;

import dev.peft4j.engine.nn.LinearLayer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Chooses every target's entries for a {@link SparseConfig}: ascending flat [out, in] positions by path. */
public final class IndexSelection {

    private IndexSelection() {
    }

    /** Entries per target path, in the targets' order. */
    public static Map<String, int[]> select(SparseConfig c, Map<String, LinearLayer> targets) {
        Selection s = c.selection();
        if (s.needsData() && c.selectionData() == null) {
            throw new IllegalArgumentException("sparse selection \"" + s.cliName() + "\" runs the model on few-shot"
                    + " data: give the config a SelectionData (SparseConfig.selectionData); the CLI passes its training batches");
        }
        Map<String, int[]> out = new LinkedHashMap<>();
        double d = c.density();
        switch (s) {
            case GRADIENT, FISHER -> {
                List<float[]> scores = GradientScores.of(targets, c.selectionData(), s == Selection.FISHER);
                long total = 0;
                for (float[] sc : scores) {
                    total += sc.length;
                }
                int[][] picked = TopK.largest(scores, RandomIndices.count(d, total));
                int t = 0;
                for (String path : targets.keySet()) {
                    out.put(path, picked[t++]);
                }
            }
            case SCT -> {
                List<float[]> means = ActivationScores.of(targets, c.selectionData());
                int t = 0;
                for (Map.Entry<String, LinearLayer> e : targets.entrySet()) {
                    LinearLayer l = e.getValue();
                    int[] channels = TopK.largest(means.get(t++), RandomIndices.count(d, l.inFeatures()));
                    out.put(e.getKey(), ActivationScores.columns(l.outFeatures(), l.inFeatures(), channels));
                }
            }
            default -> {
                for (Map.Entry<String, LinearLayer> e : targets.entrySet()) {
                    out.put(e.getKey(), perTarget(c, e.getKey(), e.getValue()));
                }
            }
        }
        return out;
    }

    private static int[] perTarget(SparseConfig c, String path, LinearLayer l) {
        int out = l.outFeatures();
        int in = l.inFeatures();
        double d = c.density();
        int k = RandomIndices.count(d, (long) out * in);
        return switch (c.selection()) {
            case RANDOM -> RandomIndices.entries(out, in, d, RandomIndices.rngFor(c.randomSeed(), path));
            case HFT -> RandomIndices.rows(out, in, d, RandomIndices.rngFor(c.randomSeed(), path));
            case MAGNITUDE -> TopK.largest(WeightScores.magnitude(l), k);
            case SMALL_MAGNITUDE -> TopK.largest(WeightScores.smallMagnitude(l), k);
            case LIFT -> TopK.largest(WeightScores.lift(l, c.liftRank(), path), k);
            default -> throw new IllegalStateException("not a per-target selection: " + c.selection());
        };
    }
}
