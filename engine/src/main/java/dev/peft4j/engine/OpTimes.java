package dev.peft4j.engine;

import dev.peft4j.kernels.cpu.GemmTimes;
import java.util.Map;
import java.util.TreeMap;

/**
 * Opt-in wall time per op name ({@code -Dpeft4j.opTimes=true}; {@code -Dpeft4j.opTimes.skip=N} starts counting
 * at the (N+1)-th backward, after JIT warm-up), printed to stderr at exit. Backward times are exact per rule.
 * Forward times are the wall time between consecutive recorded ops, charged to the later one: a profile of
 * where the forward goes, not a kernel timer (untaped work in between, such as module dispatch, lands on
 * the next op). The CPU backend's {@link GemmTimes} prints its GEMM calls per shape beside these. Off by
 * default: then every hook is one static-final branch.
 */
final class OpTimes {

    static final boolean ON = Boolean.getBoolean("peft4j.opTimes");
    private static final int SKIP = Integer.getInteger("peft4j.opTimes.skip", 0);
    private static final Map<String, long[]> FORWARD = new TreeMap<>();
    private static final Map<String, long[]> BACKWARD = new TreeMap<>();
    private static long lastForward = System.nanoTime();
    private static int backwardCalls;

    static {
        if (ON) {
            Runtime.getRuntime().addShutdownHook(new Thread(OpTimes::print));
        }
    }

    private OpTimes() {
    }

    /** A forward op finished now. */
    static synchronized void forward(String op) {
        long now = System.nanoTime();
        add(FORWARD, op, now - lastForward);
        lastForward = now;
    }

    /** A backward pass starts: drops what was counted during the first {@code skip} steps. */
    static synchronized void backwardPass() {
        if (++backwardCalls == SKIP + 1) {
            FORWARD.clear();
            BACKWARD.clear();
            GemmTimes.reset();
        }
    }

    static synchronized void backward(String op, long nanos) {
        add(BACKWARD, op, nanos);
    }

    private static void add(Map<String, long[]> m, String op, long nanos) {
        long[] a = m.computeIfAbsent(op, x -> new long[2]);
        a[0] += nanos;
        a[1]++;
    }

    private static synchronized void print() {
        for (Map<String, long[]> m : java.util.List.of(FORWARD, BACKWARD)) {
            System.err.println(m == FORWARD ? "# forward ops (ms total, calls)" : "# backward rules (ms total, calls)");
            m.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]))
                    .forEach(e -> System.err.printf("  %-28s %9.1f %6d%n", e.getKey(), e.getValue()[0] / 1e6,
                            e.getValue()[1]));
        }
        System.err.print(GemmTimes.report());
    }
}
