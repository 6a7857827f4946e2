package dev.peft4j.models.gpt2;

import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The causal-LM loss shifts its targets instead of copying the logits; it must equal the sliced loss. */
class CausalLmLossTest {

    private static final Kernels K = new CpuKernels();

    @Test
    void equalsTheLossOverSlicedLogitsAndLeavesTheLastPositionWithoutGradient() {
        int batch = 3;
        int seq = 5;
        int vocab = 11;
        Rng rng = new Rng(7);
        float[] data = rng.uniform(batch * seq * vocab, -2, 2);
        int[] labels = new int[batch * seq];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = rng.nextInt(vocab);
        }
        labels[4] = Gpt2Model.IGNORE_INDEX; // an ignored label stays ignored

        Tensor logits = Tensor.of(K, data, batch, seq, vocab).requiresGrad(true);
        Tensor loss = Gpt2Model.causalLmLoss(logits, labels);
        loss.backward();

        // Reference: HF's shift, logits[:, :-1] against labels[:, 1:], with the slice copied.
        Tensor ref = Tensor.of(K, data, batch, seq, vocab).requiresGrad(true);
        int[] targets = new int[batch * (seq - 1)];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(labels, b * seq + 1, targets, b * (seq - 1), seq - 1);
        }
        Tensor refLoss = Functional.crossEntropy(ref.slice(1, 0, seq - 1).reshape(batch * (seq - 1), vocab),
                targets, Gpt2Model.IGNORE_INDEX);
        refLoss.backward();

        assertEquals(refLoss.item(), loss.item(), 1e-6f);
        float[] g = logits.grad().toArray();
        float[] gr = ref.grad().toArray();
        assertArrayEquals(gr, g, 1e-7f);
        for (int b = 0; b < batch; b++) {
            for (int v = 0; v < vocab; v++) {
                assertEquals(0f, g[(b * seq + seq - 1) * vocab + v], "last position of row " + b);
            }
        }
    }

    @Test
    void aFrozenHeadLossMatchesTheLogitsPathInValueAndGradients() {
        Gpt2Config c = new Gpt2Config(53, 24, 16, 2, 2, 64, "gelu_new", 1e-5f, true, 0f, 0f, 0f);
        int batch = 2;
        int seq = 7;
        int[] ids = new int[batch * seq];
        Rng rng = new Rng(3);
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(53);
        }
        float[][] grads = new float[2][];
        float[] losses = new float[2];
        for (int fused = 0; fused < 2; fused++) {
            Gpt2Model model = new Gpt2Model(c, K, new Rng(11));
            // Train only the blocks: the tied head (wte) is frozen, as under LoRA.
            model.parameters().forEach(p -> p.requiresGrad(false));
            Tensor trained = model.namedParameters().get("h.1.mlp.c_fc.weight").requiresGrad(true);
            Tensor loss = fused == 1 ? model.loss(ids, ids, batch, seq)
                    : Gpt2Model.causalLmLoss(model.forward(ids, batch, seq), ids);
            assertEquals(fused == 1 ? "linearCrossEntropy" : "crossEntropy", loss.op());
            loss.backward();
            losses[fused] = loss.item();
            grads[fused] = trained.grad().toArray();
        }
        assertEquals(losses[0], losses[1], 1e-5f);
        assertArrayEquals(grads[0], grads[1], 1e-6f);
    }
}
