package dev.peft4j.kernels.opencl;

import static dev.peft4j.kernels.opencl.Args.buf;
import static dev.peft4j.kernels.opencl.Args.optional;
import static dev.peft4j.kernels.opencl.Args.range;

import dev.peft4j.kernels.AttentionLayout;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.cpu.FlashAttentionShape;

/**
 * Launches the fused attention kernels of {@code attention.cl}: a tiled forward with K/V tiles in local
 * memory, and a backward of three passes (row terms D, then dq per query row, then dk/dv per key row)
 * whose sums each run in a fixed order on one work item, so results repeat bit for bit. Every operand but
 * lse is read and written where its {@link AttentionLayout} puts its rows; the kernels get each layout with
 * its offset as one {@code int8} (off, heads, batchStride, headStride, rowStride, 0, 0, 0).
 */
final class OpenClAttention {

    /** Must match ATT_BQ, ATT_BK and ATT_LOCAL in attention.cl. */
    private static final int BQ = 32;
    private static final int BK = 32;
    private static final int LOCAL_FLOATS = 4096;

    /** The layout argument of an absent gradient (never dereferenced; heads 1 keeps b / heads defined). */
    private static final int[] ABSENT_LAYOUT = {0, 1, 0, 0, 0, 0, 0, 0};

    private final OpenClKernels backend;
    private final OpenClBuffer absentArgument;

    OpenClAttention(OpenClKernels backend, OpenClBuffer absentArgument) {
        this.backend = backend;
        this.absentArgument = absentArgument;
    }

    void forward(Buffer q, int qOff, AttentionLayout qL, Buffer k, int kOff, AttentionLayout kL, Buffer v, int vOff,
                 AttentionLayout vL, FlashAttentionShape s, float scale, Buffer out, int outOff, AttentionLayout outL,
                 Buffer lse, int lseOff) {
        String op = s.op();
        OpenClBuffer qb = buf(backend, op, "q", q);
        OpenClBuffer kb = buf(backend, op, "k", k);
        OpenClBuffer vb = buf(backend, op, "v", v);
        OpenClBuffer ob = buf(backend, op, "out", out);
        OpenClBuffer lb = buf(backend, op, "lse", lse);
        range(op, "q", qb, qOff, extent(op, "q", qL, s.bh(), s.tq(), s.d()));
        range(op, "k", kb, kOff, extent(op, "k", kL, s.bh(), s.tk(), s.d()));
        range(op, "v", vb, vOff, extent(op, "v", vL, s.bh(), s.tk(), s.dv()));
        range(op, "out", ob, outOff, extent(op, "out", outL, s.bh(), s.tq(), s.dv()));
        range(op, "lse", lb, lseOff, s.lseLength());
        int bk = Math.min(BK, LOCAL_FLOATS / Math.max(1, s.d() + s.dv()));
        if (bk < 1) {
            throw new IllegalArgumentException(op + ": head sizes d " + s.d() + " + dv " + s.dv()
                    + " exceed the " + LOCAL_FLOATS + " floats of one staged OpenCL key/value tile");
        }
        if (s.bh() == 0 || s.tq() == 0) return;
        backend.launch("attention_fwd").mem(qb).int8(arg(qOff, qL)).mem(kb).int8(arg(kOff, kL))
                .mem(vb).int8(arg(vOff, vL))
                .i(s.tq()).i(s.tk()).i(s.d()).i(s.dv()).f(scale).i(s.causal() ? 1 : 0).i(bk)
                .mem(ob).int8(arg(outOff, outL)).mem(lb).i(lseOff)
                .run(new long[]{(long) (s.tq() + BQ - 1) / BQ * BQ, s.bh()}, new long[]{BQ, 1});
    }

    /** dq, dk and dv accumulate in the layouts of q, k and v; each item writes only its own rows of them. */
    void backward(Buffer q, int qOff, AttentionLayout qL, Buffer k, int kOff, AttentionLayout kL, Buffer v, int vOff,
                  AttentionLayout vL, Buffer out, int outOff, AttentionLayout outL, Buffer lse, int lseOff,
                  Buffer dOut, int dOutOff, AttentionLayout dOutL, FlashAttentionShape s, float scale,
                  Buffer dq, int dqOff, Buffer dk, int dkOff, Buffer dvOut, int dvOutOff) {
        String op = s.op();
        OpenClBuffer qb = buf(backend, op, "q", q);
        OpenClBuffer kb = buf(backend, op, "k", k);
        OpenClBuffer vb = buf(backend, op, "v", v);
        OpenClBuffer ob = buf(backend, op, "out", out);
        OpenClBuffer lb = buf(backend, op, "lse", lse);
        OpenClBuffer gb = buf(backend, op, "dOut", dOut);
        OpenClBuffer dqb = optional(backend, op, "dq", dq);
        OpenClBuffer dkb = optional(backend, op, "dk", dk);
        OpenClBuffer dvb = optional(backend, op, "dv", dvOut);
        long qExtent = extent(op, "q", qL, s.bh(), s.tq(), s.d());
        long kExtent = extent(op, "k", kL, s.bh(), s.tk(), s.d());
        long vExtent = extent(op, "v", vL, s.bh(), s.tk(), s.dv());
        range(op, "q", qb, qOff, qExtent);
        range(op, "k", kb, kOff, kExtent);
        range(op, "v", vb, vOff, vExtent);
        range(op, "out", ob, outOff, extent(op, "out", outL, s.bh(), s.tq(), s.dv()));
        range(op, "lse", lb, lseOff, s.lseLength());
        range(op, "dOut", gb, dOutOff, extent(op, "dOut", dOutL, s.bh(), s.tq(), s.dv()));
        range(op, "dq (in q's layout)", dqb, dqOff, qExtent);
        range(op, "dk (in k's layout)", dkb, dkOff, kExtent);
        range(op, "dv (in v's layout)", dvb, dvOutOff, vExtent);
        int rows = s.bh() * s.tq();
        if (rows == 0 || s.tk() == 0 || (dqb == null && dkb == null && dvb == null)) return;
        int[] ql = arg(qOff, qL), kl = arg(kOff, kL), vl = arg(vOff, vL), gl = arg(dOutOff, dOutL);
        try (OpenClBuffer delta = backend.pool().acquire(rows, false)) {
            backend.launch("attention_bwd_delta").mem(gb).int8(gl).mem(ob).int8(arg(outOff, outL))
                    .i(rows).i(s.tq()).i(s.dv()).mem(delta)
                    .run1(rows, BQ);
            if (dqb != null) {
                common(backend.launch("attention_bwd_dq"), qb, ql, kb, kl, vb, vl, lb, lseOff, gb, gl, delta, s, scale)
                        .mem(dqb).int8(arg(dqOff, qL)).run1(rows, BQ);
            }
            if (dkb != null || dvb != null) {
                common(backend.launch("attention_bwd_dkdv"), qb, ql, kb, kl, vb, vl, lb, lseOff, gb, gl, delta, s,
                        scale)
                        .mem(dkb != null ? dkb : absentArgument).int8(dkb != null ? arg(dkOff, kL) : ABSENT_LAYOUT)
                        .i(dkb != null ? 1 : 0)
                        .mem(dvb != null ? dvb : absentArgument).int8(dvb != null ? arg(dvOutOff, vL) : ABSENT_LAYOUT)
                        .i(dvb != null ? 1 : 0)
                        .run1((long) s.bh() * s.tk(), BQ);
            }
        }
    }

    /** The arguments both gradient kernels start with. */
    private static Launch common(Launch l, OpenClBuffer q, int[] qL, OpenClBuffer k, int[] kL, OpenClBuffer v,
                                 int[] vL, OpenClBuffer lse, int lseOff, OpenClBuffer dOut, int[] dOutL,
                                 OpenClBuffer delta, FlashAttentionShape s, float scale) {
        return l.mem(q).int8(qL).mem(k).int8(kL).mem(v).int8(vL).mem(lse).i(lseOff).mem(dOut).int8(dOutL).mem(delta)
                .i(s.bh()).i(s.tq()).i(s.tk()).i(s.d()).i(s.dv()).f(scale).i(s.causal() ? 1 : 0);
    }

    /** Floats from an operand's offset that {@code bh} heads of {@code rows} rows of {@code width} touch. */
    private static long extent(String op, String name, AttentionLayout layout, int bh, int rows, int width) {
        if (layout == null) throw new IllegalArgumentException(op + ": the layout of " + name + " is null");
        return layout.extent(bh, rows, width);
    }

    /** One layout with its offset as the kernels' int8 (off, heads, batchStride, headStride, rowStride, 0, 0, 0). */
    private static int[] arg(int off, AttentionLayout l) {
        return new int[]{off, l.heads(), l.batchStride(), l.headStride(), l.rowStride(), 0, 0, 0};
    }
}
