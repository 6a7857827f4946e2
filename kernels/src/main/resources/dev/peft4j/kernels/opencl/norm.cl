// LayerNorm / RMSNorm. Row kernels: one work-group of RWG items per row. Parameter gradients:
// a column reduction, CSL row-slices x CWG columns per work-group, slices folded in a fixed order,
// so dgamma/dbeta are deterministic without float atomics.
#define CSL 8
#define CWG (RWG / CSL)

__kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void layer_norm_fwd(__global const float* x, const int xOff, __global const float* gamma, const int gOff,
                    const int hasGamma, __global const float* beta, const int bOff, const int hasBeta,
                    __global float* y, const int yOff, __global float* mean, const int meanOff,
                    __global float* rstd, const int rstdOff, const int cols, const float eps) {
    __local float scratch[RWG];
    const int row = get_group_id(0);
    const int lid = get_local_id(0);
    __global const float* xr = x + xOff + row * cols;
    __global float* yr = y + yOff + row * cols;
    float s = 0.0f;
    for (int c = lid; c < cols; c += RWG) s += xr[c];
    const float mu = wg_sum(s, scratch) / cols;
    float v = 0.0f; // two passes: the variance of centred values does not cancel catastrophically
    for (int c = lid; c < cols; c += RWG) { const float d = xr[c] - mu; v += d * d; }
    const float r = 1.0f / sqrt(wg_sum(v, scratch) / cols + eps);
    for (int c = lid; c < cols; c += RWG) {
        const float g = hasGamma ? gamma[gOff + c] : 1.0f;
        const float b = hasBeta ? beta[bOff + c] : 0.0f;
        yr[c] = (xr[c] - mu) * r * g + b;
    }
    if (lid == 0) {
        mean[meanOff + row] = mu;
        rstd[rstdOff + row] = r;
    }
}

// dx += rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma; RMSNorm drops the mean(g)
// term and centres nothing (hasMean = 0).
__kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void norm_bwd_dx(__global const float* x, const int xOff, __global const float* gamma, const int gOff,
                 const int hasGamma, __global const float* mean, const int meanOff, const int hasMean,
                 __global const float* rstd, const int rstdOff, __global const float* dy, const int dyOff,
                 __global float* dx, const int dxOff, const int cols) {
    __local float scratch[RWG];
    const int row = get_group_id(0);
    const int lid = get_local_id(0);
    __global const float* xr = x + xOff + row * cols;
    __global const float* dyr = dy + dyOff + row * cols;
    __global float* dxr = dx + dxOff + row * cols;
    const float mu = hasMean ? mean[meanOff + row] : 0.0f;
    const float r = rstd[rstdOff + row];
    float sg = 0.0f, sgx = 0.0f;
    for (int c = lid; c < cols; c += RWG) {
        const float g = dyr[c] * (hasGamma ? gamma[gOff + c] : 1.0f);
        sg += g;
        sgx += g * (xr[c] - mu) * r;
    }
    const float meanG = hasMean ? wg_sum(sg, scratch) / cols : 0.0f;
    const float meanGx = wg_sum(sgx, scratch) / cols;
    for (int c = lid; c < cols; c += RWG) {
        const float g = dyr[c] * (hasGamma ? gamma[gOff + c] : 1.0f);
        const float xhat = (xr[c] - mu) * r;
        dxr[c] += r * (g - meanG - xhat * meanGx);
    }
}

// dgamma[c] += sum_r dy * xhat, dbeta[c] += sum_r dy. 2-D range: dim 0 columns (CWG per group),
// dim 1 the CSL row slices of one group.
__kernel __attribute__((reqd_work_group_size(CWG, CSL, 1)))
void norm_bwd_params(__global const float* x, const int xOff, __global const float* mean, const int meanOff,
                     const int hasMean, __global const float* rstd, const int rstdOff,
                     __global const float* dy, const int dyOff,
                     __global float* dgamma, const int dgOff, const int hasDgamma,
                     __global float* dbeta, const int dbOff, const int hasDbeta, const int rows, const int cols) {
    __local float lg[CSL][CWG];
    __local float lb[CSL][CWG];
    const int col = get_global_id(0);
    const int cl = get_local_id(0);
    const int slice = get_local_id(1);
    float sg = 0.0f, sb = 0.0f;
    if (col < cols) {
        for (int r = slice; r < rows; r += CSL) {
            const int i = r * cols + col;
            const float d = dy[dyOff + i];
            const float mu = hasMean ? mean[meanOff + r] : 0.0f;
            sg += d * (x[xOff + i] - mu) * rstd[rstdOff + r];
            sb += d;
        }
    }
    lg[slice][cl] = sg;
    lb[slice][cl] = sb;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (slice == 0 && col < cols) {
        float tg = 0.0f, tb = 0.0f;
        for (int s = 0; s < CSL; s++) { tg += lg[s][cl]; tb += lb[s][cl]; }
        if (hasDgamma) dgamma[dgOff + col] += tg;
        if (hasDbeta) dbeta[dbOff + col] += tb;
    }
}

__kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void rms_norm_fwd(__global const float* x, const int xOff, __global const float* gamma, const int gOff,
                  const int hasGamma, __global float* y, const int yOff, __global float* rstd, const int rstdOff,
                  const int cols, const float eps) {
    __local float scratch[RWG];
    const int row = get_group_id(0);
    const int lid = get_local_id(0);
    __global const float* xr = x + xOff + row * cols;
    __global float* yr = y + yOff + row * cols;
    float s = 0.0f;
    for (int c = lid; c < cols; c += RWG) s += xr[c] * xr[c];
    const float r = 1.0f / sqrt(wg_sum(s, scratch) / cols + eps);
    for (int c = lid; c < cols; c += RWG) yr[c] = xr[c] * r * (hasGamma ? gamma[gOff + c] : 1.0f);
    if (lid == 0) rstd[rstdOff + row] = r;
}
