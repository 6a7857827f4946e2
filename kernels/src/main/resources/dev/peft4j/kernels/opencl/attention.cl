// Fused attention (q [bh, tq, d], k [bh, tk, d], v [bh, tk, dv]); the causal mask lets query i see keys
// j < i + (tk - tq) + 1. Scores exist only as one private row of up to ATT_BK values per work item.
// Every operand but lse arrives as an int8 layout (off, heads, batchStride, headStride, rowStride, -, -, -):
// row t of flat head b starts at att_row(layout, b, t) and its elements are contiguous (AttentionLayout).
#define ATT_BQ 32
#define ATT_BK 32
// Floats of local memory for one staged K tile plus one V tile; the host sizes bk = ATT_LOCAL / (d + dv).
#define ATT_LOCAL 4096

inline int att_visible(const int i, const int tq, const int tk, const int causal) {
    return causal ? i + (tk - tq) + 1 : tk;
}

inline int att_row(const int8 l, const int b, const int t) {
    return l.s0 + (b / l.s1) * l.s2 + (b % l.s1) * l.s3 + t * l.s4;
}

// Tiling: one work-group of ATT_BQ items per (query tile, head), item r owning query row i0 + r; the group
// stages K/V tiles of bk keys in local memory and every row keeps an online softmax (running max m, sum l),
// accumulating its unnormalised output in its own out row.
__kernel __attribute__((reqd_work_group_size(ATT_BQ, 1, 1)))
void attention_fwd(__global const float* q, const int8 qL, __global const float* k, const int8 kL,
                   __global const float* v, const int8 vL, const int tq, const int tk, const int d, const int dv,
                   const float scale, const int causal, const int bk,
                   __global float* out, const int8 outL, __global float* lse, const int lseOff) {
    __local float kv[ATT_LOCAL];
    __local float* kl = kv;           // [bk][d]
    __local float* vl = kv + bk * d;  // [bk][dv]
    const int b = get_group_id(1);
    const int i0 = get_group_id(0) * ATT_BQ;
    const int i = i0 + get_local_id(0);
    const int lid = get_local_id(0);
    const int live = i < tq;
    // Bounds: the group loads keys up to its last row's diagonal; each row stops at its own, tail rows idle.
    const int keyEnd = att_visible(min(i0 + ATT_BQ, tq) - 1, tq, tk, causal);
    const int rowEnd = att_visible(i, tq, tk, causal);
    // Tail items never dereference these, so their (possibly out of range) addresses are harmless.
    __global const float* qr = q + att_row(qL, b, i);
    __global float* orow = out + att_row(outL, b, i);
    if (live) for (int e = 0; e < dv; e++) orow[e] = 0.0f;
    float m = -INFINITY;
    float l = 0.0f;
    float p[ATT_BK];
    for (int j0 = 0; j0 < keyEnd; j0 += bk) {
        const int nk = min(bk, keyEnd - j0);
        barrier(CLK_LOCAL_MEM_FENCE); // the previous tile is no longer read
        // Rows of one head lie rowStride apart (s4), so a tile is its first row plus whole strides.
        __global const float* kt = k + att_row(kL, b, j0);
        __global const float* vt = v + att_row(vL, b, j0);
        for (int x = lid; x < nk * d; x += ATT_BQ) kl[x] = kt[(x / d) * kL.s4 + x % d];
        for (int x = lid; x < nk * dv; x += ATT_BQ) vl[x] = vt[(x / dv) * vL.s4 + x % dv];
        barrier(CLK_LOCAL_MEM_FENCE);
        const int n = live ? min(nk, rowEnd - j0) : 0;
        if (n <= 0) continue;
        float tmax = -INFINITY;
        for (int j = 0; j < n; j++) {
            float s = 0.0f;
            for (int c = 0; c < d; c++) s += qr[c] * kl[j * d + c];
            p[j] = s * scale;
            tmax = fmax(tmax, p[j]);
        }
        const float mNew = fmax(m, tmax);
        const float alpha = exp(m - mNew); // 0 on the first tile (m was -inf)
        float tsum = 0.0f;
        for (int j = 0; j < n; j++) {
            p[j] = exp(p[j] - mNew);
            tsum += p[j];
        }
        l = l * alpha + tsum;
        m = mNew;
        for (int e = 0; e < dv; e++) {
            float acc = orow[e] * alpha;
            for (int j = 0; j < n; j++) acc += p[j] * vl[j * dv + e];
            orow[e] = acc;
        }
    }
    if (!live) return;
    const float inv = l > 0.0f ? 1.0f / l : 0.0f;
    for (int e = 0; e < dv; e++) orow[e] *= inv;
    lse[lseOff + b * tq + i] = l > 0.0f ? m + log(l) : -INFINITY;
}

// delta[r] = dOut[r] · out[r] over dv, one item per query row r = b·tq + i < rows (the FlashAttention-2 row
// term); delta is packed [bh, tq] like lse.
__kernel __attribute__((reqd_work_group_size(ATT_BQ, 1, 1)))
void attention_bwd_delta(__global const float* dOut, const int8 gL, __global const float* out, const int8 oL,
                         const int rows, const int tq, const int dv, __global float* delta) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    const int b = r / tq;
    const int i = r % tq;
    __global const float* g = dOut + att_row(gL, b, i);
    __global const float* o = out + att_row(oL, b, i);
    float s = 0.0f;
    for (int e = 0; e < dv; e++) s += g[e] * o[e];
    delta[r] = s;
}

// dS of one (query i, key j) pair with the softmax scale folded in; p is returned through *pOut.
inline float att_ds(__global const float* qr, __global const float* kr, __global const float* vr,
                    __global const float* gr, const int d, const int dv, const float scale, const float rowLse,
                    const float rowDelta, float* pOut) {
    float s = 0.0f;
    for (int c = 0; c < d; c++) s += qr[c] * kr[c];
    const float p = exp(s * scale - rowLse);
    float dp = 0.0f;
    for (int e = 0; e < dv; e++) dp += gr[e] * vr[e];
    *pOut = p;
    return scale * p * (dp - rowDelta);
}

// dq: one item per query row (b, i), walking its visible keys in order in chunks of ATT_BK (deterministic).
// dq rows follow q's layout, so each item writes only its own row even when dq shares a buffer with dk, dv.
__kernel __attribute__((reqd_work_group_size(ATT_BQ, 1, 1)))
void attention_bwd_dq(__global const float* q, const int8 qL, __global const float* k, const int8 kL,
                      __global const float* v, const int8 vL, __global const float* lse, const int lseOff,
                      __global const float* dOut, const int8 gL, __global const float* delta,
                      const int bh, const int tq, const int tk, const int d, const int dv, const float scale,
                      const int causal, __global float* dq, const int8 dqL) {
    const int r = get_global_id(0);
    if (r >= bh * tq) return;
    const int b = r / tq;
    const int i = r % tq;
    __global const float* qr = q + att_row(qL, b, i);
    __global const float* gr = dOut + att_row(gL, b, i);
    __global float* dqr = dq + att_row(dqL, b, i);
    const float rowLse = lse[lseOff + r];
    const int end = att_visible(i, tq, tk, causal);
    float ds[ATT_BK];
    for (int j0 = 0; j0 < end; j0 += ATT_BK) {
        const int n = min(ATT_BK, end - j0);
        __global const float* kt = k + att_row(kL, b, j0);
        float p;
        for (int j = 0; j < n; j++) {
            ds[j] = att_ds(qr, kt + j * kL.s4, v + att_row(vL, b, j0 + j), gr, d, dv, scale, rowLse, delta[r], &p);
        }
        for (int c = 0; c < d; c++) {
            float acc = dqr[c];
            for (int j = 0; j < n; j++) acc += ds[j] * kt[j * kL.s4 + c];
            dqr[c] = acc;
        }
    }
}

// dk, dv: one item per key row (b, j), walking the queries that see it in order in chunks of ATT_BK.
// dk and dv rows follow k's and v's layouts: each item writes only its own key's two rows.
__kernel __attribute__((reqd_work_group_size(ATT_BQ, 1, 1)))
void attention_bwd_dkdv(__global const float* q, const int8 qL, __global const float* k, const int8 kL,
                        __global const float* v, const int8 vL, __global const float* lse, const int lseOff,
                        __global const float* dOut, const int8 gL, __global const float* delta,
                        const int bh, const int tq, const int tk, const int d, const int dv, const float scale,
                        const int causal, __global float* dk, const int8 dkL, const int hasDk,
                        __global float* dvOut, const int8 dvL, const int hasDv) {
    const int r = get_global_id(0);
    if (r >= bh * tk) return;
    const int b = r / tk;
    const int j = r % tk;
    __global const float* kr = k + att_row(kL, b, j);
    __global const float* vr = v + att_row(vL, b, j);
    const int first = causal ? max(0, j - (tk - tq)) : 0;
    float p[ATT_BK];
    float ds[ATT_BK];
    for (int i0 = first; i0 < tq; i0 += ATT_BK) {
        const int n = min(ATT_BK, tq - i0);
        __global const float* qt = q + att_row(qL, b, i0);
        __global const float* gt = dOut + att_row(gL, b, i0);
        for (int x = 0; x < n; x++) {
            const int row = b * tq + i0 + x;
            ds[x] = att_ds(qt + x * qL.s4, kr, vr, gt + x * gL.s4, d, dv, scale, lse[lseOff + row], delta[row],
                           &p[x]);
        }
        if (hasDv) {
            __global float* dvr = dvOut + att_row(dvL, b, j);
            for (int e = 0; e < dv; e++) {
                float acc = dvr[e];
                for (int x = 0; x < n; x++) acc += p[x] * gt[x * gL.s4 + e];
                dvr[e] = acc;
            }
        }
        if (hasDk) {
            __global float* dkr = dk + att_row(dkL, b, j);
            for (int c = 0; c < d; c++) {
                float acc = dkr[c];
                for (int x = 0; x < n; x++) acc += ds[x] * qt[x * qL.s4 + c];
                dkr[c] = acc;
            }
        }
    }
}
