package dev.peft4j.bench;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.cpu.CpuKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: the frozen GPT-2 LM head + cross-entropy at 512 tokens (x [512, 768], W [50257, 768]), fused
 * ({@code Functional.linearCrossEntropy}: vocabulary blocks with an online softmax, no [512, 50257] logits)
 * against the unfused composition ({@code crossEntropy(linear(x, W))}: the logits and their gradient, 100 MB
 * each). {@code grad} adds dL/dx (the backward), as in a LoRA step; without it this is the eval forward.
 * Run with {@code -prof gc} to see the allocation each saves.
 */
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
public class LmHeadLossBenchmark extends JmhDefaults {

    private static final int ROWS = 512;
    private static final int IN = 768;
    private static final int VOCAB = 50257;

    @Param({"fused", "unfused"})
    public String variant;

    @Param({"false", "true"})
    public boolean grad;

    private CpuKernels kernels;
    private float[] xData;
    private Tensor weight;
    private int[] targets;

    @Setup(Level.Trial)
    public void setup() {
        kernels = new CpuKernels();
        Rng rng = new Rng(1);
        xData = rng.uniform(ROWS * IN, -1, 1);
        weight = Tensor.of(kernels, rng.uniform(VOCAB * IN, -0.05, 0.05), VOCAB, IN);
        targets = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            targets[i] = rng.nextInt(VOCAB);
        }
    }

    @Benchmark
    public float loss() {
        Tensor x = Tensor.of(kernels, xData, ROWS, IN).requiresGrad(grad);
        try (var scope = grad ? null : Autograd.noGrad()) {
            Tensor loss = variant.equals("fused")
                    ? Functional.linearCrossEntropy(x, weight, targets, Functional.IGNORE_INDEX)
                    : Functional.crossEntropy(Functional.linear(x, weight, null), targets, Functional.IGNORE_INDEX);
            if (grad) {
                loss.backward();
                return x.grad().toArray()[0];
            }
            return loss.item();
        }
    }
}
