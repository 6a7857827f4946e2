package dev.peft4j.models.gpt2;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.StepScope;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.optim.AdamW;
import dev.peft4j.kernels.cpu.CpuKernels;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPT-2 training steps inside {@link StepScope}s, where the blocks release what no backward rule reads, against
 * the same steps without a scope (where a release does nothing). The suite's pool fills every closed array with
 * NaN, so a released activation that some rule still read would show in these exact comparisons.
 */
class Gpt2StepScopeTest {

    private static final int BATCH = 2;
    private static final int SEQ = 8;

    /** Residual and embedding dropout on; attention dropout off keeps the fused attention path. */
    private static final Gpt2Config CONFIG = new Gpt2Config(53, 24, 16, 2, 2, 64, "gelu_new", 1e-5f, true,
            0.1f, 0.1f, 0f);

    @Test
    void attentionOnlyTrainingReleasesTheFrozenMlpsActivationsAndComputesTheSame() {
        // Like LoRA on c_attn: every norm output and MLP activation is read by nothing once the block is done.
        assertSameTraining(name -> name.endsWith("attn.c_attn.weight"), true);
    }

    @Test
    void fullTrainingKeepsWhatItsRulesReadAndComputesTheSame() {
        assertSameTraining(name -> true, false);
    }

    @Test
    void mlpOnlyTrainingComputesTheSame() {
        // c_proj trains: the GELU output it reads must stay though the MLP releases it.
        assertSameTraining(name -> name.contains("mlp.c_proj"), false);
    }

    @Test
    void evaluationInAnInferenceScopeComputesTheSameAndReleasesWithinThePass() {
        float[][] logits = new float[2][];
        int released = 0;
        for (int scoped = 0; scoped < 2; scoped++) {
            try (CpuKernels k = new CpuKernels(); Autograd.Scope ignored = Autograd.noGrad()) {
                Gpt2Model model = new Gpt2Model(CONFIG, k, new Rng(4));
                model.eval();
                StepScope pass = scoped == 1 ? StepScope.openForInference() : null;
                logits[scoped] = model.forward(ids(), BATCH, SEQ).toArray();
                if (pass != null) {
                    released = pass.releasedBuffers();
                    pass.close();
                }
            }
        }
        assertArrayEquals(logits[0], logits[1]);
        // Under noGrad nothing is read by a backward rule: each block's input, norm outputs, GELU output and
        // branch results go back as the pass moves on (14 here: 6 a block, the two embedding lookups).
        assertTrue(released >= 6 * CONFIG.nLayer(), "buffers released within the pass: " + released);
    }

    private static int[] ids() {
        Rng data = new Rng(8);
        int[] ids = new int[BATCH * SEQ];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = data.nextInt(CONFIG.vocabSize());
        }
        return ids;
    }

    /** Three AdamW steps with and without scopes; {@code releases}: the scoped forward releases activations. */
    private static void assertSameTraining(Predicate<String> trains, boolean releases) {
        Run plain = train(trains, false);
        Run scoped = train(trains, true);
        for (int i = 0; i < plain.values().size(); i++) {
            assertArrayEquals(plain.values().get(i), scoped.values().get(i), i == 0 ? "losses" : "trained weight " + i);
        }
        if (releases) {
            // The frozen MLP's activations, the branch results and the frozen prefix's outputs go back within the
            // first forward (16 here: 6 a block, the first block's input, the embeddings' lookups and their sum);
            // the c_attn inputs, which its trainable weight reads, stay.
            assertTrue(scoped.firstForwardReleased() >= 6 * CONFIG.nLayer(),
                    "buffers released within the first forward: " + scoped.firstForwardReleased());
        }
    }

    private record Run(List<float[]> values, int firstForwardReleased) {
    }

    private static Run train(Predicate<String> trains, boolean scoped) {
        try (CpuKernels k = new CpuKernels()) {
            Gpt2Model model = new Gpt2Model(CONFIG, k, new Rng(4));
            model.train(true);
            model.freeze();
            model.unfreeze(trains);
            List<Tensor> trained = model.trainableParameters();
            AdamW opt = new AdamW(trained, 1e-2f);
            int[] ids = ids();
            float[] losses = new float[3];
            int firstForwardReleased = 0;
            for (int s = 0; s < losses.length; s++) {
                opt.zeroGrad();
                StepScope step = scoped ? StepScope.open() : null;
                Tensor loss = model.loss(ids, ids, BATCH, SEQ);
                if (s == 0 && step != null) {
                    firstForwardReleased = step.releasedBuffers();
                }
                loss.backward();
                opt.step();
                losses[s] = loss.item();
                if (step != null) {
                    step.close();
                }
            }
            List<float[]> out = new ArrayList<>();
            out.add(losses);
            for (Tensor t : trained) {
                out.add(t.toArray());
            }
            return new Run(out, firstForwardReleased);
        }
    }
}
