package dev.peft4j.bench;

import dev.peft4j.kernels.cpu.CpuGemm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JMH: CpuGemm at the GPT-2 124M training-step shapes (512 tokens; fwd X·Wᵀ, dX = dY·W, dW = dYᵀ·X) on a
 * 1- or 2-thread CpuGemm. GFLOP/s = 2·512·k·n / (ms/op · 1e6). The quick table with the numpy peer is
 * {@link GemmBench}.
 */
public class GemmBenchmark extends JmhDefaults {

    /** k x n of the Linear. */
    @Param({"768x2304", "768x768", "768x3072", "3072x768", "768x50257"})
    public String shape;

    @Param({"fwd", "dX", "dW"})
    public String variant;

    @Param({"1", "2"})
    public int threads;

    private GemmShape gemmShape;
    private CpuGemm gemm;

    @Setup(Level.Trial)
    public void setup() {
        String[] kn = shape.split("x");
        gemmShape = new GemmShape(Integer.parseInt(kn[0]), Integer.parseInt(kn[1]));
        gemm = new CpuGemm(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        gemm.close();
    }

    @Benchmark
    public void gemm() {
        gemmShape.run(gemm, variant);
    }
}
