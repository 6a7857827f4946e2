package dev.peft4j.peft.fewshot;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.TinyModels;
import dev.peft4j.peft.train.Checkpoints;
import dev.peft4j.peft.train.Evaluation;
import dev.peft4j.peft.train.NonFiniteLossException;
import dev.peft4j.peft.train.Objective;
import dev.peft4j.peft.train.OptimizerSettings;
import dev.peft4j.peft.train.Progress;
import dev.peft4j.peft.train.RunResult;
import dev.peft4j.peft.train.TrainerSettings;
import dev.peft4j.peft.train.TrainingLoop;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checkpoints: N updates straight equal k updates, a kill, and a resume to N, bit for bit (tensors, losses,
 * dev history), for LoRA with a classifier head (modules_to_save); a NaN loss stops naming step and checkpoint.
 */
class ResumeAndNanTest {

    private static Kernels k;

    @BeforeAll
    static void setUp() {
        k = new CpuKernels();
    }

    @AfterAll
    static void tearDown() {
        k.close();
    }

    @TempDir
    Path dir;

    private static List<DataRow> rows(int n, long seed) {
        Rng rng = new Rng(seed);
        List<DataRow> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            int len = 3 + rng.nextInt(4);
            for (int j = 0; j < len; j++) {
                sb.append((char) ('a' + rng.nextInt(6)));
            }
            out.add(new DataRow.Classification(sb.toString(), sb.charAt(0) < 'd' ? "low" : "high", i + 1));
        }
        return out;
    }

    /** A fresh model and objective, identical every call. */
    private record Setup(TrainableModel model, Objective objective) {
    }

    private static Setup setup() throws Exception {
        Gpt2Model gpt2 = TinyModels.gpt2(k, 5);
        Rng rng = new Rng(11);
        FewShotClassifier c = new FewShotClassifier(gpt2, ClassifierKind.HEAD, 2, null, k, rng.fork());
        TrainableModel m = TrainableModel.prepare(c, "lora", 2, 4, null, "score", "SEQ_CLS", "tiny", k, rng.fork());
        m.model().eval();
        List<DataRow> pool = rows(40, 3);
        FewShotSplit split = FewShotSplit.sample(pool, 4, 2, 7, "pool");
        Objective o = new ClassificationObjective(c, split, split.rest(), List.of("high", "low"),
                new PromptTemplate("{text}", List.of("high", "low"), null),
                text -> text.chars().map(ch -> ch % TinyModels.VOCAB).toArray(), 0, 8);
        return new Setup(m, o);
    }

    private static TrainerSettings settings() {
        return new TrainerSettings(new OptimizerSettings("adamw", 1e-2f, 0.01f, 1.0, "linear", 2, 10), 3, 3, 0, 4, 42);
    }

    private static Map<String, float[]> values(TrainableModel m) {
        Map<String, float[]> out = new TreeMap<>();
        m.trainable().forEach((n, t) -> out.put(n, t.toArray()));
        return out;
    }

    /** Fails with "killed" on the call after {@code killAfter} training losses. */
    private record Killing(Objective inner, int killAfter, int[] calls) implements Objective {
        public int trainSize() {
            return inner.trainSize();
        }

        public Tensor trainLoss(int[] indices) {
            if (calls[0]++ == killAfter) {
                throw new IllegalStateException("killed");
            }
            return inner.trainLoss(indices);
        }

        public long tokens(int[] indices) {
            return inner.tokens(indices);
        }

        public boolean hasDev() {
            return inner.hasDev();
        }

        public Evaluation evaluateDev() {
            return inner.evaluateDev();
        }

        public Evaluation evaluateTest() {
            return inner.evaluateTest();
        }
    }

    @Test
    void resumeAfterKillIsBitIdentical() throws Exception {
        Setup straight = setup();
        RunResult a = new TrainingLoop(settings(), dir.resolve("a"), Progress.silent(), "t")
                .train(straight.model().trainable(), straight.objective(), false);
        assertEquals(10, a.steps());

        Setup first = setup();
        TrainingLoop killed = new TrainingLoop(settings(), dir.resolve("b"), Progress.silent(), "t");
        IllegalStateException kill = assertThrows(IllegalStateException.class, () -> killed.train(
                first.model().trainable(), new Killing(first.objective(), 6, new int[1]), false));
        assertEquals("killed", kill.getMessage());
        assertTrue(Files.isDirectory(dir.resolve("b/step-00000004")), "checkpoint at step 4");

        Setup second = setup(); // a new process: fresh model, fresh init
        RunResult b = new TrainingLoop(settings(), dir.resolve("b"), Progress.silent(), "t")
                .train(second.model().trainable(), second.objective(), true);

        assertEquals(a.losses(), b.losses());
        assertEquals(a.dev(), b.dev());
        assertEquals(a.best(), b.best());
        Map<String, float[]> va = values(straight.model());
        Map<String, float[]> vb = values(second.model());
        assertEquals(va.keySet(), vb.keySet());
        assertTrue(va.keySet().stream().anyMatch(n -> n.contains("score")), "the head trains too: " + va.keySet());
        va.forEach((n, v) -> assertArrayEquals(v, vb.get(n), n));
        // and training changed something: the loss fell from where it started
        assertTrue(a.losses().getLast() < a.losses().getFirst(), a.losses().toString());
    }

    @Test
    void resumeUnderOtherSettingsIsRefused() throws Exception {
        Setup s = setup();
        new TrainingLoop(settings(), dir.resolve("c"), Progress.silent(), "t").train(s.model().trainable(),
                s.objective(), false);
        Setup again = setup();
        TrainerSettings other = new TrainerSettings(new OptimizerSettings("adamw", 2e-2f, 0.01f, 1.0, "linear", 2, 10),
                3, 3, 0, 4, 42);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TrainingLoop(other,
                dir.resolve("c"), Progress.silent(), "t").train(again.model().trainable(), again.objective(), true));
        assertTrue(e.getMessage().contains("other settings"), e.getMessage());
    }

    @Test
    void nanLossStopsNamingStepAndCheckpoint() throws Exception {
        Setup s = setup();
        int[] calls = new int[1];
        Objective poisoned = new Objective() {
            public int trainSize() {
                return s.objective().trainSize();
            }

            public Tensor trainLoss(int[] indices) {
                Tensor l = s.objective().trainLoss(indices);
                return ++calls[0] == 6 ? l.mul(Float.NaN) : l;
            }

            public long tokens(int[] indices) {
                return 1;
            }

            public boolean hasDev() {
                return false;
            }

            public Evaluation evaluateDev() {
                throw new AssertionError();
            }

            public Evaluation evaluateTest() {
                throw new AssertionError();
            }
        };
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> new TrainingLoop(settings(),
                dir.resolve("n"), Progress.silent(), "t").train(s.model().trainable(), poisoned, false));
        assertEquals(6, e.step());
        assertNotNull(e.lastCheckpoint());
        assertEquals(dir.resolve("n/step-00000004"), e.lastCheckpoint());
        assertTrue(e.getMessage().contains("step 6") && e.getMessage().contains("NaN")
                && e.getMessage().contains("step-00000004"), e.getMessage());
    }

    @Test
    void anOpsOwnFiniteCheckAlsoStopsNamingStepAndCheckpoint() throws Exception {
        Setup s = setup();
        int[] calls = new int[1];
        Objective checked = new Objective() {
            public int trainSize() {
                return s.objective().trainSize();
            }

            public Tensor trainLoss(int[] indices) {
                if (++calls[0] == 5) {
                    throw new ArithmeticException("crossEntropy loss: tensor [] has NaN or infinite elements");
                }
                return s.objective().trainLoss(indices);
            }

            public long tokens(int[] indices) {
                return 1;
            }

            public boolean hasDev() {
                return false;
            }

            public Evaluation evaluateDev() {
                throw new AssertionError();
            }

            public Evaluation evaluateTest() {
                throw new AssertionError();
            }
        };
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> new TrainingLoop(settings(),
                dir.resolve("op"), Progress.silent(), "t").train(s.model().trainable(), checked, false));
        assertEquals(5, e.step());
        assertEquals(dir.resolve("op/step-00000004"), e.lastCheckpoint());
        assertTrue(e.getMessage().contains("step 5: crossEntropy loss") && e.getMessage().contains("step-00000004"),
                e.getMessage());
    }
}
