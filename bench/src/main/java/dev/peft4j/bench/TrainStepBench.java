package dev.peft4j.bench;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.StepScope;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.optim.AdamW;
import dev.peft4j.kernels.Backends;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.opencl.OpenClKernels;
import dev.peft4j.kernels.opencl.OpenClTransfers;
import dev.peft4j.models.gpt2.Gpt2Config;
import dev.peft4j.models.gpt2.Gpt2Model;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One GPT-2 training step (forward, backward, AdamW over every parameter) on the CPU backend and on an
 * OpenCL device in the same run, from the same initial weights and tokens: ms/step, tokens/s, peak memory,
 * the OpenCL/CPU ratio, and the host↔device traffic of an OpenCL step.
 *
 * <p>Peak memory: for OpenCL the buffer pool's high-water mark (device memory the backend held); for the
 * CPU the peak of the JVM heap pools during the timed steps, garbage included (an upper bound).
 *
 * <p>Usage: {@code TrainStepBench [--config small|DIR] [--steps N] [--warmup W] [--device opencl:N] [--no-cpu]}.
 * {@code small} is 4 layers, d 128, 4 heads, vocab 512, batch 4 x seq 64; a checkpoint directory
 * ({@code config.json}) uses its config at batch 4 x min(64, n_positions).
 */
public final class TrainStepBench {

    private static final int BATCH = 4;
    private static final int SEQ = 64;

    private TrainStepBench() {
    }

    /** One backend's figures. */
    private record Result(String backend, double msPerStep, double tokensPerSecond, long peakBytes, String peakWhat,
                          float firstLoss, float lastLoss) {
    }

    public static void main(String[] args) throws Exception {
        String config = "small";
        int steps = 5;
        int warmup = 2;
        String device = "opencl";
        boolean cpu = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> config = args[++i];
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--device" -> device = args[++i];
                case "--no-cpu" -> cpu = false;
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: [--config small|DIR]"
                        + " [--steps N] [--warmup W] [--device opencl[:N]] [--no-cpu]");
            }
        }
        Gpt2Config c = config.equals("small")
                ? Gpt2Config.of(512, SEQ, 128, 4, 4).withDropout(0f)
                : Gpt2Config.load(Path.of(config, "config.json")).withDropout(0f);
        int seq = Math.min(SEQ, c.nPositions());
        Rng rng = new Rng(1234);
        int[] ids = new int[BATCH * seq];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(c.vocabSize());
        }
        System.out.printf("GPT-2 train step: %d layers, d %d, %d heads, vocab %d, batch %d x seq %d (%d tokens),"
                        + " AdamW on all parameters; %d warm-up + %d timed steps; JVM %s, %d processors%n",
                c.nLayer(), c.nEmbd(), c.nHead(), c.vocabSize(), BATCH, seq, BATCH * seq, warmup, steps,
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());

        List<Result> results = new ArrayList<>();
        if (cpu) {
            results.add(run("cpu", c, ids, seq, warmup, steps));
        }
        results.add(run(device, c, ids, seq, warmup, steps));

        System.out.printf("%-10s %10s %10s %10s  %s%n", "backend", "ms/step", "tokens/s", "peak MiB", "loss first->last");
        for (Result r : results) {
            System.out.printf("%-10s %10.1f %10.0f %10.1f  %.4f -> %.4f   (peak: %s)%n", r.backend, r.msPerStep,
                    r.tokensPerSecond, r.peakBytes / (1024.0 * 1024), r.firstLoss, r.lastLoss, r.peakWhat);
        }
        if (results.size() == 2) {
            System.out.printf("OpenCL / CPU time per step: %.2fx%n", results.get(1).msPerStep / results.get(0).msPerStep);
        }
    }

    private static Result run(String spec, Gpt2Config c, int[] ids, int seq, int warmup, int steps) {
        try (Kernels k = Backends.create(spec)) {
            System.out.println(spec + ": " + k.name());
            Gpt2Model model = new Gpt2Model(c, k, new Rng(42)); // same seed: same weights on every backend
            model.train(true);
            AdamW opt = new AdamW(model.parameters(), 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f);
            float first = Float.NaN;
            for (int s = 0; s < warmup; s++) {
                float loss = step(model, opt, ids, seq);
                if (s == 0) {
                    first = loss;
                }
            }
            List<MemoryPoolMXBean> heap = heapPools();
            heap.forEach(MemoryPoolMXBean::resetPeakUsage);
            OpenClTransfers before = k instanceof OpenClKernels cl ? cl.transfers() : null;
            long start = System.nanoTime();
            float last = Float.NaN;
            for (int s = 0; s < steps; s++) {
                last = step(model, opt, ids, seq); // reading the loss waits for the device: the step is done
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (Float.isNaN(first)) {
                first = last;
            }
            double msPerStep = seconds * 1e3 / steps;
            double tokensPerSecond = (double) ids.length * steps / seconds;
            if (k instanceof OpenClKernels cl) {
                OpenClTransfers t = cl.transfers().since(before);
                System.out.printf("%s traffic per step: %.1f uploads (%.0f B), %.1f downloads (%.0f B)%n", spec,
                        (double) t.uploads() / steps, (double) (t.floatUploadBytes() + t.intUploadBytes()) / steps,
                        (double) t.downloads() / steps, (double) t.downloadBytes() / steps);
                return new Result(spec, msPerStep, tokensPerSecond, cl.poolStats().highWaterBytes(),
                        "device buffer-pool high-water mark", first, last);
            }
            long peak = 0;
            for (MemoryPoolMXBean p : heap) {
                peak += p.getPeakUsage().getUsed();
            }
            return new Result(spec, msPerStep, tokensPerSecond, peak, "JVM heap peak, garbage included", first, last);
        }
    }

    private static float step(Gpt2Model model, AdamW opt, int[] ids, int seq) {
        opt.zeroGrad();
        try (StepScope ignored = StepScope.open()) { // the step's activations go back to the pool at its end
            Tensor loss = model.loss(ids, ids, BATCH, seq);
            loss.backward();
            opt.step();
            return loss.item();
        }
    }

    private static List<MemoryPoolMXBean> heapPools() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
    }
}
