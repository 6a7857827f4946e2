package dev.peft4j.bench;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.cpu.CpuGemm;
import dev.peft4j.kernels.opencl.GemmTunables;
import dev.peft4j.kernels.opencl.OpenClDevice;
import dev.peft4j.kernels.opencl.OpenClDevices;
import dev.peft4j.kernels.opencl.OpenClKernels;
import java.util.Random;

/**
 * GEMM GFLOP/s on an OpenCL device beside the CPU backend in the same run, for the GPT-2 training
 * step's shapes (M = B*T = 512 tokens; (K, N) per linear layer) and its three products:
 * forward {@code Y = X Wᵀ}, input gradient {@code dX = dY W}, weight gradient {@code dW = dYᵀ X}.
 * OpenCL is timed twice: wall clock around a batch of calls plus {@code clFinish}, and summed kernel
 * time from profiling events (which excludes launch overhead).
 *
 * <p>Usage: {@code OpenClGemmBench [--device N] [--reps R] [--tunables MWG=64,NWG=64,...] [--no-cpu]}
 */
public final class OpenClGemmBench {

    private static final int M = 512;
    private static final int[][] KN = {{768, 2304}, {768, 768}, {768, 3072}, {3072, 768}};

    private OpenClGemmBench() {
    }

    /** One GEMM call in row-major terms: C (m x n) = op(A) op(B). */
    private record Product(String name, boolean ta, boolean tb, int m, int n, int k) {
        double gflop() {
            return 2.0 * m * n * k / 1e9;
        }

        int lda() {
            return ta ? m : k;
        }

        int ldb() {
            return tb ? k : n;
        }
    }

    public static void main(String[] args) {
        int device = 0;
        int reps = 5;
        String tunables = null;
        boolean cpu = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--device" -> device = Integer.parseInt(args[++i]);
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--tunables" -> tunables = args[++i];
                case "--no-cpu" -> cpu = false;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; usage: [--device N] [--reps R] [--tunables NAME=v,...] [--no-cpu]");
            }
        }
        OpenClDevice info = OpenClDevices.list().get(device);
        GemmTunables t = tunables == null ? null
                : ("CPU".equals(info.type()) ? GemmTunables.CPU : GemmTunables.GPU).with(tunables);
        try (OpenClKernels cl = OpenClKernels.create(device, t)) {
            System.out.println("OpenCL: " + cl.name() + " [" + info.describe() + "]");
            System.out.println("tunables: " + cl.gemmTunables());
            System.out.println("CPU: dev.peft4j.kernels.cpu.CpuGemm, " + Runtime.getRuntime().availableProcessors()
                    + " processors; JVM " + System.getProperty("java.version") + "; reps " + reps);
            System.out.printf("%-22s %-10s %10s %10s %10s %8s%n", "shape (M,K,N)", "product", "cl wall", "cl events",
                    "cpu", "cl/cpu");
            for (int[] kn : KN) {
                int k = kn[0], n = kn[1];
                Product[] products = {
                    new Product("fwd Y=XWt", false, true, M, n, k),
                    new Product("dX=dY W", false, false, M, k, n),
                    new Product("dW=dYt X", true, false, n, k, M)};
                for (Product p : products) {
                    double[] clRates = runOpenCl(cl, p, reps);
                    double cpuRate = Double.NaN;
                    if (cpu) {
                        try {
                            cpuRate = runCpu(p, reps);
                        } catch (RuntimeException e) { // report the peer's failure, keep the OpenCL numbers
                            System.out.println("CPU GEMM failed on " + p + ": " + e);
                        }
                    }
                    System.out.printf("%-22s %-10s %10.1f %10.1f %10.1f %8.2f%n", "(" + M + "," + k + "," + n + ")",
                            p.name(), clRates[0], clRates[1], cpuRate, clRates[0] / cpuRate);
                }
            }
            System.out.println("(GFLOP/s; cl/cpu uses wall clock)");
        }
    }

    /** {wall-clock GFLOP/s, event GFLOP/s}. */
    private static double[] runOpenCl(OpenClKernels cl, Product p, int reps) {
        Random rnd = new Random(1);
        float[] a = random(rnd, p.m() * p.k());
        float[] b = random(rnd, p.k() * p.n());
        try (Buffer ab = cl.upload(a, 0, a.length); Buffer bb = cl.upload(b, 0, b.length);
             Buffer cb = cl.allocate(p.m() * p.n())) {
            Runnable call = () -> cl.gemm(p.ta(), p.tb(), p.m(), p.n(), p.k(), 1f, ab, 0, p.lda(), bb, 0, p.ldb(),
                    0f, cb, 0, p.n());
            call.run(); // first launch compiles the work-group function on some drivers
            cl.finish();
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) call.run();
            cl.finish();
            double wallSeconds = (System.nanoTime() - t0) / 1e9;
            long deviceNanos = cl.deviceNanos(() -> {
                for (int r = 0; r < reps; r++) call.run();
            });
            return new double[]{p.gflop() * reps / wallSeconds, p.gflop() * reps / (deviceNanos / 1e9)};
        }
    }

    private static double runCpu(Product p, int reps) {
        Random rnd = new Random(1);
        float[] a = random(rnd, p.m() * p.k());
        float[] b = random(rnd, p.k() * p.n());
        float[] c = new float[p.m() * p.n()];
        CpuGemm gemm = new CpuGemm();
        gemm.gemm(p.ta(), p.tb(), p.m(), p.n(), p.k(), 1f, a, 0, p.lda(), b, 0, p.ldb(), 0f, c, 0, p.n());
        long t0 = System.nanoTime();
        for (int r = 0; r < reps; r++) {
            gemm.gemm(p.ta(), p.tb(), p.m(), p.n(), p.k(), 1f, a, 0, p.lda(), b, 0, p.ldb(), 0f, c, 0, p.n());
        }
        return p.gflop() * reps / ((System.nanoTime() - t0) / 1e9);
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextFloat() * 2 - 1;
        return x;
    }
}
