package dev.peft4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code bench train --base-dtype bf16}: LoRA and forward run on a bf16 base; full is refused. */
class TrainBenchBf16Test {

    private static final TrainShape TOY = new TrainShape("toy", 2, 16, 2, 50, 2, 8);

    @Test
    void loraOnABf16BaseTrainsAndForwardScoresCloseToF32() {
        TrainBench.Result lora = TrainBench.run(new TrainBench.Options(TOY, TrainBench.Mode.LORA, "cpu", 1, 3, 7, true));
        assertEquals(2L * 8 * (16 + 48 + 16 + 16), lora.trainable());
        assertTrue(lora.lastLoss() < lora.firstLoss(), lora.firstLoss() + " -> " + lora.lastLoss());
        TrainBench.Result f32 = TrainBench.run(new TrainBench.Options(TOY, TrainBench.Mode.FORWARD, "cpu", 1, 1, 7));
        TrainBench.Result bf16 = TrainBench.run(new TrainBench.Options(TOY, TrainBench.Mode.FORWARD, "cpu", 1, 1, 7, true));
        assertEquals(f32.lastLoss(), bf16.lastLoss(), 0.02 * f32.lastLoss());
    }

    @Test
    void fullModeAndUnknownDtypesAreRefused() {
        IllegalArgumentException full = assertThrows(IllegalArgumentException.class,
                () -> new TrainBench.Options(TOY, TrainBench.Mode.FULL, "cpu", 1, 3, 7, true));
        assertTrue(full.getMessage().contains("full"), full.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainBench.parse(new String[] {"--base-dtype", "fp16"}));
        assertTrue(TrainBench.parse(new String[] {"--base-dtype", "bf16", "--mode", "forward"}).bf16Base());
    }
}
