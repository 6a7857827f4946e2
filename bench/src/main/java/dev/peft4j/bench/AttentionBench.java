package dev.peft4j.bench;

import dev.peft4j.kernels.Backends;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;
import java.util.Arrays;
import java.util.Random;

/**
 * Fused attention ({@code Kernels.attention}/{@code attentionBackward}) against the unfused composition
 * ({@link AttentionUnfused}) at GPT-2 shapes (B 4, H 12, D 64, causal), forward and forward+backward:
 * median ms of each measured back to back in the same run (alternating), the unfused/fused ratio, and
 * the bytes of T×T matrices the fused path does not allocate.
 *
 * <pre>AttentionBench [--device cpu|opencl[:N]] [--seq 128,512] [--reps 7] [--warmup 2]</pre>
 */
public final class AttentionBench {

    private static final int BATCH = 4;
    private static final int HEADS = 12;
    private static final int HEAD_DIM = 64;

    private AttentionBench() {
    }

    public static void main(String[] args) {
        String device = "cpu";
        int[] seqs = {128, 512};
        int reps = 7;
        int warmup = 2;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--device" -> device = args[i + 1];
                case "--seq" -> seqs = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--reps" -> reps = Integer.parseInt(args[i + 1]);
                case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("AttentionBench: unknown option " + args[i]
                        + "; usage: [--device " + Backends.SPECS + "] [--seq 128,512] [--reps N] [--warmup N]");
            }
        }
        try (Kernels k = Backends.create(device)) {
            System.out.printf("# AttentionBench on %s: B %d, H %d, D %d, causal; median of %d alternating runs after %d"
                    + " warm-up (and at least 2 s)%n", k.name(), BATCH, HEADS, HEAD_DIM, reps, warmup);
            System.out.printf("%-5s %-8s %10s %10s %7s %14s%n", "T", "pass", "fused ms", "unfused ms", "ratio",
                    "bytes saved");
            for (int t : seqs) {
                run(k, t, reps, warmup);
            }
        }
    }

    private static void run(Kernels k, int t, int reps, int warmup) {
        int bh = BATCH * HEADS;
        int n = bh * t * HEAD_DIM;
        float scale = (float) (1 / Math.sqrt(HEAD_DIM));
        Random rnd = new Random(t);
        try (Buffer q = random(k, rnd, n); Buffer kk = random(k, rnd, n); Buffer v = random(k, rnd, n);
             Buffer dOut = random(k, rnd, n); Buffer out = k.allocate(n); Buffer dq = k.allocate(n);
             Buffer dk = k.allocate(n); Buffer dv = k.allocate(n)) {
            for (boolean backward : new boolean[]{false, true}) {
                Runnable fused = () -> {
                    try (Buffer lse = k.allocate(bh * t)) {
                        k.attention(q, 0, kk, 0, v, 0, bh, t, t, HEAD_DIM, HEAD_DIM, scale, true, out, 0, lse, 0);
                        if (backward) {
                            k.attentionBackward(q, 0, kk, 0, v, 0, out, 0, lse, 0, dOut, 0, bh, t, t, HEAD_DIM,
                                    HEAD_DIM, scale, true, dq, 0, dk, 0, dv, 0);
                        }
                    }
                };
                Runnable unfused = () -> {
                    try (Buffer probs = AttentionUnfused.forward(k, q, kk, v, bh, t, t, HEAD_DIM, HEAD_DIM, scale, true,
                            out)) {
                        if (backward) {
                            AttentionUnfused.backward(k, q, kk, v, probs, dOut, bh, t, t, HEAD_DIM, HEAD_DIM, scale,
                                    dq, dk, dv);
                        }
                    }
                };
                double[] ms = timeBackToBack(k, out, fused, unfused, reps, warmup);
                long saved = AttentionUnfused.matrixBytes(bh, t, t, backward) - (long) bh * t * Float.BYTES;
                System.out.printf("%-5d %-8s %10.2f %10.2f %7.2f %14d%n", t, backward ? "fwd+bwd" : "fwd",
                        ms[0], ms[1], ms[1] / ms[0], saved);
            }
        }
    }

    /**
     * Median ms of a and b, each rep timing a then b; reading one float of {@code sync} waits for a device. The
     * warm-up also lasts at least two seconds, so C2 has compiled both before any rep is timed.
     */
    private static double[] timeBackToBack(Kernels k, Buffer sync, Runnable a, Runnable b, int reps, int warmup) {
        float[] one = new float[1];
        long start = System.nanoTime();
        for (int i = 0; i < warmup || System.nanoTime() - start < 2_000_000_000L; i++) {
            a.run();
            b.run();
        }
        k.read(sync, 0, one, 0, 1);
        double[] ta = new double[reps];
        double[] tb = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            a.run();
            k.read(sync, 0, one, 0, 1);
            long t1 = System.nanoTime();
            b.run();
            k.read(sync, 0, one, 0, 1);
            long t2 = System.nanoTime();
            ta[i] = (t1 - t0) / 1e6;
            tb[i] = (t2 - t1) / 1e6;
        }
        Arrays.sort(ta);
        Arrays.sort(tb);
        return new double[]{ta[reps / 2], tb[reps / 2]};
    }

    private static Buffer random(Kernels k, Random rnd, int n) {
        float[] host = new float[n];
        for (int i = 0; i < n; i++) {
            host[i] = rnd.nextFloat() * 2 - 1;
        }
        return k.upload(host, 0, n);
    }
}
