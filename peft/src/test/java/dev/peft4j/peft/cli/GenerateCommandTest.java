package dev.peft4j.peft.cli;

import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.generate.GenerationConfig;
import dev.peft4j.models.generate.Generator;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.models.tokenizer.ByteLevelBpeTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code peft4j generate} on the tiny checkpoint: what it prints is the decoded continuation of the Generator. */
class GenerateCommandTest {

    private static final String PROMPT = "hi there";

    /** The continuation the library produces for {@code config}, decoded as the command should print it. */
    private static String expected(Path model, GenerationConfig config) throws Exception {
        ByteLevelBpeTokenizer tok = ByteLevelBpeTokenizer.fromDirectory(model);
        int[] prompt = tok.encode(PROMPT);
        assertEquals(Arrays.toString(TinyCheckpointDir.ids(PROMPT)), Arrays.toString(prompt));
        try (Kernels k = new CpuKernels()) {
            int[] all = new Generator(Gpt2Model.fromPretrained(model, k)).generate(prompt,
                    config.withEos(TinyCheckpointDir.EOS), true);
            int end = all[all.length - 1] == TinyCheckpointDir.EOS ? all.length - 1 : all.length;
            return tok.decode(Arrays.copyOfRange(all, prompt.length, end));
        }
    }

    private static String generate(Path model, String... options) {
        String[] args = new String[options.length + 5];
        args[0] = "generate";
        args[1] = "--model";
        args[2] = model.toString();
        args[3] = "--prompt";
        args[4] = PROMPT;
        System.arraycopy(options, 0, args, 5, options.length);
        EvalCommandTest.Run r = EvalCommandTest.run(args);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().endsWith("\n"), r.out());
        return r.out().substring(0, r.out().length() - 1);
    }

    @Test
    void seededSamplingIsReproducibleAndMatchesTheGenerator(@TempDir Path tmp) throws Exception {
        Path model = TinyCheckpointDir.create(tmp.resolve("model"));
        String[] opts = {"--max-new-tokens", "16", "--temperature", "1.5", "--top-k", "40", "--top-p", "0.95"};
        String seven = generate(model, concat(opts, "--seed", "7"));
        assertEquals(seven, generate(model, concat(opts, "--seed", "7")), "same seed, same text");
        assertEquals(expected(model, GenerationConfig.sampling(16, 1.5f, 40, 0.95f, 7)), seven);
        String eight = generate(model, concat(opts, "--seed", "8"));
        assertEquals(expected(model, GenerationConfig.sampling(16, 1.5f, 40, 0.95f, 8)), eight);
        assertNotEquals(seven, eight, "another seed should sample another continuation");
    }

    @Test
    void greedyIsTheDefault(@TempDir Path tmp) throws Exception {
        Path model = TinyCheckpointDir.create(tmp.resolve("model"));
        String greedy = generate(model, "--max-new-tokens", "12");
        assertEquals(expected(model, GenerationConfig.greedy(12)), greedy);
        assertEquals(greedy, generate(model, "--max-new-tokens", "12", "--seed", "99"), "greedy ignores the seed");
    }

    @Test
    void tooManyNewTokensIsAnError(@TempDir Path tmp) throws Exception {
        Path model = TinyCheckpointDir.create(tmp.resolve("model"));
        EvalCommandTest.Run r = EvalCommandTest.run("generate", "--model", model.toString(), "--prompt", PROMPT,
                "--max-new-tokens", "40");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("exceed the model's 32 positions"), r.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
