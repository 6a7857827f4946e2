// Row-major SGEMM C = alpha * op(A) * op(B) + beta * C in two paths, parameterised like CLBlast, each
// also in a variant with a fused epilogue (bias, low-rank update, column scale/shift, activation).
// Needs unary_f from elementwise.cl, which the host places before this file.
// Tunables (host passes them as -D):
//   MWG, NWG     work-group tile of C (rows x cols);  KWG  K depth staged per iteration
//   MDIMC, NDIMC threads per work-group along M and N; each thread owns MWI x NWI outputs
//   VWM          vector width of A's global loads along M (used when A is stored transposed)
//   VWN          vector width along N: B loads, accumulators and C stores
//   SA, SB       1 = stage the A / B tile in local memory, 0 = read it from global memory
//   WGD, MDIMCD, NDIMCD  the direct kernel's square tile and its thread grid
// NDRange: dim 0 runs along N (so neighbouring work-items touch neighbouring C columns), dim 1
// along M, dim 2 over the batch.
#define MWI (MWG / MDIMC)
#define NWI (NWG / NDIMC)
#define NVI (NWI / VWN)

#if VWN == 1
typedef float floatN;
#define LOADN(p) (*(p))
#define STOREN(v, p) (*(p) = (v))
#define GATHERN(p, s) ((p)[0])
#elif VWN == 2
typedef float2 floatN;
#define LOADN(p) vload2(0, p)
#define STOREN(v, p) vstore2(v, 0, p)
#define GATHERN(p, s) ((float2)((p)[0], (p)[s]))
#elif VWN == 4
typedef float4 floatN;
#define LOADN(p) vload4(0, p)
#define STOREN(v, p) vstore4(v, 0, p)
#define GATHERN(p, s) ((float4)((p)[0], (p)[s], (p)[2 * (s)], (p)[3 * (s)]))
#elif VWN == 8
typedef float8 floatN;
#define LOADN(p) vload8(0, p)
#define STOREN(v, p) vstore8(v, 0, p)
#define GATHERN(p, s) ((float8)((p)[0], (p)[s], (p)[2 * (s)], (p)[3 * (s)], \
                                (p)[4 * (s)], (p)[5 * (s)], (p)[6 * (s)], (p)[7 * (s)]))
#else
#error "VWN must be 1, 2, 4 or 8"
#endif

#if VWM == 1
#define COPYM(src, dst) (*(dst) = *(src))
#elif VWM == 2
#define COPYM(src, dst) vstore2(vload2(0, src), 0, dst)
#elif VWM == 4
#define COPYM(src, dst) vstore4(vload4(0, src), 0, dst)
#elif VWM == 8
#define COPYM(src, dst) vstore8(vload8(0, src), 0, dst)
#else
#error "VWM must be 1, 2, 4 or 8"
#endif

// Fused epilogue (GemmEpilogue): after alpha/beta, per element of C at row i, column j of the block
//   t += lrScale * sum_r U[i,r] V[j,r];  t += bias[j];  t *= colScale[j];  t += colShift[j];
//   C[i,j] = t;  out[i,j] = unary_f(act, t)   (or C[i,j] = unary_f(act, t) with EPI_ACT_IN_PLACE)
// `epi` is a bit set of EPI_* parts; U, V, bias, colScale, colShift and out point at the block's
// origin. The plain kernels pass EPI_NONE, so after inlining their store phase is unchanged.
#define EPI_LOWRANK 1
#define EPI_BIAS 2
#define EPI_SCALE 4
#define EPI_SHIFT 8
#define EPI_ACT 16
#define EPI_ACT_IN_PLACE 32 // with EPI_ACT: C keeps f(t) and out is not written
#define EPI_PARAMS const int epi, const float lrScale, const int rank, \
    __global const float* U, const int ldu, __global const float* V, const int ldv, \
    __global const float* bias, __global const float* colScale, __global const float* colShift, \
    const int act, __global float* out, const int ldOut
#define EPI_ARGS epi, lrScale, rank, U, ldu, V, ldv, bias, colScale, colShift, act, out, ldOut
#define EPI_NONE 0, 0.0f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
// Kernel arguments of the fused variants: each buffer with its offset (in floats).
#define EPI_KERNEL_PARAMS const int epi, const float lrScale, const int rank, \
    __global const float* U, const int uOff, const int ldu, __global const float* V, const int vOff, const int ldv, \
    __global const float* bias, const int biasOff, __global const float* colScale, const int scaleOff, \
    __global const float* colShift, const int shiftOff, const int act, __global float* out, const int outOff, \
    const int ldOut

// The epilogue of one element: returns the value C keeps and writes the activation.
inline float epilogue_at(float t, const int i, const int j, EPI_PARAMS) {
    if (epi & EPI_LOWRANK) { // FMAs from zero in r order, then fma(sum, scale, t), as the CPU does
        float s = 0.0f;
        for (int r = 0; r < rank; r++) s = fma(U[i * ldu + r], V[j * ldv + r], s);
        t = fma(s, lrScale, t);
    }
    if (epi & EPI_BIAS) t = t + bias[j];
    if (epi & EPI_SCALE) t = t * colScale[j];
    if (epi & EPI_SHIFT) t = t + colShift[j];
    if (epi & EPI_ACT) {
        if (epi & EPI_ACT_IN_PLACE) return unary_f(act, t);
        out[i * ldOut + j] = unary_f(act, t);
    }
    return t;
}

// One B row segment of VWN columns for op(B)[p][j..j+VWN), straight from global memory.
inline floatN load_b(const bool tb, __global const float* B, const int ldb, const int p, const int j) {
    return tb ? GATHERN(B + j * ldb + p, ldb) : LOADN(B + p * ldb + j);
}

inline float load_a(const bool ta, __global const float* A, const int lda, const int i, const int p) {
    return ta ? A[p * lda + i] : A[i * lda + p];
}

// Tiled path: one MWG x NWG tile of C per work-group, full tiles only (no bounds checks);
// the host sends edge strips to the direct kernel. A, B, C point at the tile's origin.
inline void gemm_tiled(const bool ta, const bool tb, const int K, const float alpha, const float beta,
                       __global const float* restrict A, const int lda,
                       __global const float* restrict B, const int ldb,
                       __global float* C, const int ldc,
                       __local float* alm, __local float* blm, EPI_PARAMS) {
    const int tn = get_local_id(0);
    const int tm = get_local_id(1);
    const int tid = tm * NDIMC + tn;
    floatN acc[MWI][NVI];
    for (int mi = 0; mi < MWI; mi++)
        for (int nv = 0; nv < NVI; nv++) acc[mi][nv] = (floatN)(0.0f);

    const int kfull = K - K % KWG;
    for (int k0 = 0; k0 < kfull; k0 += KWG) {
#if SA
        if (ta) { // stored K x M: contiguous along M, vector loads of VWM
            for (int idx = tid; idx < KWG * (MWG / VWM); idx += MDIMC * NDIMC) {
                const int iv = idx % (MWG / VWM), p = idx / (MWG / VWM);
                COPYM(A + (k0 + p) * lda + iv * VWM, alm + p * MWG + iv * VWM);
            }
        } else {  // stored M x K: walk K fastest for coalescing, transpose into [p][i]
            for (int idx = tid; idx < KWG * MWG; idx += MDIMC * NDIMC) {
                const int p = idx % KWG, i = idx / KWG;
                alm[p * MWG + i] = A[i * lda + k0 + p];
            }
        }
#endif
#if SB
        if (tb) { // stored N x K: walk K fastest, transpose into [p][j]
            for (int idx = tid; idx < KWG * NWG; idx += MDIMC * NDIMC) {
                const int p = idx % KWG, j = idx / KWG;
                blm[p * NWG + j] = B[j * ldb + k0 + p];
            }
        } else {
            for (int idx = tid; idx < KWG * (NWG / VWN); idx += MDIMC * NDIMC) {
                const int jv = idx % (NWG / VWN), p = idx / (NWG / VWN);
                STOREN(LOADN(B + (k0 + p) * ldb + jv * VWN), blm + p * NWG + jv * VWN);
            }
        }
#endif
#if SA || SB
        barrier(CLK_LOCAL_MEM_FENCE);
#endif
        for (int p = 0; p < KWG; p++) {
            float a[MWI];
            for (int mi = 0; mi < MWI; mi++) {
#if SA
                a[mi] = alm[p * MWG + tm + mi * MDIMC];
#else
                a[mi] = load_a(ta, A, lda, tm + mi * MDIMC, k0 + p);
#endif
            }
            for (int nv = 0; nv < NVI; nv++) {
#if SB
                const floatN b = LOADN(blm + p * NWG + (tn + nv * NDIMC) * VWN);
#else
                const floatN b = load_b(tb, B, ldb, k0 + p, (tn + nv * NDIMC) * VWN);
#endif
                for (int mi = 0; mi < MWI; mi++) acc[mi][nv] = fma((floatN)(a[mi]), b, acc[mi][nv]);
            }
        }
#if SA || SB
        barrier(CLK_LOCAL_MEM_FENCE);
#endif
    }
    for (int p = kfull; p < K; p++) { // K tail shorter than KWG, straight from global memory
        for (int nv = 0; nv < NVI; nv++) {
            const floatN b = load_b(tb, B, ldb, p, (tn + nv * NDIMC) * VWN);
            for (int mi = 0; mi < MWI; mi++)
                acc[mi][nv] = fma((floatN)(load_a(ta, A, lda, tm + mi * MDIMC, p)), b, acc[mi][nv]);
        }
    }
    for (int mi = 0; mi < MWI; mi++) {
        for (int nv = 0; nv < NVI; nv++) {
            const int i = tm + mi * MDIMC, j = (tn + nv * NDIMC) * VWN;
            __global float* c = C + i * ldc + j;
            floatN r = (floatN)(alpha) * acc[mi][nv];
            if (beta != 0.0f) r = fma((floatN)(beta), LOADN(c), r); // beta == 0 must ignore NaNs in C
            if (epi) {
                float lanes[VWN];
                STOREN(r, lanes);
                for (int l = 0; l < VWN; l++) lanes[l] = epilogue_at(lanes[l], i, j + l, EPI_ARGS);
                r = LOADN(lanes);
            }
            STOREN(r, c);
        }
    }
}

#define GEMM_TILED_KERNEL(NAME, TA, TB) \
__kernel __attribute__((reqd_work_group_size(NDIMC, MDIMC, 1))) \
void NAME(const int K, const float alpha, const float beta, \
          __global const float* restrict A, const int aOff, const int lda, const long strideA, \
          __global const float* restrict B, const int bOff, const int ldb, const long strideB, \
          __global float* C, const int cOff, const int ldc, const long strideC) { \
    __local float alm[SA ? KWG * MWG : 1]; \
    __local float blm[SB ? KWG * NWG : 1]; \
    const long batch = get_global_id(2); \
    const int i0 = get_group_id(1) * MWG; \
    const int j0 = get_group_id(0) * NWG; \
    gemm_tiled(TA, TB, K, alpha, beta, \
               A + aOff + batch * strideA + ((TA) ? i0 : i0 * lda), lda, \
               B + bOff + batch * strideB + ((TB) ? j0 * ldb : j0), ldb, \
               C + cOff + batch * strideC + i0 * ldc + j0, ldc, alm, blm, EPI_NONE); \
}

GEMM_TILED_KERNEL(gemm_tiled_nn, false, false)
GEMM_TILED_KERNEL(gemm_tiled_nt, false, true)
GEMM_TILED_KERNEL(gemm_tiled_tn, true, false)
GEMM_TILED_KERNEL(gemm_tiled_tt, true, true)

// One matrix (no batch) with the fused epilogue; its pointers move to the work-group's tile like C.
#define GEMM_TILED_EPI_KERNEL(NAME, TA, TB) \
__kernel __attribute__((reqd_work_group_size(NDIMC, MDIMC, 1))) \
void NAME(const int K, const float alpha, const float beta, \
          __global const float* restrict A, const int aOff, const int lda, \
          __global const float* restrict B, const int bOff, const int ldb, \
          __global float* C, const int cOff, const int ldc, EPI_KERNEL_PARAMS) { \
    __local float alm[SA ? KWG * MWG : 1]; \
    __local float blm[SB ? KWG * NWG : 1]; \
    const int i0 = get_group_id(1) * MWG; \
    const int j0 = get_group_id(0) * NWG; \
    gemm_tiled(TA, TB, K, alpha, beta, A + aOff + ((TA) ? i0 : i0 * lda), lda, \
               B + bOff + ((TB) ? j0 * ldb : j0), ldb, C + cOff + i0 * ldc + j0, ldc, alm, blm, \
               epi, lrScale, rank, U + uOff + i0 * ldu, ldu, V + vOff + j0 * ldv, ldv, bias + biasOff + j0, \
               colScale + scaleOff + j0, colShift + shiftOff + j0, act, out + outOff + i0 * ldOut + j0, ldOut); \
}

GEMM_TILED_EPI_KERNEL(gemm_tiled_epi_nn, false, false)
GEMM_TILED_EPI_KERNEL(gemm_tiled_epi_nt, false, true)
GEMM_TILED_EPI_KERNEL(gemm_tiled_epi_tn, true, false)
GEMM_TILED_EPI_KERNEL(gemm_tiled_epi_tt, true, true)

// Direct path: any M, N, K. WGD x WGD tile of C per work-group, K staged WGD at a time with
// zero-filled out-of-range loads; stores are bounds-checked. Local rows padded by one against bank conflicts.
#define MWID (WGD / MDIMCD)
#define NWID (WGD / NDIMCD)
#define WGDP (WGD + 1)

inline void gemm_direct(const bool ta, const bool tb, const int M, const int N, const int K,
                        const float alpha, const float beta,
                        __global const float* restrict A, const int lda,
                        __global const float* restrict B, const int ldb,
                        __global float* C, const int ldc,
                        __local float* alm, __local float* blm, EPI_PARAMS) {
    const int tn = get_local_id(0);
    const int tm = get_local_id(1);
    const int tid = tm * NDIMCD + tn;
    const int i0 = get_group_id(1) * WGD;
    const int j0 = get_group_id(0) * WGD;
    float acc[MWID][NWID];
    for (int mi = 0; mi < MWID; mi++)
        for (int ni = 0; ni < NWID; ni++) acc[mi][ni] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += WGD) {
        for (int idx = tid; idx < WGD * WGD; idx += MDIMCD * NDIMCD) {
            const int fast = idx % WGD, slow = idx / WGD; // fast walks each stored matrix's contiguous axis
            const int ar = ta ? fast : slow, ac = ta ? slow : fast;
            const int i = i0 + ar, pa = k0 + ac;
            alm[ac * WGDP + ar] = (i < M && pa < K) ? load_a(ta, A, lda, i, pa) : 0.0f;
            const int br = tb ? fast : slow, bc = tb ? slow : fast;
            const int pb = k0 + br, j = j0 + bc;
            blm[br * WGDP + bc] = (pb < K && j < N) ? (tb ? B[j * ldb + pb] : B[pb * ldb + j]) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int p = 0; p < WGD; p++) {
            float a[MWID];
            for (int mi = 0; mi < MWID; mi++) a[mi] = alm[p * WGDP + tm + mi * MDIMCD];
            for (int ni = 0; ni < NWID; ni++) {
                const float b = blm[p * WGDP + tn + ni * NDIMCD];
                for (int mi = 0; mi < MWID; mi++) acc[mi][ni] = fma(a[mi], b, acc[mi][ni]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int mi = 0; mi < MWID; mi++) {
        const int i = i0 + tm + mi * MDIMCD;
        for (int ni = 0; ni < NWID; ni++) {
            const int j = j0 + tn + ni * NDIMCD;
            if (i < M && j < N) {
                __global float* c = C + i * ldc + j;
                const float r = beta != 0.0f ? fma(beta, *c, alpha * acc[mi][ni]) : alpha * acc[mi][ni];
                *c = epi ? epilogue_at(r, i, j, EPI_ARGS) : r;
            }
        }
    }
}

#define GEMM_DIRECT_KERNEL(NAME, TA, TB) \
__kernel __attribute__((reqd_work_group_size(NDIMCD, MDIMCD, 1))) \
void NAME(const int M, const int N, const int K, const float alpha, const float beta, \
          __global const float* restrict A, const int aOff, const int lda, const long strideA, \
          __global const float* restrict B, const int bOff, const int ldb, const long strideB, \
          __global float* C, const int cOff, const int ldc, const long strideC) { \
    __local float alm[WGD * WGDP]; \
    __local float blm[WGD * WGDP]; \
    const long batch = get_global_id(2); \
    gemm_direct(TA, TB, M, N, K, alpha, beta, A + aOff + batch * strideA, lda, \
                B + bOff + batch * strideB, ldb, C + cOff + batch * strideC, ldc, alm, blm, EPI_NONE); \
}

GEMM_DIRECT_KERNEL(gemm_direct_nn, false, false)
GEMM_DIRECT_KERNEL(gemm_direct_nt, false, true)
GEMM_DIRECT_KERNEL(gemm_direct_tn, true, false)
GEMM_DIRECT_KERNEL(gemm_direct_tt, true, true)

// One matrix (no batch) of any size with the fused epilogue.
#define GEMM_DIRECT_EPI_KERNEL(NAME, TA, TB) \
__kernel __attribute__((reqd_work_group_size(NDIMCD, MDIMCD, 1))) \
void NAME(const int M, const int N, const int K, const float alpha, const float beta, \
          __global const float* restrict A, const int aOff, const int lda, \
          __global const float* restrict B, const int bOff, const int ldb, \
          __global float* C, const int cOff, const int ldc, EPI_KERNEL_PARAMS) { \
    __local float alm[WGD * WGDP]; \
    __local float blm[WGD * WGDP]; \
    gemm_direct(TA, TB, M, N, K, alpha, beta, A + aOff, lda, B + bOff, ldb, C + cOff, ldc, alm, blm, \
                epi, lrScale, rank, U + uOff, ldu, V + vOff, ldv, bias + biasOff, colScale + scaleOff, \
                colShift + shiftOff, act, out + outOff, ldOut); \
}

GEMM_DIRECT_EPI_KERNEL(gemm_direct_epi_nn, false, false)
GEMM_DIRECT_EPI_KERNEL(gemm_direct_epi_nt, false, true)
GEMM_DIRECT_EPI_KERNEL(gemm_direct_epi_tn, true, false)
GEMM_DIRECT_EPI_KERNEL(gemm_direct_epi_tt, true, true)
