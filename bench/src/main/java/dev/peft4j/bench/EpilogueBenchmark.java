package dev.peft4j.bench;

import dev.peft4j.kernels.cpu.CpuKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JMH: each fused GEMM epilogue against its unfused composition on the CPU backend at GPT-2 124M shapes,
 * 512 rows ({@link EpilogueCase}): bias+GELU 768→3072, LoRA r=8 768→2304, SSF scale+shift 768→768, (IA)³
 * scale with bias 768→2304. {@code gemmOnly} is the plain GEMM both build on. The quick table is
 * {@link EpilogueBench} ({@code peft4j bench epilogue}).
 */
public class EpilogueBenchmark extends JmhDefaults {

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
