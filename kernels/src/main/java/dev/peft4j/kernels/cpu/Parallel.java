package dev.peft4j.kernels.cpu;

/**
 * Splits an index range into one contiguous chunk per thread and runs the chunks on {@link HelperThreads},
 * the calling thread taking the first chunk. Work smaller than {@code minWorkPerTask} (counted in element
 * operations) per chunk stays on the calling thread: handing a chunk over costs microseconds.
 */
final class Parallel implements AutoCloseable {

    /** Work on {@code [from, to)}. */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    /** Work on {@code [from, to)} returning a partial result that is combined in chunk order. */
    @FunctionalInterface
    interface RangeSum {
        double run(int from, int to);
    }

    private final int threads;
    private final long minWorkPerTask;
    private final HelperThreads helpers; // threads - 1: the caller is the remaining one

    Parallel(int threads, long minWorkPerTask) {
        if (threads < 1) {
            throw new IllegalArgumentException("cpu kernels: thread count must be >= 1, got " + threads);
        }
        if (minWorkPerTask < 1) {
            throw new IllegalArgumentException("cpu kernels: minimum work per task must be >= 1, got " + minWorkPerTask);
        }
        this.threads = threads;
        this.minWorkPerTask = minWorkPerTask;
        this.helpers = new HelperThreads(threads - 1);
    }

    int threads() {
        return threads;
    }

    /** The helpers the chunks run on, which the backend's GEMM shares. */
    HelperThreads helpers() {
        return helpers;
    }

    /**
     * How many chunks {@code n} items costing {@code costPerItem} each would be split into; 1 means
     * the work runs inline.
     */
    int chunks(int n, long costPerItem) {
        helpers.requireOpen();
        if (helpers.size() == 0 || n < 2 || helpers.isHelperThread()) {
            return 1; // nested calls from our own helpers run inline rather than wait on themselves
        }
        long total = (long) n * Math.max(1, costPerItem);
        long byWork = total / minWorkPerTask;
        return (int) Math.max(1, Math.min(Math.min(threads, n), byWork));
    }

    /** Runs {@code body} over {@code [0, n)}, in parallel when the work is large enough. */
    void forRange(int n, long costPerItem, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int chunks = chunks(n, costPerItem);
        if (chunks == 1) {
            body.run(0, n);
            return;
        }
        HelperThreads.Task[] forks = new HelperThreads.Task[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int from = bound(n, chunks, c);
            int to = bound(n, chunks, c + 1);
            forks[c - 1] = helpers.submit(() -> body.run(from, to));
        }
        RuntimeException failure = null;
        try {
            body.run(0, bound(n, chunks, 1));
        } catch (RuntimeException e) {
            failure = e;
        }
        failure = joinAll(forks, failure);
        if (failure != null) {
            throw failure;
        }
    }

    /** Sums per-chunk partial results of {@code body} over {@code [0, n)} in chunk order (deterministic). */
    double sum(int n, long costPerItem, RangeSum body) {
        if (n <= 0) {
            return 0;
        }
        int chunks = chunks(n, costPerItem);
        if (chunks == 1) {
            return body.run(0, n);
        }
        double[] partial = new double[chunks];
        forRange(chunks, Long.MAX_VALUE / chunks, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                partial[c] = body.run(bound(n, chunks, c), bound(n, chunks, c + 1));
            }
        });
        double total = 0;
        for (double p : partial) {
            total += p;
        }
        return total;
    }

    private static int bound(int n, int chunks, int c) {
        return (int) ((long) n * c / chunks);
    }

    private static RuntimeException joinAll(HelperThreads.Task[] forks, RuntimeException failure) {
        for (HelperThreads.Task fork : forks) {
            try {
                fork.join();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        return failure;
    }

    @Override
    public void close() {
        helpers.close();
    }
}
