package dev.peft4j.engine.optim;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Expected values worked by hand from the transformers formulas (see each comment). */
class LrScheduleTest {

    @Test
    void constantIsOne() {
        LrSchedule s = LrSchedule.constant();
        assertEquals(1.0, s.factor(0));
        assertEquals(1.0, s.factor(10_000));
        assertEquals(3e-4f, s.lr(3e-4f, 17));
    }

    @Test
    void constantWithWarmupRampsThenHolds() {
        LrSchedule s = LrSchedule.constantWithWarmup(4);
        assertEquals(0.0, s.factor(0));
        assertEquals(0.5, s.factor(2));
        assertEquals(0.75, s.factor(3));
        assertEquals(1.0, s.factor(4));
        assertEquals(1.0, s.factor(100));
    }

    @Test
    void linearWarmupThenLinearDecayToZero() {
        // warmup 10, total 110: step/10 before 10, then (110 - step) / 100
        LrSchedule s = LrSchedule.linearWarmupDecay(10, 110);
        assertEquals(0.0, s.factor(0));
        assertEquals(0.1, s.factor(1), 1e-15);
        assertEquals(0.9, s.factor(9), 1e-15);
        assertEquals(1.0, s.factor(10));
        assertEquals(0.75, s.factor(35), 1e-15);
        assertEquals(0.01, s.factor(109), 1e-15);
        assertEquals(0.0, s.factor(110));
        assertEquals(0.0, s.factor(200), "clamped at 0 after the end");
        assertEquals(2e-4f * 0.75f, s.lr(2e-4f, 35), 1e-12);
        // no warm-up: starts at 1
        assertEquals(1.0, LrSchedule.linearWarmupDecay(0, 4).factor(0));
        assertEquals(0.5, LrSchedule.linearWarmupDecay(0, 4).factor(2));
    }

    @Test
    void cosineWarmupThenHalfCosineDecay() {
        // warmup 4, total 12: progress = (step - 4) / 8, factor = 0.5 (1 + cos(pi progress))
        LrSchedule s = LrSchedule.cosineWarmupDecay(4, 12);
        assertEquals(0.25, s.factor(1), 1e-15);
        assertEquals(1.0, s.factor(4), 1e-15);
        assertEquals(0.5 * (1 + Math.cos(Math.PI / 4)), s.factor(6), 1e-15); // 0.8535533905932737
        assertEquals(0.5, s.factor(8), 1e-15);
        assertEquals(0.5 * (1 + Math.cos(3 * Math.PI / 4)), s.factor(10), 1e-15); // 0.14644660940672627
        assertEquals(0.0, s.factor(12), 1e-15);
        // past the end the half cycle would rise again; HF keeps following the cosine (num_cycles 0.5)
        assertEquals(0.5 * (1 + Math.cos(Math.PI * 10 / 8)), s.factor(14), 1e-15);
    }

    @Test
    void rejectsNegativeSteps() {
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.linearWarmupDecay(-1, 10));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.cosineWarmupDecay(0, -5));
    }
}
