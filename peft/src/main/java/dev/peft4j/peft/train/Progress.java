package dev.peft4j.peft.train;

import java.io.PrintStream;

/**
 * Training progress for a person: on a terminal one redrawn bar (step, loss, tokens/s, ETA); elsewhere
 * (a log file, CI) a plain line every {@code every} steps. {@link #silent()} reports nothing.
 */
public interface Progress {

    /** After update {@code step} (1-based) of {@code total}. */
    void step(int step, int total, float loss, double tokensPerSecond, double etaSeconds);

    /** A line of its own (a dev evaluation, a checkpoint). */
    void note(String line);

    /** The run ended: finish the bar's line. */
    void done();

    static Progress silent() {
        return new Progress() {
            public void step(int step, int total, float loss, double tps, double eta) {
            }

            public void note(String line) {
            }

            public void done() {
            }
        };
    }

    /** A bar when standard output is a terminal, else log lines every {@code every} steps. */
    static Progress forConsole(PrintStream out, String label, int every) {
        return of(out, label, every, isTerminal());
    }

    /** A bar ({@code terminal}) or log lines every {@code every} steps. */
    static Progress of(PrintStream out, String label, int every, boolean terminal) {
        return terminal ? new Bar(out, label) : new Lines(out, label, every);
    }

    /** Whether a person watches: since JDK 22 {@code System.console()} exists even when output is redirected. */
    static boolean isTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    static String eta(double seconds) {
        if (!Double.isFinite(seconds)) {
            return "--:--";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format("%02d:%02d", s / 60, s % 60);
    }

    /** The terminal bar, redrawn in place with a carriage return. */
    final class Bar implements Progress {
        private static final int WIDTH = 24;
        private final PrintStream out;
        private final String label;
        private boolean open;

        public Bar(PrintStream out, String label) {
            this.out = out;
            this.label = label;
        }

        @Override
        public void step(int step, int total, float loss, double tps, double eta) {
            int filled = (int) ((long) WIDTH * step / Math.max(1, total));
            out.print("\r" + render(label, step, total, loss, tps, eta, filled, WIDTH));
            out.flush();
            open = true;
        }

        static String render(String label, int step, int total, float loss, double tps, double eta, int filled, int width) {
            return String.format("%s [%s%s] %d/%d loss %.4f %,.0f tok/s ETA %s ", label, "#".repeat(filled),
                    ".".repeat(width - filled), step, total, loss, tps, eta(eta));
        }

        @Override
        public void note(String line) {
            if (open) {
                out.println();
                open = false;
            }
            out.println(line);
        }

        @Override
        public void done() {
            if (open) {
                out.println();
                open = false;
            }
        }
    }

    /** Plain log lines, for output that is not a terminal. */
    final class Lines implements Progress {
        private final PrintStream out;
        private final String label;
        private final int every;

        public Lines(PrintStream out, String label, int every) {
            this.out = out;
            this.label = label;
            this.every = Math.max(1, every);
        }

        @Override
        public void step(int step, int total, float loss, double tps, double eta) {
            if (step % every == 0 || step == total || step == 1) {
                out.printf("%s step %d/%d loss %.4f %,.0f tok/s ETA %s%n", label, step, total, loss, tps, eta(eta));
            }
        }

        @Override
        public void note(String line) {
            out.println(line);
        }

        @Override
        public void done() {
        }
    }
}
