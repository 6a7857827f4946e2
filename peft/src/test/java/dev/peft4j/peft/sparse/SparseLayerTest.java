package dev.peft4j.peft.sparse;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.io.HostIntTensor;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsDtype;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.engine.io.SafetensorsWriter;
import dev.peft4j.engine.json.Json;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.optim.AdamW;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.TinyModels;
import dev.peft4j.peft.core.AdapterFiles;
import dev.peft4j.peft.core.PeftModel;
import dev.peft4j.peft.core.TargetModules;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.peft4j.peft.sparse.SparseFixtures.base;
import static dev.peft4j.peft.sparse.SparseFixtures.layers;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sparse adapter on the tiny GPT-2 (c_attn and both c_proj, Conv1D storage): identity at zero init,
 * value gradients against central differences and against the dense gradient at the indices, merge and
 * unmerge, save and load bit for bit, and a short training run that leaves every base weight untouched.
 */
class SparseLayerTest {

    private static Kernels k;
    private static final int[] IDS = TinyModels.ids(7);
    private static final TargetModules TARGETS = TargetModules.names("c_attn", "c_proj");

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        k = new CpuKernels();
    }

    @AfterAll
    static void tearDown() {
        k.close();
    }

    private static PeftModel adapted(Gpt2Model model, Selection s, double density) {
        return PeftModel.create(model, k, new SparseConfig().selection(s).density(density).targetModules(TARGETS), new Rng(3));
    }

    private static void randomizeValues(PeftModel peft, Rng rng) {
        layers(peft).values().forEach(l -> TinyModels.randomize(l.values(PeftModel.DEFAULT_ADAPTER), rng, 0, 0.3));
    }

    private static Map<String, float[]> frozenParameters(Gpt2Model model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        model.namedParameters().forEach((name, t) -> {
            if (!name.contains("sparse_values")) {
                out.put(name, t.toArray());
            }
        });
        return out;
    }

    @Test
    void zeroValuesLeaveTheBaseLossUnchanged() {
        Gpt2Model model = TinyModels.gpt2(k, 11);
        float before = TinyModels.lossValue(model, IDS);
        PeftModel peft = adapted(model, Selection.RANDOM, 0.1);
        assertEquals(before, TinyModels.lossValue(model, IDS), 1e-6f * Math.abs(before));
        assertEquals(6, peft.layers().size());
        long nnz = layers(peft).values().stream().mapToLong(l -> l.indices("default").length).sum();
        assertEquals(nnz, peft.summary().trainable(), "exactly the values train");
    }

    @Test
    void valueGradientsMatchCentralDifferencesAndTheDenseGradientAtTheIndices() {
        Gpt2Model model = TinyModels.gpt2(k, 12);
        PeftModel peft = adapted(model, Selection.MAGNITUDE, 0.2);
        Rng rng = new Rng(5);
        randomizeValues(peft, rng);
        Map<String, SparseLayer> layers = layers(peft);
        // Let the base weights differentiate too, for the dense reference: dL/dW at an index is dL/dv there.
        layers.forEach((path, l) -> base(l, path).weight().requiresGrad(true));
        TinyModels.loss(model, IDS).backward();
        layers.forEach((path, l) -> {
            LinearLayer b = base(l, path);
            Tensor v = l.values(PeftModel.DEFAULT_ADAPTER);
            float[] dv = v.grad().toArray();
            float[] dense = b.weight().grad().toArray(); // stored [in, out]
            int[] idx = l.indices(PeftModel.DEFAULT_ADAPTER);
            for (int j = 0; j < idx.length; j++) {
                int o = idx[j] / b.inFeatures();
                int i = idx[j] % b.inFeatures();
                float want = dense[i * b.outFeatures() + o];
                assertEquals(want, dv[j], 1e-5 * (1 + Math.abs(want)), path + " entry " + j);
            }
        });
        layers.forEach((path, l) -> base(l, path).weight().requiresGrad(false));
        for (SparseLayer l : layers.values()) {
            Tensor v = l.values(PeftModel.DEFAULT_ADAPTER);
            TinyModels.checkGradient("sparse_values", v, v.grad().toArray(), () -> TinyModels.lossValue(model, IDS), 3, rng);
        }
    }

    @Test
    void mergedEqualsUnmergedAndUnmergeRestoresTheWeightsExactly() {
        Gpt2Model model = TinyModels.gpt2(k, 13);
        PeftModel peft = adapted(model, Selection.SMALL_MAGNITUDE, 0.3);
        randomizeValues(peft, new Rng(6));
        Map<String, float[]> before = frozenParameters(model);
        float[] unmerged = TinyModels.logits(model, IDS);
        peft.merge();
        float[] merged = TinyModels.logits(model, IDS);
        assertTrue(TinyModels.maxAbsDiff(unmerged, merged) <= 1e-5, "merged forward differs by " + TinyModels.maxAbsDiff(unmerged, merged));
        // The merge wrote W + v at exactly the indices.
        layers(peft).forEach((path, l) -> {
            LinearLayer b = base(l, path);
            float[] w0 = before.get(path + ".base_layer.weight");
            float[] w1 = b.weight().toArray();
            float[] v = l.values("default").toArray();
            int[] idx = l.indices("default");
            float[] want = w0.clone();
            for (int j = 0; j < idx.length; j++) {
                int s = (idx[j] % b.inFeatures()) * b.outFeatures() + idx[j] / b.inFeatures();
                want[s] = w0[s] + v[j];
            }
            assertArrayEquals(want, w1, path);
        });
        peft.unmerge();
        frozenParameters(model).forEach((name, w) -> assertArrayEquals(before.get(name), w, name + " after unmerge"));
        assertArrayEquals(unmerged, TinyModels.logits(model, IDS));
    }

    @Test
    void disabledAdapterComputesTheBase() throws Exception {
        Gpt2Model model = TinyModels.gpt2(k, 14);
        float[] base = TinyModels.logits(model, IDS);
        PeftModel peft = adapted(model, Selection.RANDOM, 0.2);
        randomizeValues(peft, new Rng(7));
        assertTrue(TinyModels.maxAbsDiff(base, TinyModels.logits(model, IDS)) > 1e-3, "the adapter changes the output");
        try (AutoCloseable ignored = peft.disableAdapters()) {
            assertArrayEquals(base, TinyModels.logits(model, IDS));
        }
    }

    @Test
    void saveThenLoadIsBitExactForAGlobalSelection() throws Exception {
        Gpt2Model model = TinyModels.gpt2(k, 15);
        SparseConfig config = new SparseConfig().selection(Selection.FISHER).density(0.05)
                .selectionData(SparseFixtures.gpt2Data(model)).targetModules(TARGETS);
        PeftModel peft = PeftModel.create(model, k, config, new Rng(3));
        randomizeValues(peft, new Rng(8));
        float[] logits = TinyModels.logits(model, IDS);
        Path dir = tmp.resolve("adapter");
        peft.save(dir);

        Map<String, Object> json = Json.object(Json.parse(Files.readString(dir.resolve(AdapterFiles.CONFIG_FILE)), "cfg"), "cfg");
        assertEquals("SPARSE", json.get("peft_type"));
        assertEquals("fisher", json.get("selection"));
        assertEquals(0.05, (Double) json.get("density"));
        assertEquals(Boolean.TRUE, json.get("fan_in_fan_out"));
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve(AdapterFiles.WEIGHTS_FILE))) {
            String key = "base_model.model.transformer.h.0.attn.c_attn.";
            assertEquals(SafetensorsDtype.I32, r.entry(key + "sparse_indices").dtype());
            assertEquals(SafetensorsDtype.F32, r.entry(key + "sparse_values").dtype());
            assertEquals(12, r.names().size(), "indices and values for 6 targets");
        }

        Gpt2Model fresh = TinyModels.gpt2(k, 15);
        PeftModel loaded = PeftModel.load(fresh, k, dir, true);
        Map<String, SparseLayer> a = layers(peft);
        Map<String, SparseLayer> b = layers(loaded);
        assertEquals(a.keySet(), b.keySet());
        a.forEach((path, l) -> {
            assertArrayEquals(l.indices("default"), b.get(path).indices("default"), path + " indices");
            float[] va = l.values("default").toArray();
            float[] vb = b.get(path).values("default").toArray();
            assertEquals(va.length, vb.length);
            for (int j = 0; j < va.length; j++) {
                assertEquals(Float.floatToRawIntBits(va[j]), Float.floatToRawIntBits(vb[j]), path + " value " + j);
            }
        });
        assertArrayEquals(logits, TinyModels.logits(fresh, IDS));
        assertTrue(a.values().stream().mapToInt(l -> l.indices("default").length).distinct().count() > 1,
                "layers hold different counts, so loading had to size them from the file");
        assertEquals(loaded.summary().trainable(), a.values().stream().mapToLong(l -> l.indices("default").length).sum(),
                "the loaded values train");
    }

    @Test
    void loadingRefusesIndicesThatAreNotAscendingInsideTheWeight() throws Exception {
        Gpt2Model model = TinyModels.gpt2(k, 16);
        adapted(model, Selection.RANDOM, 0.1).save(tmp.resolve("ok"));
        Path file = tmp.resolve("ok").resolve(AdapterFiles.WEIGHTS_FILE);
        String key = "base_model.model.transformer.h.0.attn.c_attn.sparse_indices";
        for (int[] bad : new int[][] {{5, 3}, {3, 192}}) {
            List<HostTensor> floats = new ArrayList<>();
            List<HostIntTensor> ints = new ArrayList<>();
            try (SafetensorsReader r = SafetensorsReader.open(file)) {
                for (String name : r.names()) {
                    if (r.entry(name).dtype() == SafetensorsDtype.I32) {
                        int[] v = r.readInts(name).data();
                        if (name.equals(key)) {
                            v[0] = bad[0];
                            v[1] = bad[1];
                        }
                        ints.add(new HostIntTensor(name, new int[] {v.length}, v));
                    } else {
                        floats.add(r.read(name));
                    }
                }
            }
            Path dir = tmp.resolve("bad" + bad[1]);
            Files.createDirectories(dir);
            Files.copy(tmp.resolve("ok").resolve(AdapterFiles.CONFIG_FILE), dir.resolve(AdapterFiles.CONFIG_FILE));
            SafetensorsWriter.write(dir.resolve(AdapterFiles.WEIGHTS_FILE), floats, ints, Map.of("format", "pt"));
            Gpt2Model target = TinyModels.gpt2(k, 16);
            var e = assertThrows(IllegalArgumentException.class, () -> PeftModel.load(target, k, dir, false));
            String at = "sparse layer \"h.0.attn.c_attn\" sparse_indices: ";
            assertEquals(bad[1] == 3 ? at + "indices must ascend strictly, but index 0 = 5 and index 1 = 3"
                    : at + "index 1 = 192 is outside [0, 192) for a [24, 8] weight", e.getMessage());
            assertTrue(target.namedModules().values().stream().noneMatch(m -> m instanceof SparseLayer),
                    "a failed load leaves no adapter behind");
        }
    }

    @Test
    void aShortRunLowersTheLossAndLeavesEveryBaseWeightBitIdentical() {
        Gpt2Model model = TinyModels.gpt2(k, 17);
        PeftModel peft = adapted(model, Selection.HFT, 0.5);
        Map<String, float[]> before = frozenParameters(model);
        AdamW opt = new AdamW(peft.trainableParameters(), 0.02f);
        float first = TinyModels.lossValue(model, IDS);
        for (int step = 0; step < 25; step++) {
            opt.zeroGrad();
            TinyModels.loss(model, IDS).backward();
            opt.step();
        }
        float last = TinyModels.lossValue(model, IDS);
        assertTrue(last < 0.8 * first, "loss " + first + " -> " + last);
        frozenParameters(model).forEach((name, w) -> assertArrayEquals(before.get(name), w, name + " changed"));
        model.namedParameters().forEach((name, t) -> {
            if (!name.contains("sparse_values")) {
                assertNull(t.grad(), name + " got a gradient");
            }
        });
    }
}
