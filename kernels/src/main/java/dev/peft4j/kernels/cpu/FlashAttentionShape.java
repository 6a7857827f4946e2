package dev.peft4j.kernels.cpu;

/**
 * The sizes of one fused attention call (q [bh, tq, d], k [bh, tk, d], v [bh, tk, dv]), validated once
 * for both backends. With {@code causal}, query i sees keys {@code j < visible(i) = i + (tk - tq) + 1}.
 */
public record FlashAttentionShape(String op, int bh, int tq, int tk, int d, int dv, boolean causal) {

    public FlashAttentionShape {
        if (bh < 0 || tq < 0 || tk < 0 || d < 0 || dv < 0) {
            throw new IllegalArgumentException(op + ": sizes must be >= 0, got bh " + bh + ", tq " + tq + ", tk " + tk
                    + ", d " + d + ", dv " + dv);
        }
        if (causal && tk < tq) {
            throw new IllegalArgumentException(op + ": causal attention needs at least as many keys as queries, got tq "
                    + tq + " and tk " + tk);
        }
    }

    public long qLength() {
        return (long) bh * tq * d;
    }

    public long kLength() {
        return (long) bh * tk * d;
    }

    public long vLength() {
        return (long) bh * tk * dv;
    }

    public long outLength() {
        return (long) bh * tq * dv;
    }

    public long lseLength() {
        return (long) bh * tq;
    }

    /** Number of keys query i sees: all of them, or with the causal mask those up to its diagonal. */
    public int visible(int i) {
        return causal ? i + (tk - tq) + 1 : tk;
    }

    /** First query that sees key j (the causal diagonal shifted by the cached prefix). */
    public int firstQuerySeeing(int j) {
        return causal ? Math.max(0, j - (tk - tq)) : 0;
    }
}
