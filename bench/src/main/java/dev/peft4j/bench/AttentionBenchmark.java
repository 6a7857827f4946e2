package dev.peft4j.bench;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.cpu.CpuKernels;
import java.util.Random;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JMH: the CPU backend's flash-style attention ({@code Kernels.attention} + {@code attentionBackward}, no T x T
 * matrix) against the unfused composition ({@link AttentionUnfused}: scores GEMM, softmax, probabilities GEMM),
 * at GPT-2 shapes (batch 4, 12 heads, head dim 64, causal). The quick table, OpenCL too, is
 * {@link AttentionBench} ({@code peft4j bench attention}).
 */
public class AttentionBenchmark extends JmhDefaults {

    private static final int BH = 4 * 12;
    private static final int D = 64;

    @Param({"128", "512"})
    public int seq;

    @Param({"false", "true"})
    public boolean backward;

    private CpuKernels k;
    private Buffer q;
    private Buffer kk;
    private Buffer v;
    private Buffer dOut;
    private Buffer out;
    private Buffer lse;
    private Buffer dq;
    private Buffer dk;
    private Buffer dv;
    private float scale;

    @Setup(Level.Trial)
    public void setup() {
        k = new CpuKernels();
        int n = BH * seq * D;
        Random rnd = new Random(seq);
        q = random(rnd, n);
        kk = random(rnd, n);
        v = random(rnd, n);
        dOut = random(rnd, n);
        out = k.allocate(n);
        lse = k.allocate(BH * seq);
        dq = k.allocate(n);
        dk = k.allocate(n);
        dv = k.allocate(n);
        scale = (float) (1 / Math.sqrt(D));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        k.close();
    }

    @Benchmark
    public Buffer fused() {
        k.attention(q, 0, kk, 0, v, 0, BH, seq, seq, D, D, scale, true, out, 0, lse, 0);
        if (backward) {
            k.attentionBackward(q, 0, kk, 0, v, 0, out, 0, lse, 0, dOut, 0, BH, seq, seq, D, D, scale, true,
                    dq, 0, dk, 0, dv, 0);
        }
        return out;
    }

    @Benchmark
    public Buffer unfused() {
        try (Buffer probs = AttentionUnfused.forward(k, q, kk, v, BH, seq, seq, D, D, scale, true, out)) {
            if (backward) {
                AttentionUnfused.backward(k, q, kk, v, probs, dOut, BH, seq, seq, D, D, scale, dq, dk, dv);
            }
        }
        return out;
    }

    private Buffer random(Random rnd, int n) {
        float[] host = new float[n];
        for (int i = 0; i < n; i++) {
            host[i] = rnd.nextFloat() * 2 - 1;
        }
        return k.upload(host, 0, n);
    }
}
