package dev.peft4j.bench;

import dev.peft4j.kernels.cpu.CpuKernels;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH: a sparse delta's weight gradient on GPT-2's c_fc shape (768 → 3072, 512 rows) by the sampled GEMM at
 * several densities against the dense {@code dYᵀ·X} ({@link SparseGradCase}); the quick table with the
 * crossover density is {@link SparseGradBench} ({@code peft4j bench sparse}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector",
        "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0"})
public class SampledGemmBenchmark {

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
