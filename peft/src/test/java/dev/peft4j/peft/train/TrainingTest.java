package dev.peft4j.peft.train;

import dev.peft4j.engine.Rng;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.TinyModels;
import dev.peft4j.peft.core.PeftModel;
import dev.peft4j.peft.core.TargetModules;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The training loop: loss falls, frozen weights never move, plain SGD is exactly p -= lr·grad, data errors. */
class TrainingTest {

    private static Kernels k;

    @BeforeAll
    static void setUp() {
        k = new CpuKernels();
    }

    @AfterAll
    static void tearDown() {
        k.close();
    }

    /** Four short "counting" sequences a tiny model can learn quickly. */
    private static List<TrainingExample> data() {
        List<TrainingExample> out = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            int[] ids = new int[7];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = (s + 2 * i) % TinyModels.VOCAB;
            }
            out.add(new TrainingExample(ids, ids));
        }
        return out;
    }

    private static List<Float> train(Gpt2Model model, PeftModel peft, OptimizerSettings settings, boolean shuffle) {
        List<TrainingExample> data = data();
        EpochOrder order = new EpochOrder(1, data.size(), 2, shuffle);
        model.train(true);
        return TrainingLoop.run(peft::trainableParameters,
                () -> Batch.collate(Arrays.stream(order.next()).mapToObj(data::get).toList(), 0),
                b -> Gpt2Model.causalLmLoss(model.forward(b.inputIds(), b.batch(), b.seq()), b.labels()),
                settings, null);
    }

    @Test
    void shortFineTuningLowersTheLossAndLeavesFrozenWeightsBitIdentical() {
        for (AdapterMethod method : new AdapterMethod[] {AdapterMethod.LORA, AdapterMethod.DORA, AdapterMethod.VERA}) {
            Gpt2Model model = TinyModels.gpt2(k, 31);
            PeftModel peft = PeftModel.create(model, k, method.config(4, 8, 0.1f,
                    TargetModules.names("c_attn", "c_fc")), new Rng(2));
            Map<String, float[]> frozen = new LinkedHashMap<>();
            model.namedParameters().forEach((n, t) -> {
                if (!t.requiresGrad()) {
                    frozen.put(n, t.toArray());
                }
            });
            float lr = method == AdapterMethod.VERA ? 5e-2f : 2e-2f;
            List<Float> losses = train(model, peft, new OptimizerSettings("adamw", lr, 0.01f, 1.0, "cosine", 2, 40), true);
            float first = (losses.get(0) + losses.get(1)) / 2;
            float last = (losses.get(38) + losses.get(39)) / 2;
            assertTrue(last < 0.8f * first, method + ": loss " + first + " -> " + last);
            model.namedParameters().forEach((n, t) -> {
                if (frozen.containsKey(n)) {
                    assertArrayEquals(frozen.get(n), t.toArray(), 0f, method + ": frozen " + n + " moved");
                }
            });
        }
    }

    @Test
    void plainSgdStepIsExactlyParameterMinusLrTimesGradient() {
        Gpt2Model model = TinyModels.gpt2(k, 32);
        PeftModel peft = PeftModel.create(model, k, AdapterMethod.LORA.config(2, 4, 0f, null), new Rng(3));
        Rng rng = new Rng(4);
        peft.trainableParameters().forEach(t -> TinyModels.randomize(t, rng, 0, 0.3));
        Batch batch = Batch.collate(data().subList(0, 2), 0);
        Map<String, float[]> before = new LinkedHashMap<>();
        Map<String, float[]> grads = new LinkedHashMap<>();
        Gpt2Model.causalLmLoss(model.forward(batch.inputIds(), batch.batch(), batch.seq()), batch.labels()).backward();
        model.namedTrainableParameters().forEach((n, t) -> {
            before.put(n, t.toArray());
            grads.put(n, t.grad().toArray());
            t.zeroGrad();
        });
        float lr = 0.5f;
        List<Float> losses = train(model, peft, new OptimizerSettings("sgd", lr, 0f, 0, "constant", 0, 1), false);
        assertEquals(1, losses.size());
        model.namedTrainableParameters().forEach((n, t) -> {
            float[] p = before.get(n);
            float[] g = grads.get(n);
            float[] now = t.toArray();
            for (int i = 0; i < p.length; i++) {
                float expected = p[i] - lr * g[i];
                assertEquals(expected, now[i], Math.ulp(expected), n + "[" + i + "]");
            }
        });
    }

    @Test
    void badJsonlRowsNameTheFileAndLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("data.jsonl");
        Files.writeString(file, "{\"input_ids\": [1, 2, 3]}\n\n{\"input_ids\": [1, 99]}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JsonlDataset.read(file, null, TinyModels.VOCAB));
        assertTrue(e.getMessage().startsWith(file + ":3: token id 99"), e.getMessage());
        Files.writeString(file, "{\"input_ids\": [1, 2], \"labels\": [-100]}\n");
        e = assertThrows(IllegalArgumentException.class, () -> JsonlDataset.read(file, null, TinyModels.VOCAB));
        assertTrue(e.getMessage().startsWith(file + ":1:"), e.getMessage());
        Files.writeString(file, "{\"prompt\": \"x\"}\n");
        e = assertThrows(IllegalArgumentException.class, () -> JsonlDataset.read(file, null, TinyModels.VOCAB));
        assertTrue(e.getMessage().contains(":1:") && e.getMessage().contains("\"text\" or \"input_ids\""), e.getMessage());
        Files.writeString(file, "{\"text\": \"ab\"}\n{\"input_ids\": [3, 4], \"labels\": [-100, 4]}\n");
        List<TrainingExample> rows = JsonlDataset.read(file, s -> new int[] {s.charAt(0) % 13, s.charAt(1) % 13},
                TinyModels.VOCAB);
        assertArrayEquals(new int[] {97 % 13, 98 % 13}, rows.get(0).labels());
        assertArrayEquals(new int[] {-100, 4}, rows.get(1).labels());
    }

    @Test
    void batchesPadOnTheRightWithIgnoredLabels() {
        Batch b = Batch.collate(List.of(new TrainingExample(new int[] {1, 2, 3}, new int[] {1, 2, 3}),
                new TrainingExample(new int[] {4, 5}, new int[] {-100, 5})), 0);
        assertEquals(3, b.seq());
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 0}, b.inputIds());
        assertArrayEquals(new int[] {1, 2, 3, -100, 5, -100}, b.labels());
    }
}
