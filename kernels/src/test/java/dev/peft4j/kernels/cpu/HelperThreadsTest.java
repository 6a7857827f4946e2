package dev.peft4j.kernels.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link HelperThreads}: every task runs exactly once, on a helper or on the joining thread, and failures surface. */
class HelperThreadsTest {

    @Test
    void aSpinningHelperRunsTheTask() throws InterruptedException {
        try (HelperThreads helpers = new HelperThreads(1, 50_000_000L)) {
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            AtomicInteger helperSaw = new AtomicInteger();
            Thread.sleep(5); // the helper is started and spinning
            HelperThreads.Task task = helpers.submit(() -> {
                ranOn.set(Thread.currentThread());
                helperSaw.set(helpers.isHelperThread() ? 1 : -1);
            });
            Thread.sleep(20); // the caller's own share: the helper starts meanwhile, so join has nothing to take back
            task.join();
            assertTrue(ranOn.get() != Thread.currentThread(), "ran on the caller");
            assertEquals(1, helperSaw.get());
            assertFalse(helpers.isHelperThread());
        }
    }

    @Test
    void withoutHelpersTheJoiningThreadRunsIt() {
        try (HelperThreads none = new HelperThreads(0)) {
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            HelperThreads.Task task = none.submit(() -> ranOn.set(Thread.currentThread()));
            assertEquals(null, ranOn.get(), "ran before join");
            task.join();
            assertSame(Thread.currentThread(), ranOn.get());
        }
    }

    @Test
    void parkedHelpersWakeAndEveryTaskRunsOnceUnderConcurrentSubmitters() throws InterruptedException {
        for (long spin : new long[] {0, 100_000}) { // park at once, and spin briefly
            try (HelperThreads helpers = new HelperThreads(2, spin)) {
                int submitters = 4;
                int perSubmitter = 2000;
                AtomicInteger[] runs = new AtomicInteger[submitters * perSubmitter];
                for (int i = 0; i < runs.length; i++) {
                    runs[i] = new AtomicInteger();
                }
                CountDownLatch start = new CountDownLatch(1);
                List<Thread> threads = new ArrayList<>();
                AtomicReference<Throwable> failure = new AtomicReference<>();
                for (int s = 0; s < submitters; s++) {
                    int base = s * perSubmitter;
                    Thread t = new Thread(() -> {
                        try {
                            start.await();
                            for (int i = 0; i < perSubmitter; i += 2) {
                                int a = base + i;
                                HelperThreads.Task x = helpers.submit(() -> runs[a].incrementAndGet());
                                HelperThreads.Task y = helpers.submit(() -> runs[a + 1].incrementAndGet());
                                y.join();
                                x.join();
                            }
                        } catch (Throwable e) {
                            failure.set(e);
                        }
                    });
                    t.start();
                    threads.add(t);
                }
                start.countDown();
                for (Thread t : threads) {
                    t.join(60_000);
                }
                assertEquals(null, failure.get());
                for (int i = 0; i < runs.length; i++) {
                    assertEquals(1, runs[i].get(), "task " + i + " (spin " + spin + " ns)");
                }
            }
        }
    }

    @Test
    void failuresReachTheJoiningThread() {
        try (HelperThreads helpers = new HelperThreads(1)) {
            HelperThreads.Task bad = helpers.submit(() -> {
                throw new IllegalArgumentException("tensor x: bad");
            });
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad::join);
            assertEquals("tensor x: bad", e.getMessage());
            HelperThreads.Task error = helpers.submit(() -> {
                throw new AssertionError("boom");
            });
            assertThrows(AssertionError.class, error::join);
            HelperThreads.Task fine = helpers.submit(() -> { });
            fine.join(); // the helper survived both
        }
    }

    @Test
    void closedHelpersRefuseWorkAndStop() throws InterruptedException {
        HelperThreads helpers = new HelperThreads(1, 0);
        AtomicReference<Thread> helper = new AtomicReference<>();
        helpers.submit(() -> helper.set(Thread.currentThread())).join();
        helpers.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> helpers.submit(() -> { }));
        assertTrue(e.getMessage().contains("after close"), e.getMessage());
        if (helper.get() != null && helper.get() != Thread.currentThread()) {
            helper.get().join(10_000);
            assertFalse(helper.get().isAlive(), "the helper thread kept running after close");
        }
        assertThrows(IllegalArgumentException.class, () -> new HelperThreads(-1));
    }
}
