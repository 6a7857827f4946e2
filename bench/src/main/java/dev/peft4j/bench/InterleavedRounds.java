package dev.peft4j.bench;

import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.opencl.OpenClKernels;
import java.util.Arrays;

/** Timing for the quick (non-JMH) tables: variants measured in interleaved rounds on one backend. */
final class InterleavedRounds {

    private InterleavedRounds() {
    }

    /**
     * Median milliseconds of each variant over reps rounds after warm-up (at least warmup rounds and half a
     * second). Each round runs every variant once, so load from other processes hits all of them alike.
     */
    static double[] medianMs(Runnable[] variants, Kernels kx, int warmup, int reps) {
        warmUp(variants, kx, warmup, 500_000_000L);
        double[][] ms = new double[variants.length][reps];
        for (int r = 0; r < reps; r++) {
            for (int v = 0; v < variants.length; v++) {
                long t0 = System.nanoTime();
                variants[v].run();
                sync(kx);
                ms[v][r] = (System.nanoTime() - t0) / 1e6;
            }
        }
        double[] med = new double[variants.length];
        for (int v = 0; v < variants.length; v++) {
            Arrays.sort(ms[v]);
            med[v] = ms[v][reps / 2];
        }
        return med;
    }

    /** Runs every variant, each to completion, for at least {@code rounds} rounds and {@code nanos}. */
    static void warmUp(Runnable[] variants, Kernels kx, int rounds, long nanos) {
        long start = System.nanoTime();
        for (int i = 0; i < rounds || System.nanoTime() - start < nanos; i++) {
            for (Runnable v : variants) {
                v.run();
                sync(kx);
            }
        }
    }

    private static void sync(Kernels kx) {
        if (kx instanceof OpenClKernels cl) {
            cl.finish();
        }
    }
}
