package dev.peft4j.bench;

import dev.peft4j.kernels.cpu.CpuGemm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * Quick SGEMM table without JMH: GPT-2 124M training-step shapes × (fwd, dX, dW) × thread counts, the
 * median GFLOP/s of a few timed calls after warm-up; with {@code --numpy} each row is measured right
 * after numpy/OpenBLAS on the same shape and threads ({@code tools/bench/numpy_gemm.py}) and shows the
 * ratio. Then heap {@code float[]} against native {@code MemorySegment} Vector loads (dot, axpy).
 *
 * <pre>GemmBench [--threads 1,2] [--reps 5] [--warmup 3] [--shapes 768x2304,...] [--variants fwd,dX,dW]
 *           [--numpy [script]] [--python /usr/bin/python3] [--no-loads]</pre>
 */
public final class GemmBench {

    private GemmBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = parse(args);
        int[] threads = Arrays.stream(opt.getOrDefault("threads", "1,2").split(",")).mapToInt(Integer::parseInt).toArray();
        int reps = Integer.parseInt(opt.getOrDefault("reps", "5"));
        int warmup = Integer.parseInt(opt.getOrDefault("warmup", "3"));
        List<String> variants = List.of(opt.getOrDefault("variants", String.join(",", GemmShape.VARIANTS)).split(","));
        List<int[]> shapes = opt.containsKey("shapes") ? parseShapes(opt.get("shapes")) : GemmShape.GPT2_SHAPES;
        Path script = null;
        if (opt.containsKey("numpy")) {
            String s = opt.get("numpy");
            script = Path.of(s.isEmpty() ? "tools/bench/numpy_gemm.py" : s);
            if (!Files.isRegularFile(script)) {
                throw new IllegalArgumentException("--numpy: no script at " + script.toAbsolutePath());
            }
        }
        String python = opt.getOrDefault("python", "/usr/bin/python3");

        System.out.printf("# CpuGemm, %s, %d processors; median of %d calls after %d warm-up%n",
                jdk.incubator.vector.FloatVector.SPECIES_PREFERRED, Runtime.getRuntime().availableProcessors(), reps, warmup);
        System.out.printf("%-14s %-4s %7s %9s%s%n", "shape(MxKxN)", "var", "threads", "GFLOP/s",
                script == null ? "" : String.format(" %9s %6s", "numpy", "ratio"));
        warmUpJit();
        List<Double> ratios = new ArrayList<>();
        for (int[] kn : shapes) {
            GemmShape shape = new GemmShape(kn[0], kn[1]);
            for (int t : threads) {
                Map<String, Double> peer = script == null ? Map.of() : numpy(python, script, kn, t, reps, warmup);
                try (CpuGemm gemm = new CpuGemm(t)) {
                    for (String v : variants) {
                        double gf = gflops(shape.flops(), warmup, reps, () -> time(() -> shape.run(gemm, v)));
                        Double np = peer.get(shape.label() + " " + v);
                        String tail = "";
                        if (np != null) {
                            ratios.add(gf / np);
                            tail = String.format(" %9.1f %6.2f", np, gf / np);
                        }
                        System.out.printf("%-14s %-4s %7d %9.1f%s%n", shape.label(), v, t, gf, tail);
                    }
                }
            }
        }
        if (!ratios.isEmpty()) {
            System.out.printf("# geometric mean ratio vs numpy/OpenBLAS: %.2f over %d rows%n", geomean(ratios), ratios.size());
        }
        if (!opt.containsKey("no-loads")) {
            loads();
        }
    }

    /**
     * Median GFLOP/s of reps calls after at least warmup calls and a second; timer returns seconds. The second
     * lets C2 compile a path no earlier row took (the skinny kernels run ~50x slower before it does).
     */
    private static double gflops(double flops, int warmup, int reps, DoubleSupplier timer) {
        double spent = 0;
        for (int i = 0; i < warmup || spent < 1.0; i++) {
            spent += timer.getAsDouble();
        }
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            t[i] = timer.getAsDouble();
        }
        Arrays.sort(t);
        return flops / t[reps / 2] / 1e9;
    }

    private static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) * 1e-9;
    }

    /** Compiles the kernel and packing paths for every variant before anything is timed. */
    private static void warmUpJit() {
        GemmShape small = new GemmShape(768, 768);
        try (CpuGemm one = new CpuGemm(1); CpuGemm two = new CpuGemm(2)) {
            CpuGemm[] gemms = {one, two};
            for (int i = 0; i < 40; i++) {
                for (String v : GemmShape.VARIANTS) {
                    small.run(gemms[i % 2], v);
                }
            }
        }
    }

    /** Runs the numpy peer for one shape and thread count; returns GFLOP/s by "label variant". */
    private static Map<String, Double> numpy(String python, Path script, int[] kn, int threads, int reps, int warmup)
            throws IOException, InterruptedException {
        Process p = new ProcessBuilder(python, script.toString(), "--threads", Integer.toString(threads),
                "--reps", Integer.toString(reps), "--warmup", Integer.toString(warmup),
                "--shapes", kn[0] + "x" + kn[1]).redirectErrorStream(true).start();
        Map<String, Double> out = new HashMap<>();
        StringBuilder all = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                all.append(line).append('\n');
                String[] f = line.trim().split("\\s+");
                if (f.length == 4 && !line.startsWith("#") && f[3].matches("[0-9.]+")) {
                    out.put(f[0] + " " + f[1], Double.parseDouble(f[3]));
                }
            }
        }
        if (p.waitFor() != 0) {
            throw new IOException(script + " failed:\n" + all);
        }
        return out;
    }

    /** Heap float[] vs native MemorySegment: ns per call of dot and axpy, L1-sized and L2/L3-sized. */
    private static void loads() {
        System.out.printf("%n# heap float[] vs native MemorySegment Vector loads (ns per call, median)%n");
        System.out.printf("%-6s %9s %12s %12s %7s%n", "kernel", "floats", "heap", "segment", "seg/heap");
        for (int n : new int[] {4096, 1 << 20}) {
            GemmLoads l = new GemmLoads(n);
            int inner = Math.max(1, (1 << 24) / n);
            float[] sink = new float[1];
            double dotHeap = nsPerCall(inner, () -> sink[0] += l.dotHeap());
            double dotSeg = nsPerCall(inner, () -> sink[0] += l.dotSegment());
            double axHeap = nsPerCall(inner, () -> l.axpyHeap(1e-9f));
            double axSeg = nsPerCall(inner, () -> l.axpySegment(1e-9f));
            System.out.printf("%-6s %9d %12.1f %12.1f %7.2f%n", "dot", n, dotHeap, dotSeg, dotSeg / dotHeap);
            System.out.printf("%-6s %9d %12.1f %12.1f %7.2f%n", "axpy", n, axHeap, axSeg, axSeg / axHeap);
            if (Float.isNaN(sink[0])) {
                System.out.println("# (checksum NaN)");
            }
        }
    }

    private static double nsPerCall(int inner, Runnable call) {
        double[] t = new double[9];
        for (int rep = -6; rep < t.length; rep++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < inner; i++) {
                call.run();
            }
            if (rep >= 0) {
                t[rep] = (System.nanoTime() - t0) / (double) inner;
            }
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    private static double geomean(List<Double> xs) {
        return Math.exp(xs.stream().mapToDouble(Math::log).average().orElse(0));
    }

    /** {@code --shapes} of a Linear's widths, input x output: "768x2304,768x3072". */
    static List<int[]> parseShapes(String s) {
        List<int[]> out = new ArrayList<>();
        for (String kn : s.split(",")) {
            String[] f = kn.split("x");
            if (f.length != 2) {
                throw new IllegalArgumentException("--shapes: '" + kn
                        + "' is not KxN (input x output width, e.g. 768x2304)");
            }
            out.add(new int[] {Integer.parseInt(f[0]), Integer.parseInt(f[1])});
        }
        return out;
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("GemmBench: unexpected argument '" + args[i] + "'");
            }
            String key = args[i].substring(2);
            boolean hasValue = i + 1 < args.length && !args[i + 1].startsWith("--");
            opt.put(key, hasValue ? args[++i] : "");
        }
        return opt;
    }
}
