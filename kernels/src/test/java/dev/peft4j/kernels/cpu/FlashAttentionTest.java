package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.assertClose;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.buf;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.toDouble;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fused attention against the unfused composition (batched GEMM, causal softmax, GEMM) on the CPU:
 * output, log-sum-exp (against float64) and all three gradients, over head sizes around the vector width
 * and sequence lengths around the key tile, with and without a cached prefix (tk &gt; tq).
 */
class FlashAttentionTest {

    private static final int[] HEAD_DIMS = {8, 17, 64};
    /**
     * (tq, tk) pairs: square at 1, 7, 33, 130 and 300, and prefixes tk &gt; tq; 130 and 300 queries span several
     * query blocks, 300 keys two key blocks (so the online softmax rescales, and causal rows skip whole blocks).
     */
    private static final int[][] LENGTHS = {{1, 1}, {7, 7}, {33, 33}, {130, 130}, {300, 300}, {1, 33}, {7, 40},
            {33, 130}, {70, 300}};
    private static final int BH = 3;

    private static List<FlashAttentionShape> shapes() {
        List<FlashAttentionShape> out = new ArrayList<>();
        for (int d : HEAD_DIMS) {
            for (int[] t : LENGTHS) {
                for (boolean causal : new boolean[]{false, true}) {
                    out.add(new FlashAttentionShape("attention", BH, t[0], t[1], d, d, causal));
                }
            }
        }
        out.add(new FlashAttentionShape("attention", 2, 9, 70, 17, 8, true)); // dv != d
        out.add(new FlashAttentionShape("attention", 2, 70, 9, 8, 33, false)); // fewer keys than queries
        return out;
    }

    /** Host inputs of one shape: q, k, v, dOut and starting values for the accumulated gradients. */
    private record Inputs(float[] q, float[] k, float[] v, float[] dOut, float[] dq0, float[] dk0, float[] dv0) {
        Inputs(FlashAttentionShape s, Random rnd) {
            this(uniform(rnd, (int) s.qLength(), -1, 1), uniform(rnd, (int) s.kLength(), -1, 1),
                    uniform(rnd, (int) s.vLength(), -1, 1), uniform(rnd, (int) s.outLength(), -1, 1),
                    uniform(rnd, (int) s.qLength(), -1, 1), uniform(rnd, (int) s.kLength(), -1, 1),
                    uniform(rnd, (int) s.vLength(), -1, 1));
        }
    }

    /** Results of one backend run: out, lse, dq, dk, dv. */
    private record Results(float[] out, float[] lse, float[] dq, float[] dk, float[] dv) {
    }

    private static Results fused(CpuKernels kern, FlashAttentionShape s, Inputs in, float scale) {
        float[] out = new float[(int) s.outLength()];
        float[] lse = new float[(int) s.lseLength()];
        float[] dq = in.dq0.clone();
        float[] dk = in.dk0.clone();
        float[] dv = in.dv0.clone();
        kern.attention(buf(in.q), 0, buf(in.k), 0, buf(in.v), 0, s.bh(), s.tq(), s.tk(), s.d(), s.dv(), scale,
                s.causal(), buf(out), 0, buf(lse), 0);
        kern.attentionBackward(buf(in.q), 0, buf(in.k), 0, buf(in.v), 0, buf(out), 0, buf(lse), 0, buf(in.dOut), 0,
                s.bh(), s.tq(), s.tk(), s.d(), s.dv(), scale, s.causal(), buf(dq), 0, buf(dk), 0, buf(dv), 0);
        return new Results(out, lse, dq, dk, dv);
    }

    private static Results unfused(FlashAttentionShape s, Inputs in, float scale) {
        CpuKernels kern = CpuKernelsTestSupport.SERIAL;
        CpuBuffer out = new CpuBuffer((int) s.outLength());
        CpuBuffer dq = buf(in.dq0.clone());
        CpuBuffer dk = buf(in.dk0.clone());
        CpuBuffer dv = buf(in.dv0.clone());
        var probs = UnfusedAttention.forward(kern, buf(in.q), buf(in.k), buf(in.v), s, scale, out);
        UnfusedAttention.backward(kern, buf(in.q), buf(in.k), buf(in.v), probs, buf(in.dOut), s, scale, dq, dk, dv);
        return new Results(out.array(), lseReference(s, in, scale), dq.array(), dk.array(), dv.array());
    }

    /** log sum_j exp(scale q_i·k_j) over visible keys, in float64. */
    private static float[] lseReference(FlashAttentionShape s, Inputs in, float scale) {
        float[] lse = new float[(int) s.lseLength()];
        for (int b = 0; b < s.bh(); b++) {
            for (int i = 0; i < s.tq(); i++) {
                int n = Math.min(s.tk(), s.visible(i));
                double[] sc = new double[n];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    for (int c = 0; c < s.d(); c++) {
                        sc[j] += (double) in.q[(b * s.tq() + i) * s.d() + c] * in.k[(b * s.tk() + j) * s.d() + c];
                    }
                    sc[j] *= scale;
                    max = Math.max(max, sc[j]);
                }
                double sum = 0;
                for (double x : sc) {
                    sum += Math.exp(x - max);
                }
                lse[b * s.tq() + i] = (float) (max + Math.log(sum));
            }
        }
        return lse;
    }

    @Test
    void matchesTheUnfusedCompositionForwardAndBackward() {
        Random rnd = new Random(41);
        for (FlashAttentionShape s : shapes()) {
            float scale = (float) (1.5 / Math.sqrt(s.d()));
            Inputs in = new Inputs(s, rnd);
            Results want = unfused(s, in, scale);
            String at = " bh " + s.bh() + " tq " + s.tq() + " tk " + s.tk() + " d " + s.d() + " dv " + s.dv()
                    + (s.causal() ? " causal" : "");
            for (CpuKernels kern : new CpuKernels[]{CpuKernelsTestSupport.DEFAULT, CpuKernelsTestSupport.FORKING}) {
                Results got = fused(kern, s, in, scale);
                assertClose(toDouble(want.out), got.out, 1e-4, 2e-6, "out" + at);
                assertClose(toDouble(want.lse), got.lse, 1e-5, 1e-5, "lse" + at);
                assertClose(toDouble(want.dq), got.dq, 1e-4, 2e-5, "dq" + at);
                assertClose(toDouble(want.dk), got.dk, 1e-4, 2e-5, "dk" + at);
                assertClose(toDouble(want.dv), got.dv, 1e-4, 2e-5, "dv" + at);
            }
        }
    }

    @Test
    void sameBitsWhateverTheThreadCount() {
        Random rnd = new Random(42);
        FlashAttentionShape s = new FlashAttentionShape("attention", 5, 70, 90, 17, 17, true);
        Inputs in = new Inputs(s, rnd);
        Results one = fused(CpuKernelsTestSupport.SERIAL, s, in, 0.3f);
        Results two = fused(CpuKernelsTestSupport.FORKING, s, in, 0.3f);
        assertArrayEquals(one.out, two.out);
        assertArrayEquals(one.lse, two.lse);
        assertArrayEquals(one.dq, two.dq);
        assertArrayEquals(one.dk, two.dk);
        assertArrayEquals(one.dv, two.dv);
    }

    @Test
    void nullGradientsAreSkippedAndOthersStillAccumulate() {
        Random rnd = new Random(43);
        FlashAttentionShape s = new FlashAttentionShape("attention", 2, 33, 40, 8, 8, true);
        Inputs in = new Inputs(s, rnd);
        Results all = fused(CpuKernelsTestSupport.SERIAL, s, in, 0.5f);
        CpuKernels kern = CpuKernelsTestSupport.SERIAL;
        float[] dv = in.dv0.clone();
        kern.attentionBackward(buf(in.q), 0, buf(in.k), 0, buf(in.v), 0, buf(all.out), 0, buf(all.lse), 0,
                buf(in.dOut), 0, s.bh(), s.tq(), s.tk(), s.d(), s.dv(), 0.5f, true, null, 0, null, 0, buf(dv), 0);
        assertArrayEquals(all.dv, dv);
        float[] dk = in.dk0.clone();
        kern.attentionBackward(buf(in.q), 0, buf(in.k), 0, buf(in.v), 0, buf(all.out), 0, buf(all.lse), 0,
                buf(in.dOut), 0, s.bh(), s.tq(), s.tk(), s.d(), s.dv(), 0.5f, true, null, 0, buf(dk), 0, null, 0);
        assertArrayEquals(all.dk, dk);
    }

    @Test
    void offsetsAreHonoured() {
        Random rnd = new Random(44);
        FlashAttentionShape s = new FlashAttentionShape("attention", 2, 7, 9, 17, 17, true);
        Inputs in = new Inputs(s, rnd);
        Results plain = fused(CpuKernelsTestSupport.DEFAULT, s, in, 0.4f);
        int pad = 3;
        float[] q = shifted(in.q, pad);
        float[] out = new float[(int) s.outLength() + pad];
        float[] lse = new float[(int) s.lseLength() + pad];
        CpuKernels kern = CpuKernelsTestSupport.DEFAULT;
        kern.attention(buf(q), pad, buf(shifted(in.k, pad)), pad, buf(shifted(in.v, pad)), pad, s.bh(), s.tq(), s.tk(),
                s.d(), s.dv(), 0.4f, true, buf(out), pad, buf(lse), pad);
        assertArrayEquals(shifted(plain.out, pad), out);
        assertArrayEquals(shifted(plain.lse, pad), lse);
    }

    @Test
    void noKeysGiveZeroOutputAndRejectsCausalWithFewerKeys() {
        CpuKernels kern = CpuKernelsTestSupport.DEFAULT;
        float[] out = {7f, 7f, 7f, 7f};
        float[] lse = {7f, 7f};
        kern.attention(buf(new float[4]), 0, buf(new float[0]), 0, buf(new float[0]), 0, 1, 2, 0, 2, 2, 1f, false,
                buf(out), 0, buf(lse), 0);
        assertArrayEquals(new float[4], out);
        assertEquals(Float.NEGATIVE_INFINITY, lse[0]);
        var e = assertThrows(IllegalArgumentException.class, () -> kern.attention(buf(new float[8]), 0,
                buf(new float[4]), 0, buf(new float[4]), 0, 1, 4, 2, 2, 2, 1f, true, buf(new float[8]), 0,
                buf(new float[4]), 0));
        assertTrue(e.getMessage().contains("tq 4 and tk 2"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> kern.attention(buf(new float[7]), 0, buf(new float[8]), 0,
                buf(new float[8]), 0, 1, 4, 4, 2, 2, 1f, true, buf(new float[8]), 0, buf(new float[4]), 0));
    }

    private static float[] shifted(float[] a, int pad) {
        float[] out = new float[a.length + pad];
        System.arraycopy(a, 0, out, pad, a.length);
        return out;
    }
}
