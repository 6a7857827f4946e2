package dev.peft4j.kernels.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads that run the other shares of a CPU kernel while the calling thread runs its own: each helper
 * takes one task at a time and, when it has none, spins for {@link #DEFAULT_SPIN_MICROS} before it parks.
 *
 * <p>Why not a ForkJoinPool: a training step makes hundreds of short parallel calls with serial work between
 * them, and a parked pool worker took 144 µs on average to start its share (a futex wake-up in a VM), while
 * the caller, done with its own share, waited ~280 µs per GEMM at the join: 47 ms of a 1.45 s GPT-2 LoRA step.
 * A helper that is still spinning starts within microseconds (1252 of 1804 GEMM shares in 11 such steps started
 * under 5 µs; the caller's wait fell to 126-231 µs, most of it regions finishing apart). A task no helper has
 * started yet is run by the thread that joins it ({@link Task#join}), so a late helper never costs more than
 * running the share serially.
 *
 * <p>Spinning uses the core the helper would otherwise leave idle between calls; {@code
 * -Dpeft4j.cpu.spinMicros=N} changes how long (0: park at once).
 */
final class HelperThreads implements AutoCloseable {

    static final long DEFAULT_SPIN_MICROS = 1000;
    /** How long a joining thread spins for a running task before it parks. */
    private static final long JOIN_SPIN_NANOS = 50_000;
    private static final AtomicInteger GROUPS = new AtomicInteger();

    private final Worker[] workers;
    private final long spinNanos;
    private volatile boolean closed;

    /** {@code count} daemon helpers (0 is allowed: every task then runs on the thread that joins it). */
    HelperThreads(int count) {
        this(count, Long.getLong("peft4j.cpu.spinMicros", DEFAULT_SPIN_MICROS) * 1000);
    }

    HelperThreads(int count, long spinNanos) {
        if (count < 0) {
            throw new IllegalArgumentException("cpu kernels: helper thread count must be >= 0, got " + count);
        }
        if (spinNanos < 0) {
            throw new IllegalArgumentException("peft4j.cpu.spinMicros must be >= 0, got " + spinNanos / 1000);
        }
        this.spinNanos = spinNanos;
        this.workers = new Worker[count];
        int group = GROUPS.incrementAndGet();
        for (int i = 0; i < count; i++) {
            workers[i] = new Worker("peft4j-cpu-" + group + "-" + (i + 1));
            workers[i].start();
        }
    }

    /** Helper threads (the calling thread is not counted). */
    int size() {
        return workers.length;
    }

    /** Whether the calling thread is one of this group's helpers. */
    boolean isHelperThread() {
        Thread t = Thread.currentThread();
        for (Worker w : workers) {
            if (w == t) {
                return true;
            }
        }
        return false;
    }

    /**
     * Hands {@code body} to an idle helper; the returned task must be {@link Task#join joined}, which runs it on
     * the joining thread if no helper has started it by then.
     */
    Task submit(Runnable body) {
        requireOpen();
        Task task = new Task(body);
        for (Worker w : workers) {
            if (w.offer(task)) {
                break;
            }
        }
        return task;
    }

    void requireOpen() {
        if (closed) {
            throw new IllegalStateException("cpu kernels: used after close()");
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w);
        }
    }

    /** One share of work: started once, by a helper or by the thread that joins it. */
    static final class Task {
        private static final int NEW = 0;
        private static final int RUNNING = 1;
        private static final int DONE = 2;

        private final Runnable body;
        private final AtomicInteger state = new AtomicInteger(NEW);
        private volatile Thread waiter;
        private Throwable failure; // written before state becomes DONE

        private Task(Runnable body) {
            this.body = body;
        }

        /** Runs the body if nobody has started it; returns false when someone else has. */
        private boolean tryRun() {
            if (!state.compareAndSet(NEW, RUNNING)) {
                return false;
            }
            try {
                body.run();
            } catch (Throwable t) {
                failure = t;
            }
            state.set(DONE);
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
            return true;
        }

        /** Waits for the task, running it here if no helper started it; rethrows what it threw. */
        void join() {
            if (!tryRun()) {
                long spinUntil = System.nanoTime() + JOIN_SPIN_NANOS;
                while (state.get() != DONE && System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                }
                if (state.get() != DONE) {
                    waiter = Thread.currentThread();
                    while (state.get() != DONE) {
                        LockSupport.park(this);
                    }
                }
            }
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            if (failure != null) {
                throw new IllegalStateException(failure);
            }
        }
    }

    private final class Worker extends Thread {
        private final AtomicReference<Task> slot = new AtomicReference<>(); // set while a task is offered or running
        private volatile boolean parked;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        /** Takes the task when this helper is idle; wakes it if it parked. */
        boolean offer(Task task) {
            if (!slot.compareAndSet(null, task)) {
                return false;
            }
            if (parked) {
                LockSupport.unpark(this);
            }
            return true;
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            while (!closed) {
                Task task = slot.get();
                if (task != null) {
                    task.tryRun(); // false: the joining thread got there first
                    slot.set(null);
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < spinNanos) {
                    Thread.onSpinWait();
                } else {
                    parked = true; // then re-check: an offer that saw parked == false left its task in the slot
                    if (slot.get() == null && !closed) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }
}
