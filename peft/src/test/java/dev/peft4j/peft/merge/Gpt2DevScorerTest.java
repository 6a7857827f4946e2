package dev.peft4j.peft.merge;

import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.tokenizer.ByteLevelBpeTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Gpt2DevScorerTest {

    @Test
    void promptTokensAreNotScoredAndLongTextIsTruncated(@TempDir Path tmp) throws Exception {
        Path model = TinyGpt2.save(tmp.resolve("m"), 1);
        Path dev = tmp.resolve("dev.jsonl");
        Files.writeString(dev, """
                {"prompt": "ab", "completion": "cd"}
                {"text": "x"}
                {"text": "0123456789abcdefghij"}
                """);
        List<Gpt2DevScorer.Example> examples = Gpt2DevScorer.readExamples(dev,
                ByteLevelBpeTokenizer.fromDirectory(model), 16);
        assertEquals(2, examples.size(), "a one-token text has nothing to score");
        assertArrayEquals(new int[]{-100, -100, 'c', 'd'}, examples.get(0).labels());
        assertEquals(2, examples.get(0).scoredTokens());
        assertEquals(16, examples.get(1).ids().length);
        assertEquals(15, examples.get(1).scoredTokens());
    }

    @Test
    void greedySoupSkipsANoisyModel(@TempDir Path tmp) throws Exception {
        Path good = TinyGpt2.save(tmp.resolve("good"), 1);
        Path close = TinyGpt2.perturbed(good, tmp.resolve("close"), 0.005, 2);
        Path noisy = TinyGpt2.perturbed(good, tmp.resolve("noisy"), 1.0, 3);
        Path dev = tmp.resolve("dev.jsonl");
        Files.writeString(dev, "{\"text\": \"the cat sat on the mat\"}\n{\"text\": \"a dog ran\"}\n");
        List<StateDict> models = List.of(WeightsDirectory.open(good).load(), WeightsDirectory.open(close).load(),
                WeightsDirectory.open(noisy).load());
        try (CpuKernels k = new CpuKernels()) {
            Gpt2DevScorer scorer = Gpt2DevScorer.load(good, ByteLevelBpeTokenizer.fromDirectory(good), dev, k);
            double loss = scorer.meanLoss(models.get(0));
            // N(0, 0.02) weights give near-uniform logits: the loss is close to ln 256.
            assertEquals(Math.log(256), loss, 0.1);
            assertTrue(scorer.meanLoss(models.get(2)) > loss + 0.5, "noise of std 1 should hurt");

            GreedySoup.Result r = GreedySoup.cook(models, scorer);
            assertFalse(r.ingredients().contains(2), "kept " + r.ingredients());
            assertTrue(r.soupScore() >= Math.max(r.individualScores()[0], r.individualScores()[1]));
        }
    }
}
