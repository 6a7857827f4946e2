package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.buf;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.AttentionLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fused attention reading q, k, v and writing out, dq, dk, dv in place through {@link AttentionLayout} (GPT-2's
 * fused qkv [B, T, 3C] and output [B, T, C]) gives exactly the bits of the packed call on the same values gathered
 * into [bh, t, d] arrays and scattered back, and touches nothing outside its operands.
 */
class FlashAttentionLayoutTest {

    private static final int B = 2;
    private static final int H = 3;
    private static final int T = 17;
    private static final int D = 8;
    private static final int C = H * D;

    /** One operand: where it lives in its buffer. */
    private record Operand(int off, AttentionLayout layout, int rows, int width) {
    }

    /** Copies an operand's rows out of {@code a} into packed [bh, rows, width]. */
    private static float[] gather(float[] a, Operand o, int bh) {
        float[] p = new float[bh * o.rows * o.width];
        for (int b = 0; b < bh; b++) {
            for (int t = 0; t < o.rows; t++) {
                System.arraycopy(a, o.off + o.layout.rowStart(b, t), p, (b * o.rows + t) * o.width, o.width);
            }
        }
        return p;
    }

    /** Writes packed [bh, rows, width] rows back where the operand lives in {@code a}. */
    private static void scatter(float[] p, float[] a, Operand o, int bh) {
        for (int b = 0; b < bh; b++) {
            for (int t = 0; t < o.rows; t++) {
                System.arraycopy(p, (b * o.rows + t) * o.width, a, o.off + o.layout.rowStart(b, t), o.width);
            }
        }
    }

    /**
     * One attention problem in laid-out buffers: q in qBuf, k and v in kvBuf, out and dOut in buffers of the out
     * layout, gradients accumulating into buffers shaped like the inputs' (so dk and dv may share one).
     */
    private record Problem(int bh, int tq, int tk, int d, boolean causal, float[] qBuf, Operand q, float[] kvBuf,
                           Operand k, Operand v, int outLen, Operand out, float[] dOutBuf) {
    }

    /** Results of one run: the whole out buffer, lse, and the whole gradient buffers. */
    private record Results(float[] out, float[] lse, float[] dqBuf, float[] dkvBuf) {
    }

    /**
     * The laid-out call. out starts as {@code outInit} and the gradients as {@code dqInit} / {@code dkvInit}
     * (the same array object when q, k and v share one buffer).
     */
    private static Results laidOut(CpuKernels kern, Problem p, float scale, float[] outInit, float[] dqInit,
                                   float[] dkvInit) {
        boolean shared = p.qBuf == p.kvBuf;
        CpuBuffer out = buf(outInit.clone());
        CpuBuffer lse = new CpuBuffer(p.bh * p.tq);
        CpuBuffer qb = buf(p.qBuf);
        CpuBuffer kvb = shared ? qb : buf(p.kvBuf);
        CpuBuffer dkv = buf(dkvInit.clone());
        CpuBuffer dq = shared ? dkv : buf(dqInit.clone());
        kern.attention(qb, p.q.off, p.q.layout, kvb, p.k.off, p.k.layout, kvb, p.v.off, p.v.layout, p.bh, p.tq,
                p.tk, p.d, p.d, scale, p.causal, out, p.out.off, p.out.layout, lse, 0);
        kern.attentionBackward(qb, p.q.off, p.q.layout, kvb, p.k.off, p.k.layout, kvb, p.v.off, p.v.layout, out,
                p.out.off, p.out.layout, lse, 0, buf(p.dOutBuf), p.out.off, p.out.layout, p.bh, p.tq, p.tk, p.d, p.d,
                scale, p.causal, dq, p.q.off, dkv, p.k.off, dkv, p.v.off);
        return new Results(out.array(), lse.array(), dq.array(), dkv.array());
    }

    /** The packed call on gathered copies, its results scattered over copies of the same starting buffers. */
    private static Results packed(Problem p, float scale, float[] outInit, float[] dqInit, float[] dkvInit) {
        CpuKernels kern = CpuKernelsTestSupport.SERIAL;
        boolean shared = p.qBuf == p.kvBuf;
        float[] q = gather(p.qBuf, p.q, p.bh);
        float[] k = gather(p.kvBuf, p.k, p.bh);
        float[] v = gather(p.kvBuf, p.v, p.bh);
        float[] dOut = gather(p.dOutBuf, p.out, p.bh);
        float[] dq = gather(dqInit, p.q, p.bh);
        float[] dk = gather(dkvInit, p.k, p.bh);
        float[] dv = gather(dkvInit, p.v, p.bh);
        float[] out = new float[p.bh * p.tq * p.d];
        float[] lse = new float[p.bh * p.tq];
        kern.attention(buf(q), 0, buf(k), 0, buf(v), 0, p.bh, p.tq, p.tk, p.d, p.d, scale, p.causal, buf(out), 0,
                buf(lse), 0);
        kern.attentionBackward(buf(q), 0, buf(k), 0, buf(v), 0, buf(out), 0, buf(lse), 0, buf(dOut), 0, p.bh, p.tq,
                p.tk, p.d, p.d, scale, p.causal, buf(dq), 0, buf(dk), 0, buf(dv), 0);
        float[] outBuf = outInit.clone();
        scatter(out, outBuf, p.out, p.bh);
        float[] dkvBuf = dkvInit.clone();
        float[] dqBuf = shared ? dkvBuf : dqInit.clone();
        scatter(dq, dqBuf, p.q, p.bh);
        scatter(dk, dkvBuf, p.k, p.bh);
        scatter(dv, dkvBuf, p.v, p.bh);
        return new Results(outBuf, lse, dqBuf, dkvBuf);
    }

    private static void assertSameBits(Problem p, long seed, String what) {
        Random rnd = new Random(seed);
        float scale = (float) (1.3 / Math.sqrt(p.d));
        boolean shared = p.qBuf == p.kvBuf;
        // Random starting values everywhere: out must overwrite only its rows, gradients must accumulate.
        float[] outInit = uniform(rnd, p.outLen, -1, 1);
        float[] dkvInit = uniform(rnd, p.kvBuf.length, -1, 1);
        float[] dqInit = shared ? dkvInit : uniform(rnd, p.qBuf.length, -1, 1);
        Results want = packed(p, scale, outInit, dqInit, dkvInit);
        for (CpuKernels kern : new CpuKernels[]{CpuKernelsTestSupport.SERIAL, CpuKernelsTestSupport.DEFAULT,
                CpuKernelsTestSupport.FORKING}) {
            Results got = laidOut(kern, p, scale, outInit, dqInit, dkvInit);
            assertArrayEquals(want.out, got.out, 0f, "out " + what);
            assertArrayEquals(want.lse, got.lse, 0f, "lse " + what);
            assertArrayEquals(want.dkvBuf, got.dkvBuf, 0f, (shared ? "dq/dk/dv " : "dk/dv ") + what);
            assertArrayEquals(want.dqBuf, got.dqBuf, 0f, "dq " + what);
        }
    }

    /** GPT-2's fused qkv [B, T, 3C] starting at {@code base}, q/k/v at 0, C, 2C; out [B, T, C] at {@code outBase}. */
    private static Problem fusedQkv(Random rnd, int base, int outBase, boolean causal) {
        AttentionLayout qkv = new AttentionLayout(H, T * 3 * C, D, 3 * C);
        AttentionLayout o = new AttentionLayout(H, T * C, D, C);
        float[] qkvBuf = uniform(rnd, base + B * T * 3 * C + 3, -1, 1);
        int outLen = outBase + B * T * C + 2;
        Operand out = new Operand(outBase, o, T, D);
        return new Problem(B * H, T, T, D, causal, qkvBuf, new Operand(base, qkv, T, D), qkvBuf,
                new Operand(base + C, qkv, T, D), new Operand(base + 2 * C, qkv, T, D), outLen, out,
                uniform(rnd, outLen, -1, 1));
    }

    @Test
    void fusedQkvInPlaceMatchesPackedBitForBit() {
        Random rnd = new Random(7);
        for (boolean causal : new boolean[]{false, true}) {
            assertSameBits(fusedQkv(rnd, 0, 0, causal), 100 + (causal ? 1 : 0), causal ? "causal" : "non-causal");
        }
    }

    @Test
    void nonZeroOperandOffsetsAreHonoured() {
        Random rnd = new Random(8);
        for (boolean causal : new boolean[]{false, true}) {
            assertSameBits(fusedQkv(rnd, 5, 11, causal), 200 + (causal ? 1 : 0),
                    "offsets 5/11" + (causal ? " causal" : ""));
        }
    }

    /**
     * A cached prefix (tk &gt; tq, causal): q [B, tq, C] alone, k and v fused as [B, tk, 2C]. Lengths cross the
     * key tile and the backward's query block, and d = 20 mixes vector and scalar lanes.
     */
    @Test
    void cachedPrefixWithSeparateQueryAndFusedKeyValue() {
        int tq = 35;
        int tk = 70;
        int d = 20;
        int c = H * d;
        Random rnd = new Random(9);
        AttentionLayout ql = new AttentionLayout(H, tq * c, d, c);
        AttentionLayout kvl = new AttentionLayout(H, tk * 2 * c, d, 2 * c);
        float[] qBuf = uniform(rnd, 3 + B * tq * c, -1, 1);
        float[] kvBuf = uniform(rnd, B * tk * 2 * c, -1, 1);
        int outLen = B * tq * c;
        for (boolean causal : new boolean[]{true, false}) {
            Problem p = new Problem(B * H, tq, tk, d, causal, qBuf, new Operand(3, ql, tq, d), kvBuf,
                    new Operand(0, kvl, tk, d), new Operand(c, kvl, tk, d), outLen, new Operand(0, ql, tq, d),
                    uniform(rnd, outLen, -1, 1));
            assertSameBits(p, 300 + (causal ? 1 : 0), "prefix tq " + tq + " tk " + tk + (causal ? " causal" : ""));
        }
    }

    @Test
    void operandsReachingPastTheirBufferAreRejectedByName() {
        CpuKernels kern = CpuKernelsTestSupport.SERIAL;
        AttentionLayout qkv = new AttentionLayout(H, T * 3 * C, D, 3 * C);
        AttentionLayout o = new AttentionLayout(H, T * C, D, C);
        int bh = B * H;
        // One float short: q and k fit, v (at 2C) ends exactly at B·T·3C and so does not.
        CpuBuffer shortQkv = new CpuBuffer(B * T * 3 * C - 1);
        CpuBuffer out = new CpuBuffer(B * T * C);
        CpuBuffer lse = new CpuBuffer(bh * T);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> kern.attention(shortQkv, 0, qkv, shortQkv, C, qkv, shortQkv, 2 * C, qkv, bh, T, T, D, D, 1f,
                        true, out, 0, o, lse, 0));
        assertTrue(e.getMessage().startsWith("attention: 'v'") && e.getMessage().contains(qkv.toString()),
                e.getMessage());

        // The gradient buffer one float short of dk's end: dq fits, dk is named.
        CpuBuffer qkvBuf = new CpuBuffer(B * T * 3 * C);
        CpuBuffer grad = new CpuBuffer(B * T * 3 * C - C - 1);
        e = assertThrows(IndexOutOfBoundsException.class,
                () -> kern.attentionBackward(qkvBuf, 0, qkv, qkvBuf, C, qkv, qkvBuf, 2 * C, qkv, out, 0, o, lse, 0,
                        out, 0, o, bh, T, T, D, D, 1f, true, grad, 0, grad, C, null, 0));
        assertTrue(e.getMessage().startsWith("attentionBackward: 'dk'"), e.getMessage());

        // out written at an offset that pushes its last row past the end.
        e = assertThrows(IndexOutOfBoundsException.class,
                () -> kern.attention(qkvBuf, 0, qkv, qkvBuf, C, qkv, qkvBuf, 2 * C, qkv, bh, T, T, D, D, 1f,
                        false, out, 1, o, lse, 0));
        assertTrue(e.getMessage().startsWith("attention: 'out'"), e.getMessage());
    }
}
