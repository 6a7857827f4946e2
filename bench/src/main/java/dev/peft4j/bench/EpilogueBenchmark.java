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
 * JMH: each fused GEMM epilogue against its unfused composition on the CPU backend at GPT-2 124M shapes,
 * 512 rows ({@link EpilogueCase}): bias+GELU 768→3072, LoRA r=8 768→2304, SSF scale+shift 768→768, (IA)³
 * scale with bias 768→2304. {@code gemmOnly} is the plain GEMM both build on. The quick table is
 * {@link EpilogueBench} ({@code peft4j bench epilogue}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector",
        "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0"})
public class EpilogueBenchmark {

    @Param({"bias+gelu", "lora-r8", "ssf", "ia3+bias"})
    public String epilogue;

    private CpuKernels kernels;
    private EpilogueCase bench;

    @Setup(Level.Trial)
    public void setup() {
        kernels = new CpuKernels();
        bench = new EpilogueCase(kernels, epilogue);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        bench.close();
        kernels.close();
    }

    @Benchmark
    public void fused() {
        bench.fused();
    }

    @Benchmark
    public void unfused() {
        bench.unfused();
    }

    @Benchmark
    public void gemmOnly() {
        bench.gemmOnly();
    }
}
