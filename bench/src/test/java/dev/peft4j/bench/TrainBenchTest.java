package dev.peft4j.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench train} on a toy shape: what it trains, that the steps do train, and what it reports. */
class TrainBenchTest {

    private static final TrainShape TOY = new TrainShape("toy", 2, 16, 2, 50, 2, 8);

    private static TrainBench.Result run(TrainBench.Mode mode, int steps) {
        return TrainBench.run(new TrainBench.Options(TOY, mode, "cpu", 1, steps, 7));
    }

    @Test
    void loraTrainsOnlyTheAdapterOnTheNamedModules() {
        TrainBench.Result r = run(TrainBench.Mode.LORA, 3);
        // per layer: c_attn A[8,16] + B[48,8], attn.c_proj A[8,16] + B[16,8]
        assertEquals(2L * 8 * (16 + 48 + 16 + 16), r.trainable());
        assertTrue(r.lastLoss() < r.firstLoss(), r.firstLoss() + " -> " + r.lastLoss());
        assertTrue(r.tokensPerSecond() > 0 && r.msPerStep() > 0);
        assertTrue(r.phases().forwardMs() > 0 && r.phases().backwardMs() > 0 && r.phases().optimizerMs() > 0,
                r.phases().toString());
        // The test JVM pools every CPU array (peft4j.cpu.poolMinFloats=1): backward's released gradients, and the
        // activations each step's StepScope hands back at its end, serve nearly every allocation of the next step.
        assertTrue(r.recycledPerStep() >= 0.8 * r.poolablePerStep(), "allocations from recycled arrays per step: "
                + r.recycledPerStep() + " of " + r.poolablePerStep());
    }

    @Test
    void fullTrainsEverythingAndForwardNothing() {
        TrainBench.Result full = run(TrainBench.Mode.FULL, 3);
        // wte 50x16 + wpe 1024x16 + 2 blocks (12 d^2 + 13 d) + ln_f 2d, head tied
        long expected = 50 * 16 + 1024 * 16 + 2 * (12L * 16 * 16 + 13 * 16) + 2 * 16;
        assertEquals(expected, full.total());
        assertEquals(expected, full.trainable());
        assertTrue(full.lastLoss() < full.firstLoss(), full.firstLoss() + " -> " + full.lastLoss());

        TrainBench.Result forward = run(TrainBench.Mode.FORWARD, 2);
        assertEquals(0, forward.trainable());
        assertEquals(0, forward.phases().backwardMs(), "no backward pass in forward mode");
        assertEquals(forward.firstLoss(), forward.lastLoss(), "a forward pass changes nothing");
        assertEquals(full.firstLoss(), forward.firstLoss(), 1e-5, "same seeds, same model and tokens");
        assertTrue(forward.peakRssBytes() > forward.heapPeakBytes() / 4, "VmHWM should be read on Linux");
    }

    @Test
    void optionsAreCheckedAndNamed() {
        TrainBench.Options o = TrainBench.parse(new String[] {"--config", "gpt2", "--mode", "full", "--steps", "2"});
        assertEquals(TrainShape.GPT2, o.shape());
        assertEquals(TrainBench.Mode.FULL, o.mode());
        assertEquals(768, o.shape().config().nEmbd());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainBench.parse(new String[] {"--config", "huge"}));
        assertTrue(e.getMessage().contains("small or gpt2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainBench.parse(new String[] {"--mode", "sideways"}));
        assertThrows(IllegalArgumentException.class, () -> TrainBench.parse(new String[] {"--steps"}));
    }

    @Test
    void vmHwmLineIsParsedInBytes() {
        assertEquals(123456L * 1024, PeakMemory.parseVmHwm("Name:\tjava\nVmPeak:\t 999 kB\nVmHWM:\t  123456 kB\nVmRSS: 1 kB\n"));
        assertEquals(-1, PeakMemory.parseVmHwm("Name:\tjava\n"));
    }

    @Test
    void collectorsAreNamed() {
        String gc = PeakMemory.collectors();
        assertFalse(gc.isBlank(), "no garbage collector reported");
    }
}
