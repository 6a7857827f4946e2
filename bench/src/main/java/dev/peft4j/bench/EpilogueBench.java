package dev.peft4j.bench;

import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.kernels.opencl.OpenClKernels;
import java.util.List;

/**
 * Quick table without JMH: each fused GEMM epilogue ({@link EpilogueCase}) against its unfused composition
 * and the plain GEMM, median ms of {@code --reps} interleaved rounds after warm-up, measured in the same run. The peer
 * of "fused" is "unfused"; ratio = unfused / fused (above 1: fusing saves time).
 *
 * <pre>EpilogueBench [--reps 9] [--warmup 5] [--cases bias+gelu,lora-r8,ssf,ia3+bias] [--device cpu|opencl[:N]]</pre>
 */
public final class EpilogueBench {

    private EpilogueBench() {
    }

    public static void main(String[] args) {
        int reps = 9;
        int warmup = 5;
        List<String> cases = EpilogueCase.NAMES;
        String device = "cpu";
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--reps" -> reps = Integer.parseInt(need(args[i], value));
                case "--warmup" -> warmup = Integer.parseInt(need(args[i], value));
                case "--cases" -> cases = List.of(need(args[i], value).split(","));
                case "--device" -> device = need(args[i], value);
                default -> throw new IllegalArgumentException("epilogue: unknown option '" + args[i] + "'");
            }
            i++;
        }
        if (reps < 1) {
            throw new IllegalArgumentException("epilogue: --reps must be >= 1");
        }
        try (Kernels kx = open(device)) {
            System.out.printf("# GEMM epilogues on %s, %d rows; median of %d interleaved rounds after %d warm-up%n",
                    kx.name(), EpilogueCase.ROWS, reps, warmup);
            System.out.printf("%-10s %-11s %9s %9s %9s %7s %9s %10s%n", "case", "k->n", "gemm ms", "fused ms",
                    "unfused", "ratio", "fused-gemm", "max|diff|");
            for (String name : cases) {
                try (EpilogueCase c = new EpilogueCase(kx, name)) {
                    double diff = c.maxDifference();
                    double[] ms = InterleavedRounds.medianMs(new Runnable[]{c::gemmOnly, c::fused, c::unfused}, kx,
                            warmup, reps);
                    double gemm = ms[0];
                    double fused = ms[1];
                    double unfused = ms[2];
                    System.out.printf("%-10s %-11s %9.2f %9.2f %9.2f %7.2f %9.2f %10.2e%n", name, c.k + "->" + c.n,
                            gemm, fused, unfused, unfused / fused, fused - gemm, diff);
                }
            }
        }
    }

    private static Kernels open(String device) {
        if (device.equals("cpu")) {
            return new CpuKernels();
        }
        if (device.startsWith("opencl")) {
            int index = device.contains(":") ? Integer.parseInt(device.substring(device.indexOf(':') + 1)) : 0;
            return OpenClKernels.create(index);
        }
        throw new IllegalArgumentException("epilogue: --device must be cpu or opencl[:N], got '" + device + "'");
    }

    private static String need(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException("epilogue: " + option + " needs a value");
        }
        return value;
    }
}
