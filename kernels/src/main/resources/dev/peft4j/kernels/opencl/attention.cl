// Fused attention (q [bh, tq, d], k [bh, tk, d], v [bh, tk, dv]); the causal mask lets query i see keys
// j < i + (tk - tq) + 1. Scores exist only as one private row of up to ATT_BK values per work item.
#define ATT_BQ 32
#define ATT_BK 32
// Floats of local memory for one staged K tile plus one V tile; the host sizes bk = ATT_LOCAL / (d + dv).
#define ATT_LOCAL 4096

inline int att_visible(const int i, const int tq, const int tk, const int causal) {
    return causal ? i + (tk - tq) + 1 : tk;
}

// Tiling: one work-group of ATT_BQ items per (query tile, head), item r owning query row i0 + r; the group
// stages K/V tiles of bk keys in local memory and every row keeps an online softmax (running max m, sum l),
// accumulating its unnormalised output in its own out row.
__kernel __attribute__((reqd_work_group_size(ATT_BQ, 1, 1)))
void attention_fwd(__global const float* q, const int qOff, __global const float* k, const int kOff,
                   __global const float* v, const int vOff, const int tq, const int tk, const int d, const int dv,
                   const float scale, const int causal, const int bk,
                   __global float* out, const int outOff, __global float* lse, const int lseOff) {
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
    __global const float* qr = q + qOff + (b * tq + i) * d;
    __global float* orow = out + outOff + (b * tq + i) * dv;
    if (live) for (int e = 0; e < dv; e++) orow[e] = 0.0f;
    float m = -INFINITY;
    float l = 0.0f;
    float p[ATT_BK];
    for (int j0 = 0; j0 < keyEnd; j0 += bk) {
        const int nk = min(bk, keyEnd - j0);
        barrier(CLK_LOCAL_MEM_FENCE); // the previous tile is no longer read
        __global const float* kt = k + kOff + (b * tk + j0) * d;
        __global const float* vt = v + vOff + (b * tk + j0) * dv;
        for (int x = lid; x < nk * d; x += ATT_BQ) kl[x] = kt[x];
        for (int x = lid; x < nk * dv; x += ATT_BQ) vl[x] = vt[x];
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

// delta[r] = dOut[r] · out[r] over dv, one item per query row r < rows (the FlashAttention-2 row term).
__kernel __attribute__((reqd_work_group_size(ATT_BQ, 1, 1)))
void attention_bwd_delta(__global const float* dOut, const int dOutOff, __global const float* out, const int outOff,
                         const int rows, const int dv, __global float* delta) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float* g = dOut + dOutOff + r * dv;
    __global const float* o = out + outOff + r * dv;
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
__kernel __attribute__((reqd_work_group_size(ATT_BQ, 1, 1)))
void attention_bwd_dq(__global const float* q, const int qOff, __global const float* k, const int kOff,
                      __global const float* v, const int vOff, __global const float* lse, const int lseOff,
                      __global const float* dOut, const int dOutOff, __global const float* delta,
                      const int bh, const int tq, const int tk, const int d, const int dv, const float scale,
                      const int causal, __global float* dq, const int dqOff) {
    const int r = get_global_id(0);
    if (r >= bh * tq) return;
    const int b = r / tq;
    const int i = r % tq;
    __global const float* qr = q + qOff + r * d;
    __global const float* gr = dOut + dOutOff + r * dv;
    __global float* dqr = dq + dqOff + r * d;
    const float rowLse = lse[lseOff + r];
    const int end = att_visible(i, tq, tk, causal);
    float ds[ATT_BK];
    for (int j0 = 0; j0 < end; j0 += ATT_BK) {
        const int n = min(ATT_BK, end - j0);
        float p;
        for (int j = 0; j < n; j++) {
            const int key = b * tk + j0 + j;
            ds[j] = att_ds(qr, k + kOff + key * d, v + vOff + key * dv, gr, d, dv, scale, rowLse, delta[r], &p);
        }
        __global const float* kt = k + kOff + (b * tk + j0) * d;
        for (int c = 0; c < d; c++) {
            float acc = dqr[c];
            for (int j = 0; j < n; j++) acc += ds[j] * kt[j * d + c];
            dqr[c] = acc;
        }
    }
}

// dk, dv: one item per key row (b, j), walking the queries that see it in order in chunks of ATT_BK.
__kernel __attribute__((reqd_work_group_size(ATT_BQ, 1, 1)))
void attention_bwd_dkdv(__global const float* q, const int qOff, __global const float* k, const int kOff,
                        __global const float* v, const int vOff, __global const float* lse, const int lseOff,
                        __global const float* dOut, const int dOutOff, __global const float* delta,
                        const int bh, const int tq, const int tk, const int d, const int dv, const float scale,
                        const int causal, __global float* dk, const int dkOff, const int hasDk,
                        __global float* dvOut, const int dvOutOff, const int hasDv) {
    const int r = get_global_id(0);
    if (r >= bh * tk) return;
    const int b = r / tk;
    const int j = r % tk;
    __global const float* kr = k + kOff + r * d;
    __global const float* vr = v + vOff + r * dv;
    const int first = causal ? max(0, j - (tk - tq)) : 0;
    float p[ATT_BK];
    float ds[ATT_BK];
    for (int i0 = first; i0 < tq; i0 += ATT_BK) {
        const int n = min(ATT_BK, tq - i0);
        for (int x = 0; x < n; x++) {
            const int row = b * tq + i0 + x;
            ds[x] = att_ds(q + qOff + row * d, kr, vr, dOut + dOutOff + row * dv, d, dv, scale, lse[lseOff + row],
                           delta[row], &p[x]);
        }
        if (hasDv) {
            __global const float* gt = dOut + dOutOff + (b * tq + i0) * dv;
            __global float* dvr = dvOut + dvOutOff + r * dv;
            for (int e = 0; e < dv; e++) {
                float acc = dvr[e];
                for (int x = 0; x < n; x++) acc += p[x] * gt[x * dv + e];
                dvr[e] = acc;
            }
        }
        if (hasDk) {
            __global const float* qt = q + qOff + (b * tq + i0) * d;
            __global float* dkr = dk + dkOff + r * d;
            for (int c = 0; c < d; c++) {
                float acc = dkr[c];
                for (int x = 0; x < n; x++) acc += ds[x] * qt[x * d + c];
                dkr[c] = acc;
            }
        }
    }
}
