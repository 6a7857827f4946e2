package dev.peft4j.kernels.opencl;

import static dev.peft4j.kernels.opencl.Args.buf;
import static dev.peft4j.kernels.opencl.Args.optional;
import static dev.peft4j.kernels.opencl.Args.range;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.cpu.FlashAttentionShape;

/**
 * Launches the fused attention kernels of {@code attention.cl}: a tiled forward with K/V tiles in local
 * memory, and a backward of three passes (row terms D, then dq per query row, then dk/dv per key row)
 * whose sums each run in a fixed order on one work item, so results repeat bit for bit.
 */
final class OpenClAttention {

    /** Must match ATT_BQ, ATT_BK and ATT_LOCAL in attention.cl. */
    private static final int BQ = 32;
    private static final int BK = 32;
    private static final int LOCAL_FLOATS = 4096;

    private final OpenClKernels backend;
    private final OpenClBuffer absentArgument;

    OpenClAttention(OpenClKernels backend, OpenClBuffer absentArgument) {
        this.backend = backend;
        this.absentArgument = absentArgument;
    }

    void forward(Buffer q, int qOff, Buffer k, int kOff, Buffer v, int vOff, FlashAttentionShape s, float scale,
                 Buffer out, int outOff, Buffer lse, int lseOff) {
        String op = s.op();
        OpenClBuffer qb = buf(backend, op, "q", q);
        OpenClBuffer kb = buf(backend, op, "k", k);
        OpenClBuffer vb = buf(backend, op, "v", v);
        OpenClBuffer ob = buf(backend, op, "out", out);
        OpenClBuffer lb = buf(backend, op, "lse", lse);
        range(op, "q", qb, qOff, s.qLength());
        range(op, "k", kb, kOff, s.kLength());
        range(op, "v", vb, vOff, s.vLength());
        range(op, "out", ob, outOff, s.outLength());
        range(op, "lse", lb, lseOff, s.lseLength());
        int bk = Math.min(BK, LOCAL_FLOATS / Math.max(1, s.d() + s.dv()));
        if (bk < 1) {
            throw new IllegalArgumentException(op + ": head sizes d " + s.d() + " + dv " + s.dv()
                    + " exceed the " + LOCAL_FLOATS + " floats of one staged OpenCL key/value tile");
        }
        if (s.bh() == 0 || s.tq() == 0) return;
        backend.launch("attention_fwd").mem(qb).i(qOff).mem(kb).i(kOff).mem(vb).i(vOff)
                .i(s.tq()).i(s.tk()).i(s.d()).i(s.dv()).f(scale).i(s.causal() ? 1 : 0).i(bk)
                .mem(ob).i(outOff).mem(lb).i(lseOff)
                .run(new long[]{(long) (s.tq() + BQ - 1) / BQ * BQ, s.bh()}, new long[]{BQ, 1});
    }

    void backward(Buffer q, int qOff, Buffer k, int kOff, Buffer v, int vOff, Buffer out, int outOff,
                  Buffer lse, int lseOff, Buffer dOut, int dOutOff, FlashAttentionShape s, float scale,
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
        range(op, "q", qb, qOff, s.qLength());
        range(op, "k", kb, kOff, s.kLength());
        range(op, "v", vb, vOff, s.vLength());
        range(op, "out", ob, outOff, s.outLength());
        range(op, "lse", lb, lseOff, s.lseLength());
        range(op, "dOut", gb, dOutOff, s.outLength());
        range(op, "dq", dqb, dqOff, s.qLength());
        range(op, "dk", dkb, dkOff, s.kLength());
        range(op, "dv", dvb, dvOutOff, s.vLength());
        int rows = s.bh() * s.tq();
        if (rows == 0 || s.tk() == 0 || (dqb == null && dkb == null && dvb == null)) return;
        try (OpenClBuffer delta = backend.pool().acquire(rows, false)) {
            backend.launch("attention_bwd_delta").mem(gb).i(dOutOff).mem(ob).i(outOff).i(rows).i(s.dv()).mem(delta)
                    .run1(rows, BQ);
            if (dqb != null) {
                common(backend.launch("attention_bwd_dq"), qb, qOff, kb, kOff, vb, vOff, lb, lseOff, gb, dOutOff,
                        delta, s, scale).mem(dqb).i(dqOff).run1(rows, BQ);
            }
            if (dkb != null || dvb != null) {
                common(backend.launch("attention_bwd_dkdv"), qb, qOff, kb, kOff, vb, vOff, lb, lseOff, gb, dOutOff,
                        delta, s, scale)
                        .mem(dkb != null ? dkb : absentArgument).i(dkb != null ? dkOff : 0).i(dkb != null ? 1 : 0)
                        .mem(dvb != null ? dvb : absentArgument).i(dvb != null ? dvOutOff : 0).i(dvb != null ? 1 : 0)
                        .run1((long) s.bh() * s.tk(), BQ);
            }
        }
    }

    /** The arguments both gradient kernels start with. */
    private static Launch common(Launch l, OpenClBuffer q, int qOff, OpenClBuffer k, int kOff, OpenClBuffer v, int vOff,
                                 OpenClBuffer lse, int lseOff, OpenClBuffer dOut, int dOutOff, OpenClBuffer delta,
                                 FlashAttentionShape s, float scale) {
        return l.mem(q).i(qOff).mem(k).i(kOff).mem(v).i(vOff).mem(lse).i(lseOff).mem(dOut).i(dOutOff).mem(delta)
                .i(s.bh()).i(s.tq()).i(s.tk()).i(s.d()).i(s.dv()).f(scale).i(s.causal() ? 1 : 0);
    }
}
