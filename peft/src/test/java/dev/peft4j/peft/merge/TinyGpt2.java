package dev.peft4j.peft.merge;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.json.Json;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Config;
import dev.peft4j.models.gpt2.Gpt2Model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Tiny GPT-2 checkpoints (256 byte tokens, one layer) with a byte-level tokenizer, for the scorer and CLI tests. */
final class TinyGpt2 {

    static final Gpt2Config CONFIG = Gpt2Config.of(256, 16, 8, 1, 2);

    private TinyGpt2() {
    }

    /** A freshly initialised checkpoint plus {@code vocab.json}/{@code merges.txt} in {@code dir}. */
    static Path save(Path dir, long seed) throws IOException {
        try (CpuKernels k = new CpuKernels()) {
            new Gpt2Model(CONFIG, k, new Rng(seed)).save(dir);
        }
        writeByteTokenizer(dir);
        return dir;
    }

    /** A copy of {@code source}'s checkpoint with N(0, std²) noise added to every weight. */
    static Path perturbed(Path source, Path dir, double std, long seed) throws IOException {
        WeightsDirectory in = WeightsDirectory.open(source);
        Rng rng = new Rng(seed);
        List<HostTensor> noisy = new ArrayList<>();
        for (HostTensor t : in.load().tensors()) {
            float[] v = t.data().clone();
            for (int i = 0; i < v.length; i++) {
                v[i] += (float) rng.normal(0, std);
            }
            noisy.add(new HostTensor(t.name(), t.shape(), v));
        }
        in.saveAlike(new StateDict(dir.toString(), noisy), dir);
        return dir;
    }

    /** One token per byte, no merges: GPT-2's byte-to-character table, ids 0..255. */
    private static void writeByteTokenizer(Path dir) throws IOException {
        Map<String, Object> vocab = Json.newObject();
        int next = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + next++);
            vocab.put(String.valueOf(c), (long) b);
        }
        Files.writeString(dir.resolve("vocab.json"), Json.write(vocab));
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n");
    }
}
