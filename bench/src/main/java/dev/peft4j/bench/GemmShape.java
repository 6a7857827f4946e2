package dev.peft4j.bench;

import dev.peft4j.kernels.cpu.CpuGemm;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One GEMM of a GPT-2 training step for a Linear with weight W[n, k] applied to X[tokens, k]:
 * forward {@code Y = X·Wᵀ}, input gradient {@code dX = dY·W}, weight gradient {@code dW = dYᵀ·X}.
 * Holds the operands of all three so a benchmark can call {@link #run} repeatedly.
 */
public final class GemmShape {

    /** Tokens per step (the M of the forward GEMM). */
    public static final int TOKENS = 512;
    /** (k, n) of the GPT-2 124M Linears: qkv, attention proj, MLP up, MLP down, LM head. */
    public static final List<int[]> GPT2_SHAPES = List.of(
            new int[] {768, 2304}, new int[] {768, 768}, new int[] {768, 3072},
            new int[] {3072, 768}, new int[] {768, 50257});
    public static final List<String> VARIANTS = List.of("fwd", "dX", "dW");

    private final int k;
    private final int n;
    private final float[] x;
    private final float[] w;
    private final float[] dy;
    private final float[] out;

    public GemmShape(int k, int n) {
        this.k = k;
        this.n = n;
        SplittableRandom rnd = new SplittableRandom(k * 31L + n);
        x = random(rnd, TOKENS * k);
        w = random(rnd, n * k);
        dy = random(rnd, TOKENS * n);
        out = new float[Math.max(TOKENS * n, Math.max(TOKENS * k, n * k))];
    }

    /** {@code MxKxN} of the forward GEMM, the row label shared with numpy_gemm.py. */
    public String label() {
        return TOKENS + "x" + k + "x" + n;
    }

    /** Floating-point operations of one call: 2·tokens·k·n for every variant. */
    public double flops() {
        return 2.0 * TOKENS * k * n;
    }

    /** One call of {@code variant} (fwd, dX or dW). */
    public void run(CpuGemm gemm, String variant) {
        switch (variant) {
            case "fwd" -> gemm.gemm(false, true, TOKENS, n, k, 1f, x, 0, k, w, 0, k, 0f, out, 0, n);
            case "dX" -> gemm.gemm(false, false, TOKENS, k, n, 1f, dy, 0, n, w, 0, k, 0f, out, 0, k);
            case "dW" -> gemm.gemm(true, false, n, k, TOKENS, 1f, dy, 0, n, x, 0, k, 0f, out, 0, k);
            default -> throw new IllegalArgumentException("GEMM variant '" + variant + "', expected one of " + VARIANTS);
        }
    }

    private static float[] random(SplittableRandom rnd, int len) {
        float[] v = new float[len];
        for (int i = 0; i < len; i++) {
            v[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return v;
    }
}
