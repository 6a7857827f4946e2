package dev.peft4j.bench;

import dev.peft4j.kernels.Binary;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.GemmEpilogue;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.Unary;
import java.util.List;
import java.util.Random;

/**
 * One fused GEMM epilogue at a GPT-2 124M shape (512 rows, y = x·Wᵀ with x [512, k] and W [n, k]) and its
 * unfused composition on the same backend: the plain GEMM followed by what the epilogue replaces, each a
 * separate pass over C (low-rank GEMM with beta 1, broadcast add/multiply in place, {@code unary}). Both
 * get the same inputs, U = x·Aᵀ included, so only the epilogue differs.
 */
final class EpilogueCase implements AutoCloseable {

    static final int ROWS = 512;
    static final int LORA_RANK = 8;

    /** name, k, n of each case. */
    static final List<String> NAMES = List.of("bias+gelu", "lora-r8", "ssf", "ia3+bias");

    final String name;
    final int k;
    final int n;
    private final Kernels kx;
    private final Buffer x;
    private final Buffer w;
    private final Buffer c;
    private final Buffer out;
    private final Buffer bias;
    private final Buffer scale;
    private final Buffer shift;
    private final Buffer u;
    private final Buffer v;
    private final GemmEpilogue epilogue;

    EpilogueCase(Kernels kx, String name) {
        this.kx = kx;
        this.name = name;
        this.k = 768;
        this.n = switch (name) {
            case "bias+gelu" -> 3072;
            case "lora-r8", "ia3+bias" -> 2304;
            case "ssf" -> 768;
            default -> throw new IllegalArgumentException("unknown epilogue case '" + name + "'; cases: " + NAMES);
        };
        Random rnd = new Random(42);
        x = upload(rnd, ROWS * k, 1f);
        w = upload(rnd, n * k, 0.05f);
        c = kx.allocate(ROWS * n);
        out = kx.allocate(ROWS * n);
        bias = upload(rnd, n, 0.1f);
        scale = upload(rnd, n, 1f);
        shift = upload(rnd, n, 0.1f);
        u = upload(rnd, ROWS * LORA_RANK, 1f);
        v = upload(rnd, n * LORA_RANK, 0.05f);
        GemmEpilogue.Builder b = GemmEpilogue.builder();
        switch (name) {
            case "bias+gelu" -> b.bias(bias, 0).activation(Unary.GELU_TANH, out, 0, n);
            case "lora-r8" -> b.lowRank(2f, LORA_RANK, u, 0, LORA_RANK, v, 0, LORA_RANK);
            case "ssf" -> b.colScale(scale, 0).colShift(shift, 0);
            default -> b.bias(bias, 0).colScale(scale, 0);
        }
        epilogue = b.build();
    }

    /** Multiply-adds of the main GEMM. */
    double flops() {
        return 2.0 * ROWS * n * k;
    }

    void fused() {
        kx.gemm(false, true, ROWS, n, k, 1f, x, 0, k, w, 0, k, 0f, c, 0, n, epilogue);
    }

    void unfused() {
        kx.gemm(false, true, ROWS, n, k, 1f, x, 0, k, w, 0, k, 0f, c, 0, n);
        switch (name) {
            case "bias+gelu" -> {
                columns(Binary.ADD, bias);
                kx.unary(Unary.GELU_TANH, c, 0, out, 0, ROWS * n);
            }
            case "lora-r8" -> kx.gemm(false, true, ROWS, n, LORA_RANK, 2f, u, 0, LORA_RANK, v, 0, LORA_RANK, 1f, c, 0, n);
            case "ssf" -> {
                columns(Binary.MUL, scale);
                columns(Binary.ADD, shift);
            }
            default -> {
                columns(Binary.ADD, bias);
                columns(Binary.MUL, scale);
            }
        }
    }

    /** Only the plain GEMM: the floor both variants stand on. */
    void gemmOnly() {
        kx.gemm(false, true, ROWS, n, k, 1f, x, 0, k, w, 0, k, 0f, c, 0, n);
    }

    /** Largest |fused − unfused| over C (and out), a sanity check printed next to the timings. */
    double maxDifference() {
        float[] f = new float[ROWS * n];
        float[] g = new float[ROWS * n];
        fused();
        kx.read(epilogue.hasActivation() ? out : c, 0, f, 0, f.length);
        unfused();
        kx.read(epilogue.hasActivation() ? out : c, 0, g, 0, g.length);
        double max = 0;
        for (int i = 0; i < f.length; i++) {
            max = Math.max(max, Math.abs(f[i] - g[i]));
        }
        return max;
    }

    /** C[i, j] = C[i, j] op w[j] in place. */
    private void columns(Binary op, Buffer col) {
        kx.broadcastBinary(op, new int[]{ROWS, n}, c, 0, new int[]{n, 1}, col, 0, new int[]{0, 1}, c, 0);
    }

    private Buffer upload(Random rnd, int len, float amplitude) {
        float[] h = new float[len];
        for (int i = 0; i < len; i++) {
            h[i] = amplitude * (rnd.nextFloat() * 2 - 1);
        }
        return kx.upload(h, 0, len);
    }

    @Override
    public void close() {
        for (Buffer b : new Buffer[]{x, w, c, out, bias, scale, shift, u, v}) {
            b.close();
        }
    }
}
