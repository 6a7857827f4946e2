package dev.peft4j.bench;

import java.util.Arrays;

/**
 * {@code peft4j bench ...}: the launcher sends its arguments here (the bench module sits above the CLI's
 * module, so the CLI cannot call it). The first word picks the benchmark; the rest are its options.
 */
public final class BenchMain {

    static final String USAGE = """
            usage: peft4j bench <benchmark> [options]
              gemm         SGEMM GFLOP/s at GPT-2 shapes; --numpy adds numpy/OpenBLAS ratios (GemmBench)
              train        GPT-2 steps, tokens/s and peak memory: --config small|gpt2 --mode forward|lora|full
                           [--device cpu|opencl[:N]] [--steps N] [--warmup W] [--base-dtype f32|bf16]
              opencl-gemm  OpenCL GEMM against the CPU (OpenClGemmBench)
              train-step   full training step, CPU against OpenCL (TrainStepBench)
              epilogue     fused GEMM epilogues against unfused, ms and ratio [--reps N] [--device cpu|opencl]
              attention    fused (flash-style) attention against unfused, ms and ratio [--device] [--seq 128,512]
              sparse       sparse-delta weight gradient: sampled GEMM against dense dW over densities, and the
                           crossover density [--shapes 768x3072] [--densities 0.001,0.01,...] [--device]
              jmh          the JMH benchmarks (GemmBenchmark, EpilogueBenchmark, AttentionBenchmark,
                           LmHeadLossBenchmark, GemmLoadsBenchmark, SampledGemmBenchmark);
                           JMH's own options follow, e.g. `jmh LmHeadLoss -prof gc`""";

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
            System.out.println(USAGE);
            return;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            switch (args[0]) {
                case "gemm" -> GemmBench.main(rest);
                case "train" -> TrainBench.main(rest);
                case "opencl-gemm" -> OpenClGemmBench.main(rest);
                case "train-step" -> TrainStepBench.main(rest);
                case "epilogue" -> EpilogueBench.main(rest);
                case "attention" -> AttentionBench.main(rest);
                case "sparse" -> SparseGradBench.main(rest);
                case "jmh" -> org.openjdk.jmh.Main.main(rest);
                default -> throw new IllegalArgumentException("unknown benchmark '" + args[0] + "'");
            }
        } catch (IllegalArgumentException e) {
            // Bad options get the message and the usage, not a stack trace; PEFT4J_DEBUG=1 shows the trace.
            if (System.getenv("PEFT4J_DEBUG") != null) {
                e.printStackTrace();
            }
            System.err.println("peft4j bench: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        }
    }
}
