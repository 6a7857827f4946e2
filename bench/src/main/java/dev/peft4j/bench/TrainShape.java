package dev.peft4j.bench;

import dev.peft4j.models.gpt2.Gpt2Config;

/**
 * A GPT-2 size for {@code bench train}, the same in {@code bench/torch_bench.py}: layers, width, heads,
 * vocabulary and the batch of one step. Dropout is off so both peers do the same arithmetic.
 */
public record TrainShape(String name, int layers, int width, int heads, int vocab, int batch, int seq) {

    /** GPT-2 124M at batch 4 x 128. */
    public static final TrainShape GPT2 = new TrainShape("gpt2", 12, 768, 12, 50257, 4, 128);
    /** Four narrow layers under the full GPT-2 vocabulary: the LM head dominates, as in few-shot PEFT. */
    public static final TrainShape SMALL = new TrainShape("small", 4, 256, 4, 50257, 4, 128);

    public static TrainShape named(String name) {
        return switch (name) {
            case "gpt2" -> GPT2;
            case "small" -> SMALL;
            default -> throw new IllegalArgumentException("--config '" + name + "': expected small or gpt2");
        };
    }

    /** n_positions stays GPT-2's 1024 so the parameter count is the real model's; a step uses {@link #seq}. */
    public Gpt2Config config() {
        return Gpt2Config.of(vocab, 1024, width, layers, heads).withDropout(0f);
    }

    public int tokens() {
        return batch * seq;
    }

    public String describe() {
        return String.format("%s: %d layers, d %d, %d heads, vocab %d, batch %d x seq %d", name, layers, width, heads,
                vocab, batch, seq);
    }
}
