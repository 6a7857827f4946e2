package dev.peft4j.bench;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.StepScope;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.FrozenBf16;
import dev.peft4j.engine.optim.AdamW;
import dev.peft4j.kernels.Backends;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.core.PeftModel;
import dev.peft4j.peft.core.TargetModules;
import dev.peft4j.peft.lora.LoraConfig;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * {@code peft4j bench train}: steps of a randomly initialised GPT-2 on random tokens (fixed seeds) in one of
 * three modes, timed after warm-up: tokens/s, ms/step and peak memory. The peer is bench/torch_bench.py,
 * which runs the same shapes, modes and optimizer settings in PyTorch.
 *
 * <ul>
 *   <li>{@code forward}: eval-mode forward and loss, no graph recorded;</li>
 *   <li>{@code lora}: LoRA r=8 (alpha 16) on {@code c_attn} and {@code attn.c_proj} via {@link PeftModel},
 *       forward + backward + AdamW over the adapter only;</li>
 *   <li>{@code full}: forward + backward + AdamW over every parameter.</li>
 * </ul>
 */
public final class TrainBench {

    /** AdamW settings shared with torch_bench.py. */
    static final float LR = 1e-3f;
    static final float WEIGHT_DECAY = 0.01f;
    static final int LORA_R = 8;
    static final double LORA_ALPHA = 16;
    static final List<String> LORA_TARGETS = List.of("c_attn", "attn.c_proj");

    public enum Mode { FORWARD, LORA, FULL;

        static Mode parse(String s) {
            for (Mode m : values()) {
                if (m.name().equalsIgnoreCase(s)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("--mode '" + s + "': expected forward, lora or full");
        }

        String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** @param bf16Base keep the frozen base weights in bfloat16 ({@code --base-dtype bf16}); not for mode full */
    public record Options(TrainShape shape, Mode mode, String device, int warmup, int steps, long seed,
                          boolean bf16Base) {
        public Options {
            if (steps <= 0 || warmup < 0) {
                throw new IllegalArgumentException("--steps must be > 0 and --warmup >= 0, got " + steps + " and " + warmup);
            }
            if (bf16Base && mode == Mode.FULL) {
                throw new IllegalArgumentException("--base-dtype bf16 keeps the frozen base weights in bf16, but mode"
                        + " full trains every weight: use --base-dtype f32 with --mode full");
            }
        }

        /** A float32 base. */
        public Options(TrainShape shape, Mode mode, String device, int warmup, int steps, long seed) {
            this(shape, mode, device, warmup, steps, seed, false);
        }
    }

    /**
     * Figures of one run: time of the median timed step and the throughput it gives; losses of the first
     * warm-up step (or first timed one) and the last step; on the CPU, allocations per timed step that a closed
     * buffer's array served ({@link CpuKernels#recycledArrays()}) and of those long enough for the pool
     * ({@link CpuKernels#poolableAllocations()}; both -1 on other backends); each timed step's milliseconds.
     */
    public record Result(String backend, double msPerStep, double tokensPerSecond, long trainable, long total,
                         long peakRssBytes, long heapPeakBytes, float firstLoss, float lastLoss, Phases phases,
                         long recycledPerStep, long poolablePerStep, double[] stepMs) {
    }

    /** Mean milliseconds per timed step spent in the forward pass (with loss), backward and optimizer step. */
    public record Phases(double forwardMs, double backwardMs, double optimizerMs) {
    }

    /** Nanoseconds per phase, summed over the steps since the last {@link #reset}. */
    static final class PhaseClock {
        final long[] nanos = new long[3];

        void reset() {
            Arrays.fill(nanos, 0);
        }

        Phases perStep(int steps) {
            return new Phases(nanos[0] / 1e6 / steps, nanos[1] / 1e6 / steps, nanos[2] / 1e6 / steps);
        }
    }

    private TrainBench() {
    }

    public static void main(String[] args) {
        Options o = parse(args);
        PrintStream out = System.out;
        out.printf("# peft4j bench train: %s; mode %s; base %s; device %s; %d warm-up + %d timed steps; JVM %s,"
                        + " %d processors, max heap %.0f MiB, GC %s%n", o.shape().describe(), o.mode().cliName(),
                o.bf16Base() ? "bf16" : "f32", o.device(), o.warmup(),
                o.steps(), System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                PeakMemory.mib(Runtime.getRuntime().maxMemory()), PeakMemory.collectors());
        Result r = run(o);
        out.printf("# backend %s; trainable %d of %d parameters; loss %.4f -> %.4f%n", r.backend(), r.trainable(),
                r.total(), r.firstLoss(), r.lastLoss());
        out.printf("# mean per step: forward+loss %.1f ms, backward %.1f ms, optimizer %.1f ms%s%n",
                r.phases().forwardMs(), r.phases().backwardMs(), r.phases().optimizerMs(),
                r.recycledPerStep() < 0 ? "" : "; " + r.recycledPerStep() + " of " + r.poolablePerStep()
                        + " large allocations from recycled arrays");
        out.printf(Locale.ROOT, "# timed steps, ms in order:%s%n", Arrays.stream(r.stepMs())
                .mapToObj(x -> String.format(Locale.ROOT, " %.1f", x)).collect(Collectors.joining()));
        // key value lines, read by bench/compare-torch.sh (torch_bench.py prints the same keys)
        out.printf(Locale.ROOT, "ms_per_step %.1f%n", r.msPerStep()); // median step
        out.printf(Locale.ROOT, "tokens_per_s %.1f%n", r.tokensPerSecond());
        out.printf(Locale.ROOT, "peak_rss_mib %.1f%n", PeakMemory.mib(r.peakRssBytes()));
        out.printf(Locale.ROOT, "heap_peak_mib %.1f%n", PeakMemory.mib(r.heapPeakBytes()));
    }

    public static Result run(Options o) {
        TrainShape s = o.shape();
        Rng data = new Rng(o.seed());
        int[] ids = new int[s.tokens()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = data.nextInt(s.vocab());
        }
        try (Kernels k = Backends.create(o.device())) {
            Gpt2Model model = new Gpt2Model(s.config(), k, new Rng(o.seed() + 1));
            PhaseClock clock = new PhaseClock();
            Supplier<Float> step = prepare(o.mode(), model, k, ids, s, o.seed() + 2, clock);
            // Start-up garbage (the initial weights' host arrays) goes before the cast and the steps grow the heap
            // around it: a generational collector that promoted it keeps it until a full collection.
            System.gc();
            if (o.bf16Base()) {
                if (o.mode() == Mode.FORWARD) {
                    model.freeze(); // nothing trains in forward mode: every matrix is base
                }
                // After the adapter is injected and the base frozen, as finetune does.
                FrozenBf16.cast(model);
                System.gc(); // and the float32 originals
            }
            long trainable = model.trainableParameters().stream().mapToLong(Tensor::numel).sum();
            if (o.mode() == Mode.FORWARD) {
                trainable = 0;
            }
            long total = model.parameters().stream().mapToLong(Tensor::numel).sum();
            float first = Float.NaN;
            for (int i = 0; i < o.warmup(); i++) {
                float loss = step.get();
                first = i == 0 ? loss : first;
            }
            PeakMemory.resetHeapPeak();
            clock.reset();
            long recycled = recycled(k);
            long poolable = poolable(k);
            float last = Float.NaN;
            double[] ms = new double[o.steps()];
            for (int i = 0; i < o.steps(); i++) {
                long start = System.nanoTime();
                last = step.get(); // item() reads the loss back: the step (and any device queue) is done
                ms[i] = (System.nanoTime() - start) / 1e6;
            }
            first = Float.isNaN(first) ? last : first;
            double median = median(ms); // the median step: other work on a shared machine inflates the mean
            long recycledPerStep = recycled < 0 ? -1 : (recycled(k) - recycled) / o.steps();
            long poolablePerStep = poolable < 0 ? -1 : (poolable(k) - poolable) / o.steps();
            return new Result(k.name(), median, s.tokens() * 1e3 / median, trainable, total,
                    PeakMemory.peakRssBytes(), PeakMemory.heapPeakBytes(), first, last, clock.perStep(o.steps()),
                    recycledPerStep, poolablePerStep, ms);
        }
    }

    /** {@link CpuKernels#recycledArrays()} so far, or -1 for a backend without the CPU's array pool. */
    private static long recycled(Kernels k) {
        return k instanceof CpuKernels cpu ? cpu.recycledArrays() : -1;
    }

    /** {@link CpuKernels#poolableAllocations()} so far, or -1 for a backend without the CPU's array pool. */
    private static long poolable(Kernels k) {
        return k instanceof CpuKernels cpu ? cpu.poolableAllocations() : -1;
    }

    static double median(double[] v) {
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** One step of {@code mode} as a closure returning the loss; sets up the adapter and optimizer it needs. */
    @SuppressWarnings("try") // the no-grad scope is used only for its extent
    static Supplier<Float> prepare(Mode mode, Gpt2Model model, Kernels k, int[] ids, TrainShape s, long seed,
                                   PhaseClock clock) {
        return switch (mode) {
            case FORWARD -> () -> {
                // The pass's activations go back to the pool as the blocks release them, and the rest at its end.
                try (Autograd.Scope ignored = Autograd.noGrad(); StepScope pass = StepScope.openForInference()) {
                    long t0 = System.nanoTime();
                    float loss = model.loss(ids, ids, s.batch(), s.seq()).item();
                    clock.nanos[0] += System.nanoTime() - t0;
                    return loss;
                }
            };
            case LORA -> {
                LoraConfig config = new LoraConfig().r(LORA_R).loraAlpha(LORA_ALPHA)
                        .targetModules(new TargetModules.Names(LORA_TARGETS));
                PeftModel peft = PeftModel.create(model, k, config, new Rng(seed));
                model.train(true);
                yield trainStep(model, new AdamW(peft.trainableParameters(), LR, 0.9f, 0.999f, 1e-8f, WEIGHT_DECAY),
                        ids, s, clock);
            }
            case FULL -> {
                model.train(true);
                yield trainStep(model, new AdamW(model.parameters(), LR, 0.9f, 0.999f, 1e-8f, WEIGHT_DECAY), ids, s,
                        clock);
            }
        };
    }

    /** Phases are timed on the host: exact on the CPU backend; an OpenCL queue may shift time between them. */
    private static Supplier<Float> trainStep(Gpt2Model model, AdamW opt, int[] ids, TrainShape s, PhaseClock clock) {
        return () -> {
            try (StepScope ignored = StepScope.open()) { // the step's activations go back to the pool at its end
                long t0 = System.nanoTime();
                opt.zeroGrad();
                Tensor loss = model.loss(ids, ids, s.batch(), s.seq());
                long t1 = System.nanoTime();
                loss.backward();
                long t2 = System.nanoTime();
                opt.step();
                float value = loss.item();
                long t3 = System.nanoTime();
                clock.nanos[0] += t1 - t0;
                clock.nanos[1] += t2 - t1;
                clock.nanos[2] += t3 - t2;
                return value;
            }
        };
    }

    static Options parse(String[] args) {
        String config = "small";
        String mode = "lora";
        String device = "cpu";
        int steps = 3;
        int warmup = 1;
        long seed = 1234;
        String baseDtype = "f32";
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value; " + USAGE);
            }
            String v = args[++i];
            switch (a) {
                case "--config" -> config = v;
                case "--mode" -> mode = v;
                case "--device" -> device = v;
                case "--steps" -> steps = Integer.parseInt(v);
                case "--warmup" -> warmup = Integer.parseInt(v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--base-dtype" -> baseDtype = v;
                default -> throw new IllegalArgumentException("unknown option " + a + "; " + USAGE);
            }
        }
        if (!baseDtype.equals("f32") && !baseDtype.equals("bf16")) {
            throw new IllegalArgumentException("--base-dtype '" + baseDtype + "': expected f32 or bf16");
        }
        return new Options(TrainShape.named(config), Mode.parse(mode), device, warmup, steps, seed,
                baseDtype.equals("bf16"));
    }

    static final String USAGE = "usage: bench train [--config small|gpt2] [--mode forward|lora|full]"
            + " [--device cpu|opencl[:N]] [--steps N] [--warmup W] [--seed S] [--base-dtype f32|bf16]";
}
