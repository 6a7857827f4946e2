package dev.peft4j.bench;

import dev.peft4j.kernels.Backends;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.SampledGemmDensity;
import java.util.List;

/**
 * Sparse fine-tuning's weight gradient: the sampled GEMM over the selected entries against the dense
 * {@code dYᵀ·X} at GPT-2 124M Linear shapes, 512 rows, over a range of densities, median ms of each measured in
 * interleaved rounds ({@link SparseGradCase}). For each shape it prints the crossover density, where the
 * sampled product stops being cheaper (log-linear between the two densities that bracket it). The dense
 * side is the GEMM alone, a lower bound of a dense path that must still gather the entries, so the true
 * crossover lies at or above the one printed.
 *
 * <pre>SparseGradBench [--shapes 768x3072,768x768] [--densities 0.001,...,1] [--rows 512] [--reps 7]
 *                 [--warmup 3] [--device cpu|opencl[:N]]</pre>
 */
public final class SparseGradBench {

    static final String USAGE = "[--shapes INxOUT,...] [--densities D,...] [--rows N] [--reps N] [--warmup N]"
            + " [--device " + Backends.SPECS + "]";

    private SparseGradBench() {
    }

    public static void main(String[] args) {
        String device = "cpu";
        List<int[]> shapes = List.of(new int[]{768, 3072}, new int[]{768, 768});
        double[] densities = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0};
        int rows = 512;
        int reps = 7;
        int warmup = 3;
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("sparse: " + args[i] + " needs a value; usage: " + USAGE);
            }
            String value = args[i + 1];
            switch (args[i]) {
                case "--device" -> device = value;
                case "--shapes" -> shapes = GemmBench.parseShapes(value);
                case "--densities" -> densities = parseDensities(value);
                case "--rows" -> rows = Integer.parseInt(value);
                case "--reps" -> reps = Integer.parseInt(value);
                case "--warmup" -> warmup = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("sparse: unknown option '" + args[i] + "'; usage: "
                        + USAGE);
            }
        }
        if (reps < 1 || rows < 1) {
            throw new IllegalArgumentException("sparse: --reps and --rows must be >= 1");
        }
        try (Kernels kx = Backends.create(device)) {
            System.out.printf("# sparse-delta weight gradient on %s, %d rows: sampled (nnz entries) against dense"
                    + " dY^T X; median of %d interleaved rounds after %d warm-up%n", kx.name(), rows, reps, warmup);
            System.out.printf("%-10s %9s %10s %11s %9s %8s %10s%n", "in x out", "density", "nnz", "sampled ms",
                    "dense ms", "ratio", "max|diff|");
            warmUp(kx, rows, shapes.get(0));
            for (int[] shape : shapes) {
                run(kx, rows, shape[0], shape[1], densities, reps, warmup);
            }
            System.out.printf("# this backend's SparseDeltaOp takes the sampled product up to density %.4f"
                    + " (-D%s=D sets one measured here)%n", kx.sampledGemmMaxDensity(), SampledGemmDensity.PROPERTY);
        }
    }

    /**
     * {@code --densities}: ascending fractions of the weight, comma-separated, as {@link #crossover} reads them
     * (each must also lie in (0, 1], which {@link SparseGradCase} checks).
     */
    static double[] parseDensities(String s) {
        String[] parts = s.split(",");
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--densities: '" + parts[i] + "' is not a number (e.g. 0.001,0.01)");
            }
            if (i > 0 && !(out[i] > out[i - 1])) {
                throw new IllegalArgumentException("--densities: " + parts[i] + " after " + parts[i - 1]
                        + " (they must ascend)");
            }
        }
        return out;
    }

    /**
     * Both kernels for 2 s at 1 % density before the table: the first rows were otherwise timed before C2 had
     * compiled the sampled kernel (0.1 % read 2.3 ms here against JMH's 0.6).
     */
    private static void warmUp(Kernels kx, int rows, int[] shape) {
        try (SparseGradCase c = new SparseGradCase(kx, rows, shape[0], shape[1], 0.01, 1)) {
            InterleavedRounds.warmUp(new Runnable[]{c::sampled, c::dense}, kx, 0, 2_000_000_000L);
        }
    }

    private static void run(Kernels kx, int rows, int in, int out, double[] densities, int reps, int warmup) {
        double[] measured = new double[densities.length];
        double[] ratio = new double[densities.length];
        for (int d = 0; d < densities.length; d++) {
            try (SparseGradCase c = new SparseGradCase(kx, rows, in, out, densities[d], 17L * d + in)) {
                double diff = c.maxDifference();
                double[] ms = InterleavedRounds.medianMs(new Runnable[]{c::sampled, c::dense}, kx, warmup, reps);
                measured[d] = c.density();
                ratio[d] = ms[1] / ms[0];
                System.out.printf("%-10s %9.4f %10d %11.3f %9.3f %8.2f %10.2e%n", in + "x" + out, measured[d], c.nnz,
                        ms[0], ms[1], ratio[d], diff);
            }
        }
        System.out.println("# " + in + "x" + out + ": " + crossover(measured, ratio));
    }

    /**
     * Where dense/sampled falls through 1 between two measured densities (ascending), log-linear in density;
     * the first such crossing, or why there is none.
     */
    static String crossover(double[] density, double[] denseOverSampled) {
        for (int i = 0; i + 1 < density.length; i++) {
            double r0 = denseOverSampled[i];
            double r1 = denseOverSampled[i + 1];
            if (r0 >= 1 && r1 < 1) {
                double t = Math.log(r0) / (Math.log(r0) - Math.log(r1));
                double at = Math.exp(Math.log(density[i]) + t * (Math.log(density[i + 1]) - Math.log(density[i])));
                return String.format("crossover at density %.4f (sampled faster below, dense GEMM faster above)", at);
            }
        }
        if (denseOverSampled.length > 0 && denseOverSampled[denseOverSampled.length - 1] >= 1) {
            return "sampled faster at every density measured";
        }
        return denseOverSampled.length > 0 && denseOverSampled[0] < 1 ? "dense GEMM faster at every density measured"
                : "no crossover measured";
    }
}
