package dev.peft4j.peft.sparse;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Linear;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.TinyModels;
import dev.peft4j.peft.core.LinearLayers;
import dev.peft4j.peft.core.PeftModel;
import dev.peft4j.peft.core.TargetModules;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.peft4j.peft.sparse.SparseFixtures.assertIndices;
import static dev.peft4j.peft.sparse.SparseFixtures.assertSortedUnique;
import static dev.peft4j.peft.sparse.SparseFixtures.base;
import static dev.peft4j.peft.sparse.SparseFixtures.layers;
import static dev.peft4j.peft.sparse.SparseFixtures.mask;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every selector: sorted unique indices of the right count, chosen by its criterion, on the tiny GPT-2
 * (Conv1D targets stored [in, out]: c_attn 8->24 and both c_proj) and on hand-sized cases.
 */
class SelectorsTest {

    private static Kernels k;
    private static final TargetModules TARGETS = TargetModules.names("c_attn", "c_proj");

    @BeforeAll
    static void setUp() {
        k = new CpuKernels();
    }

    @AfterAll
    static void tearDown() {
        k.close();
    }

    private static Map<String, SparseLayer> inject(Gpt2Model model, SparseConfig c) {
        return layers(PeftModel.create(model, k, c.targetModules(TARGETS), new Rng(0)));
    }

    private static SparseConfig config(Selection s, double density) {
        return new SparseConfig().selection(s).density(density);
    }

    @Test
    void magnitudeKeepsTheLargestAndSmallMagnitudeTheSmallestEntriesOfEachTarget() {
        for (Selection s : new Selection[] {Selection.MAGNITUDE, Selection.SMALL_MAGNITUDE}) {
            Map<String, SparseLayer> layers = inject(TinyModels.gpt2(k, 1), config(s, 0.2));
            assertEquals(6, layers.size());
            layers.forEach((path, l) -> {
                LinearLayer b = base(l, path);
                float[] w = WeightScores.outIn(b);
                int[] idx = l.indices(PeftModel.DEFAULT_ADAPTER);
                assertSortedUnique(idx, w.length, path);
                assertEquals(Math.round(0.2 * w.length), idx.length, path);
                boolean[] chosen = mask(idx, w.length);
                double minIn = Double.MAX_VALUE;
                double maxIn = 0;
                double minOut = Double.MAX_VALUE;
                double maxOut = 0;
                for (int j = 0; j < w.length; j++) {
                    double a = Math.abs(w[j]);
                    if (chosen[j]) {
                        minIn = Math.min(minIn, a);
                        maxIn = Math.max(maxIn, a);
                    } else {
                        minOut = Math.min(minOut, a);
                        maxOut = Math.max(maxOut, a);
                    }
                }
                if (s == Selection.MAGNITUDE) {
                    assertTrue(minIn >= maxOut, path + ": a chosen |w| " + minIn + " < an unchosen " + maxOut);
                } else {
                    assertTrue(maxIn <= minOut, path + ": a chosen |w| " + maxIn + " > an unchosen " + minOut);
                }
            });
        }
    }

    @Test
    void magnitudeIndicesAreFlatOutInPositionsForConv1dStorage() {
        // One hand-checkable case: the largest |w| of c_attn 0 found in storage [in, out] maps to o·in + i.
        Gpt2Model model = TinyModels.gpt2(k, 2);
        Map<String, SparseLayer> layers = inject(model, config(Selection.MAGNITUDE, 1.0 / 192));
        String path = layers.keySet().iterator().next();
        LinearLayer b = base(layers.get(path), path);
        assertTrue(b.fanInFanOut());
        float[] stored = b.weight().toArray();
        int best = 0;
        for (int j = 1; j < stored.length; j++) {
            if (Math.abs(stored[j]) > Math.abs(stored[best])) {
                best = j;
            }
        }
        int i = best / b.outFeatures();
        int o = best % b.outFeatures();
        assertIndices(new int[] {o * b.inFeatures() + i}, layers.get(path).indices(PeftModel.DEFAULT_ADAPTER), path);
    }

    @Test
    void randomIsSeededPerTargetAndUniform() {
        Map<String, SparseLayer> a = inject(TinyModels.gpt2(k, 3), config(Selection.RANDOM, 0.1).randomSeed(5));
        Map<String, SparseLayer> again = inject(TinyModels.gpt2(k, 4), config(Selection.RANDOM, 0.1).randomSeed(5));
        Map<String, SparseLayer> other = inject(TinyModels.gpt2(k, 3), config(Selection.RANDOM, 0.1).randomSeed(6));
        List<String> seen = new ArrayList<>();
        a.forEach((path, l) -> {
            LinearLayer b = base(l, path);
            int n = b.inFeatures() * b.outFeatures();
            int[] idx = l.indices(PeftModel.DEFAULT_ADAPTER);
            assertSortedUnique(idx, n, path);
            assertEquals(Math.round(0.1 * n), idx.length, path);
            assertIndices(idx, again.get(path).indices(PeftModel.DEFAULT_ADAPTER), "same seed, other weights");
            assertNotEquals(java.util.Arrays.toString(idx), java.util.Arrays.toString(other.get(path).indices("default")));
            seen.add(java.util.Arrays.toString(idx));
        });
        assertNotEquals(seen.get(0), seen.get(2), "the two c_attn layers must differ");
        // Uniform: over 300 seeds each of 40 entries is chosen with frequency near k/n = 0.25.
        int[] hits = new int[40];
        for (int seed = 0; seed < 300; seed++) {
            for (int i : RandomIndices.entries(5, 8, 0.25, new Rng(seed))) {
                hits[i]++;
            }
        }
        for (int i = 0; i < hits.length; i++) {
            assertTrue(hits[i] > 40 && hits[i] < 110, "entry " + i + " chosen " + hits[i] + " times of 300");
        }
    }

    @Test
    void hftTrainsWholeRandomRows() {
        Map<String, SparseLayer> layers = inject(TinyModels.gpt2(k, 5), config(Selection.HFT, 0.5));
        layers.forEach((path, l) -> {
            LinearLayer b = base(l, path);
            int in = b.inFeatures();
            int out = b.outFeatures();
            int[] idx = l.indices(PeftModel.DEFAULT_ADAPTER);
            assertSortedUnique(idx, (long) in * out, path);
            assertEquals(out / 2 * in, idx.length, path + ": half of the rows, every entry");
            boolean[] m = mask(idx, in * out);
            for (int o = 0; o < out; o++) {
                for (int i = 1; i < in; i++) {
                    assertEquals(m[o * in], m[o * in + i], path + ": row " + o + " is not whole");
                }
            }
        });
    }

    @Test
    void liftPicksThePrincipalComponentsEntriesNotTheLargestWeights() {
        // W = 5·u1 v1ᵀ + 3.2·u2 v2ᵀ with orthonormal u and v. |5·u1 v1ᵀ| = (1.75, 1.5, 0.75, 0.61, 0) in every row;
        // the second term adds ±1.6 in column 4 only. Largest |W|: columns 0 and 4; rank-1 LIFT: columns 0 and 1.
        double[] u1 = {0.5, 0.5, 0.5, 0.5};
        double[] u2 = {0.5, -0.5, 0.5, -0.5};
        double[] v1 = {0.7, 0.6, 0.3, Math.sqrt(0.06), 0};
        double[] v2 = {0, 0, 0, 0, 1};
        float[] w = new float[4 * 5];
        for (int o = 0; o < 4; o++) {
            for (int i = 0; i < 5; i++) {
                w[o * 5 + i] = (float) (5 * u1[o] * v1[i] + 3.2 * u2[o] * v2[i]);
            }
        }
        LinearLayer layer = LinearLayers.of(new Linear(Tensor.of(k, w, 4, 5), null), "m");
        Map<String, LinearLayer> targets = Map.of("m", layer);
        int[] lift = IndexSelection.select(config(Selection.LIFT, 8.0 / 20).liftRank(1), targets).get("m");
        assertIndices(new int[] {0, 1, 5, 6, 10, 11, 15, 16}, lift, "rank-1 principal entries: columns 0 and 1");
        int[] magnitude = IndexSelection.select(config(Selection.MAGNITUDE, 8.0 / 20), targets).get("m");
        assertIndices(new int[] {0, 4, 5, 9, 10, 14, 15, 19}, magnitude, "largest |W|: columns 0 and 4");
        int[] full = IndexSelection.select(config(Selection.LIFT, 8.0 / 20).liftRank(2), targets).get("m");
        assertIndices(magnitude, full, "at full rank LIFT is magnitude selection");
    }

    @Test
    void gradientAndFisherHandCaseWithAGlobalBudget() {
        // x1 = (1, 0, 2), x2 = (-1, 2, -2); head a weights outputs by (1, 2), head b by (0.1, 0.1).
        // Σ gradients: a = [[0, 2, 0], [0, 4, 0]], b = [[0, .2, 0], [0, .2, 0]].
        // Fisher Σ g²: a = [[2, 4, 8], [8, 16, 32]], b = 0.01·[[2, 4, 8], [2, 4, 8]].
        SparseFixtures.Heads heads = new SparseFixtures.Heads(k, new float[] {1, 2}, new float[] {0.1f, 0.1f});
        SelectionData data = heads.data(k, new float[][] {{1, 0, 2}, {-1, 2, -2}});
        Map<String, LinearLayer> targets = new LinkedHashMap<>();
        targets.put("a", LinearLayers.of(heads.module("a"), "a"));
        targets.put("b", LinearLayers.of(heads.module("b"), "b"));

        Map<String, int[]> g2 = IndexSelection.select(config(Selection.GRADIENT, 2.0 / 12).selectionData(data), targets);
        assertIndices(new int[] {1, 4}, g2.get("a"), "gradient k=2, a");
        assertIndices(new int[0], g2.get("b"), "gradient k=2, b");
        Map<String, int[]> g4 = IndexSelection.select(config(Selection.GRADIENT, 4.0 / 12).selectionData(data), targets);
        assertIndices(new int[] {1, 4}, g4.get("a"), "gradient k=4, a");
        assertIndices(new int[] {1, 4}, g4.get("b"), "gradient k=4: the budget spills into b");
        Map<String, int[]> f2 = IndexSelection.select(config(Selection.FISHER, 2.0 / 12).selectionData(data), targets);
        assertIndices(new int[] {4, 5}, f2.get("a"), "fisher k=2, a");
        Map<String, int[]> f4 = IndexSelection.select(config(Selection.FISHER, 4.0 / 12).selectionData(data), targets);
        assertIndices(new int[] {2, 3, 4, 5}, f4.get("a"), "fisher k=4 (8 and 8 tie: both fit)");
        assertIndices(new int[0], f4.get("b"), "fisher k=4, b");
        // The pass left no gradient behind and every flag as it was.
        assertTrue(heads.parameters().stream().allMatch(t -> t.requiresGrad() && t.grad() == null));
    }

    @Test
    void gradientSelectionOnGpt2IsTheGlobalTopOfTheSummedGradient() {
        Gpt2Model model = TinyModels.gpt2(k, 6);
        // Reference on an identical model: plain autograd, both batches, sort all |Σg| globally.
        Gpt2Model ref = TinyModels.gpt2(k, 6);
        ref.freeze();
        Map<String, LinearLayer> refTargets = new LinkedHashMap<>();
        ref.namedModules().forEach((path, m) -> {
            if (path.endsWith("c_attn") || path.endsWith("c_proj")) {
                refTargets.put(path, LinearLayers.of(m, path));
                m.namedParameters().get("weight").requiresGrad(true);
            }
        });
        TinyModels.loss(ref, TinyModels.ids(21)).backward();
        TinyModels.loss(ref, TinyModels.ids(22)).backward();
        List<double[]> entries = new ArrayList<>(); // {score, target, position}
        int t = 0;
        for (LinearLayer l : refTargets.values()) {
            float[] g = l.weight().grad().toArray(); // stored [in, out]
            for (int j = 0; j < g.length; j++) {
                int i = j / l.outFeatures();
                int o = j % l.outFeatures();
                entries.add(new double[] {Math.abs(g[j]), t, o * l.inFeatures() + i});
            }
            t++;
        }
        entries.sort((p, q) -> Double.compare(q[0], p[0]));
        int kTotal = (int) Math.round(0.05 * entries.size());
        assertTrue(entries.get(kTotal - 1)[0] > entries.get(kTotal)[0], "the reference has no tie at the threshold");

        Map<String, SparseLayer> layers = inject(model, config(Selection.GRADIENT, 0.05).selectionData(SparseFixtures.gpt2Data(model)));
        assertEquals(new ArrayList<>(refTargets.keySet()), new ArrayList<>(layers.keySet()));
        int total = 0;
        t = 0;
        for (Map.Entry<String, SparseLayer> e : layers.entrySet()) {
            final int target = t++;
            int[] want = entries.subList(0, kTotal).stream().filter(p -> p[1] == target)
                    .mapToInt(p -> (int) p[2]).sorted().toArray();
            int[] got = e.getValue().indices(PeftModel.DEFAULT_ADAPTER);
            assertIndices(want, got, e.getKey());
            total += got.length;
        }
        assertEquals(kTotal, total);
        long distinctCounts = layers.values().stream().mapToInt(l -> l.indices("default").length).distinct().count();
        assertTrue(distinctCounts > 1, "a global budget spreads unevenly over targets");
        // Selection froze nothing for good: after injection only the sparse values train.
        model.namedTrainableParameters().keySet().forEach(n -> assertTrue(n.contains("sparse_values"), n));
    }

    @Test
    void sctTakesWholeColumnsOfTheMostActiveInputChannels() {
        // Inputs (3 rows over two batches): mean |x| per channel = (5/3, 1.5/3, 3/3).
        SparseFixtures.Heads heads = new SparseFixtures.Heads(k, new float[] {1, 1}, new float[] {1, 1});
        SelectionData data = heads.data(k, new float[][] {{1, 0, 2, -3, 0.5f, 0}, {1, -1, -1}});
        Map<String, LinearLayer> targets = new LinkedHashMap<>();
        targets.put("a", LinearLayers.of(heads.module("a"), "a"));
        Map<String, int[]> one = IndexSelection.select(config(Selection.SCT, 1.0 / 3).selectionData(data), targets);
        assertIndices(new int[] {0, 3}, one.get("a"), "channel 0, both rows");
        Map<String, int[]> two = IndexSelection.select(config(Selection.SCT, 2.0 / 3).selectionData(data), targets);
        assertIndices(new int[] {0, 2, 3, 5}, two.get("a"), "channels 0 and 2");
        assertTrue(heads.module("a") instanceof Linear, "the probe was taken out again");

        Gpt2Model model = TinyModels.gpt2(k, 7);
        Map<String, SparseLayer> layers = inject(model, config(Selection.SCT, 0.25).selectionData(SparseFixtures.gpt2Data(model)));
        layers.forEach((path, l) -> {
            LinearLayer b = base(l, path);
            int in = b.inFeatures();
            int out = b.outFeatures();
            int[] idx = l.indices(PeftModel.DEFAULT_ADAPTER);
            assertSortedUnique(idx, (long) in * out, path);
            int channels = Math.round(0.25f * in);
            assertEquals(channels * out, idx.length, path);
            for (int o = 0; o < out; o++) {
                for (int c = 0; c < channels; c++) {
                    assertEquals(idx[c] + o * in, idx[o * channels + c], path + ": the same columns in every row");
                }
            }
        });
    }

    @Test
    void dataSelectionsWithoutDataAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> inject(TinyModels.gpt2(k, 8), config(Selection.FISHER, 0.1)));
        assertTrue(e.getMessage().startsWith("sparse selection \"fisher\" runs the model on few-shot data"), e.getMessage());
        assertFalse(Selection.LIFT.needsData());
    }
}
