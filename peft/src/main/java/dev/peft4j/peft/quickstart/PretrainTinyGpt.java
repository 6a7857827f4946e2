package dev.peft4j.peft.quickstart;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.StepScope;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.optim.AdamW;
import dev.peft4j.engine.optim.GradClip;
import dev.peft4j.engine.optim.LrSchedule;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Checkpoint;
import dev.peft4j.models.gpt2.Gpt2Config;
import dev.peft4j.models.gpt2.Gpt2Model;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Regenerates the quickstart's small GPT: a byte-level GPT-2 trained from scratch on {@link ProceduralCorpus}
 * windows. Deterministic for a given seed and step count. Run by {@code tools/quickstart/pretrain.sh}.
 *
 * <p>Usage: {@code PretrainTinyGpt OUT_DIR [--steps N] [--seed S] [--layers L] [--embd D] [--batch B]}.
 */
public final class PretrainTinyGpt {

    /** The shipped model's shape: 4 layers, width 128, 4 heads, 64 positions, byte vocabulary. */
    public record Settings(int steps, long seed, int layers, int embd, int heads, int positions, int batch, float lr) {

        public static Settings defaults() {
            return new Settings(2400, 20240601L, 4, 128, 4, 64, 16, 3e-3f);
        }

        public Gpt2Config config() {
            return new Gpt2Config(ByteVocab.SIZE, positions, embd, layers, heads, 4 * embd, "gelu_new", 1e-5f, true,
                    0f, 0f, 0f);
        }
    }

    private PretrainTinyGpt() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0 || args[0].startsWith("--")) {
            System.err.println("usage: PretrainTinyGpt OUT_DIR [--steps N] [--seed S] [--layers L] [--embd D] [--batch B]");
            System.exit(2);
        }
        Settings d = Settings.defaults();
        int steps = d.steps();
        long seed = d.seed();
        int layers = d.layers();
        int embd = d.embd();
        int batch = d.batch();
        for (int i = 1; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + args[i] + " needs a value");
            }
            String v = args[i + 1];
            switch (args[i]) {
                case "--steps" -> steps = Integer.parseInt(v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--layers" -> layers = Integer.parseInt(v);
                case "--embd" -> embd = Integer.parseInt(v);
                case "--batch" -> batch = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Settings s = new Settings(steps, seed, layers, embd, d.heads(), d.positions(), batch, d.lr());
        try (Kernels k = new CpuKernels()) {
            pretrain(Path.of(args[0]), s, k, System.out);
        }
    }

    /** Trains and writes {@code config.json}, {@code model.safetensors}, {@code vocab.json}, {@code merges.txt}. */
    public static float pretrain(Path out, Settings s, Kernels k, PrintStream log) throws IOException {
        Gpt2Config config = s.config();
        Rng rng = new Rng(s.seed());
        Gpt2Model model = new Gpt2Model(config, k, rng.fork());
        Rng data = rng.fork();
        model.train(true);
        List<Tensor> params = model.trainableParameters();
        AdamW opt = new AdamW(params, s.lr(), 0.9f, 0.98f, 1e-8f, 0.01f);
        LrSchedule schedule = LrSchedule.cosineWarmupDecay(Math.min(100, s.steps() / 10), s.steps());
        log.printf("pretraining a %d-layer, width-%d GPT (%,d parameters) on procedural text, %d steps of %dx%d tokens%n",
                s.layers(), s.embd(), model.parameterCount(), s.steps(), s.batch(), s.positions());
        long start = System.nanoTime();
        float ema = Float.NaN;
        for (int step = 0; step < s.steps(); step++) {
            int[] ids = new int[s.batch() * s.positions()];
            for (int b = 0; b < s.batch(); b++) {
                System.arraycopy(ProceduralCorpus.window(data, s.positions()), 0, ids, b * s.positions(), s.positions());
            }
            opt.zeroGrad();
            float value;
            try (StepScope ignored = StepScope.open()) { // the step's activations are recycled at its end
                Tensor loss = model.loss(ids, ids, s.batch(), s.positions());
                value = loss.item();
                if (!Float.isFinite(value)) {
                    throw new ArithmeticException("pretraining step " + step + ": the loss is " + value);
                }
                loss.backward();
                GradClip.clipGlobalNorm(params, 1.0);
                schedule.apply(opt, s.lr(), step);
                opt.step();
            }
            ema = Float.isNaN(ema) ? value : 0.95f * ema + 0.05f * value;
            if (step % 50 == 0 || step == s.steps() - 1) {
                double secs = (System.nanoTime() - start) / 1e9;
                log.printf("step %5d  loss %.4f (avg %.4f)  %.1f s%n", step, value, ema, secs);
            }
        }
        opt.zeroGrad();
        model.eval();
        log.println("sample: " + complete(model, "sort 7 3 9 1 = "));
        write(out, model, config);
        log.println("wrote " + out);
        return ema;
    }

    /** Greedy completion of {@code prompt} up to a newline, for a look at what was learned. */
    static String complete(Gpt2Model model, String prompt) {
        List<Integer> ids = new ArrayList<>();
        for (byte b : prompt.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            ids.add(b & 0xFF);
        }
        StringBuilder sb = new StringBuilder(prompt);
        try (var ignored = Autograd.noGrad()) {
            while (ids.size() < model.config().nPositions()) {
                int[] a = ids.stream().mapToInt(Integer::intValue).toArray();
                float[] logits = model.forward(a, 1, a.length).toArray();
                int v = model.config().vocabSize();
                int best = 0;
                for (int t = 1; t < v; t++) {
                    if (logits[(a.length - 1) * v + t] > logits[(a.length - 1) * v + best]) {
                        best = t;
                    }
                }
                if (best == '\n' || best >= 256) {
                    break;
                }
                ids.add(best);
                sb.append((char) best);
            }
        }
        return sb.toString();
    }

    /** Writes the checkpoint into a temporary sibling directory, then renames it into place. */
    static void write(Path out, Gpt2Model model, Gpt2Config config) throws IOException {
        Path abs = out.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createTempDirectory(abs.getParent(), "." + abs.getFileName() + ".");
        List<HostTensor> tensors = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            tensors.add(HostTensor.of(e.getKey(), e.getValue()));
        }
        Gpt2Checkpoint.write(tmp, config, tensors, "");
        ByteVocab.write(tmp);
        if (Files.exists(abs)) {
            try (Stream<Path> walk = Files.walk(abs)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
    }
}
