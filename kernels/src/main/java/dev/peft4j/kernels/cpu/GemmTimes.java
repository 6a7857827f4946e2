package dev.peft4j.kernels.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opt-in wall time of every CPU GEMM call, per shape ({@code -Dpeft4j.opTimes=true}, with the engine's op
 * timer), printed to stderr at exit: where a training step's GEMM time goes and at what rate each product
 * runs inside the step, next to {@code bench gemm}'s isolated figures. The engine's timer calls {@link #reset}
 * where it starts counting, so JIT warm-up is left out, and prints {@link #report} after its own tables. Calls
 * made inside parallel kernels (attention's block products, one per thread) add both threads' time. Off by
 * default: then the hook is one static-final branch.
 */
public final class GemmTimes {

    public static final boolean ON = Boolean.getBoolean("peft4j.opTimes");

    private static final GemmTimes GLOBAL = new GemmTimes();

    /** Per shape label: total nanoseconds, calls, multiply-adds. */
    private final Map<String, long[]> totals = new ConcurrentHashMap<>();

    GemmTimes() {
    }

    /** Drops what was counted so far (the engine's timer calls this after its warm-up steps). */
    public static void reset() {
        GLOBAL.clear();
    }

    /** The table of calls counted so far. */
    public static String report() {
        return GLOBAL.table();
    }

    static void record(boolean transA, boolean transB, int m, int n, int k, int batch, boolean epilogue,
                       boolean accumulate, long nanos) {
        GLOBAL.add(label(transA, transB, m, n, k, batch, epilogue, accumulate), nanos, (long) batch * m * n * k);
    }

    /**
     * "512x2304x768 A·Bᵀ +epilogue": C's rows x columns x k, the transposes, a batch count, and whether the
     * call added to C (beta ≠ 0) or ran a fused epilogue.
     */
    static String label(boolean transA, boolean transB, int m, int n, int k, int batch, boolean epilogue,
                        boolean accumulate) {
        StringBuilder s = new StringBuilder().append(m).append('x').append(n).append('x').append(k).append(' ')
                .append(transA ? "Aᵀ" : "A").append('·').append(transB ? "Bᵀ" : "B");
        if (batch > 1) {
            s.append(" batch ").append(batch);
        }
        if (accumulate) {
            s.append(" +=C");
        }
        if (epilogue) {
            s.append(" +epilogue");
        }
        return s.toString();
    }

    void add(String label, long nanos, long multiplyAdds) {
        long[] t = totals.computeIfAbsent(label, x -> new long[3]);
        synchronized (t) {
            t[0] += nanos;
            t[1]++;
            t[2] += multiplyAdds;
        }
    }

    void clear() {
        totals.clear();
    }

    /** One line per shape, most time first: total ms, calls, ms per call, GFLOP/s (2 per multiply-add). */
    String table() {
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(totals.entrySet());
        rows.sort((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]));
        StringBuilder s = new StringBuilder("# CPU GEMM calls (ms total, calls, ms per call, GFLOP/s)\n");
        for (Map.Entry<String, long[]> e : rows) {
            long[] t = e.getValue();
            s.append(String.format(Locale.ROOT, "  %-36s %9.1f %7d %8.3f %7.1f%n", e.getKey(), t[0] / 1e6, t[1],
                    t[0] / 1e6 / t[1], t[0] == 0 ? 0 : 2.0 * t[2] / t[0]));
        }
        return s.toString();
    }
}
