package dev.peft4j.bench;

import dev.peft4j.kernels.cpu.CpuKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JMH: a sparse delta's weight gradient on GPT-2's c_fc shape (768 → 3072, 512 rows) by the sampled GEMM at
 * several densities against the dense {@code dYᵀ·X} ({@link SparseGradCase}); the quick table with the
 * crossover density is {@link SparseGradBench} ({@code peft4j bench sparse}).
 */
public class SampledGemmBenchmark extends JmhDefaults {

    @Param({"0.001", "0.01", "0.05", "0.2"})
    public double density;

    private CpuKernels kernels;
    private SparseGradCase bench;

    @Setup(Level.Trial)
    public void setup() {
        kernels = new CpuKernels();
        bench = new SparseGradCase(kernels, 512, 768, 3072, density, 7);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        bench.close();
        kernels.close();
    }

    @Benchmark
    public void sampled() {
        bench.sampled();
    }

    @Benchmark
    public void dense() {
        bench.dense();
    }
}
