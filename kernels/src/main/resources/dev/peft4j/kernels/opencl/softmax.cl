// Softmax family: one work-group of RWG items per row; each item owns columns lid, lid+RWG, ...
// so an in-place call (x == y) reads each element before the same item overwrites it.

__kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void softmax_rows(__global const float* x, const int xOff, __global float* y, const int yOff, const int cols,
                  const float scale, const int causal, const int rowsPerBlock) {
    __local float scratch[RWG];
    const int row = get_group_id(0);
    const int lid = get_local_id(0);
    __global const float* xr = x + xOff + row * cols;
    __global float* yr = y + yOff + row * cols;
    // Causal: query i of a block sees keys j <= i + (cols - rowsPerBlock) (a cached prefix shifts the diagonal).
    const int limit = causal ? clamp(row % rowsPerBlock + cols - rowsPerBlock + 1, 0, cols) : cols;
    float m = -INFINITY;
    for (int c = lid; c < limit; c += RWG) m = fmax(m, xr[c] * scale);
    m = wg_max(m, scratch);
    float s = 0.0f;
    for (int c = lid; c < limit; c += RWG) s += exp(xr[c] * scale - m);
    s = wg_sum(s, scratch);
    const float inv = 1.0f / s;
    for (int c = lid; c < cols; c += RWG) yr[c] = c < limit ? exp(xr[c] * scale - m) * inv : 0.0f;
}

__kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void softmax_bwd(__global const float* y, const int yOff, __global const float* dy, const int dyOff,
                 __global float* dx, const int dxOff, const int cols, const float scale) {
    __local float scratch[RWG];
    const int row = get_group_id(0);
    const int lid = get_local_id(0);
    __global const float* yr = y + yOff + row * cols;
    __global const float* dyr = dy + dyOff + row * cols;
    __global float* dxr = dx + dxOff + row * cols;
    float dot = 0.0f;
    for (int c = lid; c < cols; c += RWG) dot += yr[c] * dyr[c];
    dot = wg_sum(dot, scratch);
    for (int c = lid; c < cols; c += RWG) dxr[c] += scale * yr[c] * (dyr[c] - dot);
}

// log-sum-exp of one row, shared by log-softmax and cross-entropy
inline float row_lse(__global const float* xr, const int cols, __local float* scratch) {
    const int lid = get_local_id(0);
    float m = -INFINITY;
    for (int c = lid; c < cols; c += RWG) m = fmax(m, xr[c]);
    m = wg_max(m, scratch);
    float s = 0.0f;
    for (int c = lid; c < cols; c += RWG) s += exp(xr[c] - m);
    s = wg_sum(s, scratch);
    return m + log(s);
}

__kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void log_softmax_rows(__global const float* x, const int xOff, __global float* y, const int yOff, const int cols) {
    __local float scratch[RWG];
    const int row = get_group_id(0);
    __global const float* xr = x + xOff + row * cols;
    __global float* yr = y + yOff + row * cols;
    const float lse = row_lse(xr, cols, scratch);
    for (int c = get_local_id(0); c < cols; c += RWG) yr[c] = xr[c] - lse;
}

__kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void log_softmax_bwd(__global const float* y, const int yOff, __global const float* dy, const int dyOff,
                     __global float* dx, const int dxOff, const int cols) {
    __local float scratch[RWG];
    const int row = get_group_id(0);
    const int lid = get_local_id(0);
    __global const float* yr = y + yOff + row * cols;
    __global const float* dyr = dy + dyOff + row * cols;
    __global float* dxr = dx + dxOff + row * cols;
    float s = 0.0f;
    for (int c = lid; c < cols; c += RWG) s += dyr[c];
    s = wg_sum(s, scratch);
    for (int c = lid; c < cols; c += RWG) dxr[c] += dyr[c] - exp(yr[c]) * s;
}

__kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void cross_entropy_fwd(__global const float* logits, const int logitsOff, __global const int* targets,
                       const int ignoreIndex, const int vocab, __global float* losses, const int lossesOff,
                       __global float* lse, const int lseOff) {
    __local float scratch[RWG];
    const int row = get_group_id(0);
    __global const float* xr = logits + logitsOff + row * vocab;
    const float l = row_lse(xr, vocab, scratch);
    if (get_local_id(0) == 0) {
        const int t = targets[row];
        lse[lseOff + row] = l;
        losses[lossesOff + row] = t == ignoreIndex ? 0.0f : l - xr[t];
    }
}

// 2-D range: dim 0 over the vocabulary, dim 1 over rows.
__kernel void cross_entropy_bwd(__global const float* logits, const int logitsOff,
                                __global const float* lse, const int lseOff, __global const int* targets,
                                const int ignoreIndex, const int vocab, __global const float* dLoss,
                                const int dLossOff, const float scale, __global float* dlogits, const int dOff) {
    const int c = get_global_id(0);
    const int row = get_global_id(1);
    if (c >= vocab) return;
    const int t = targets[row];
    if (t == ignoreIndex) return;
    const int i = row * vocab + c;
    const float p = exp(logits[logitsOff + i] - lse[lseOff + row]);
    dlogits[dOff + i] += dLoss[dLossOff] * scale * (p - (c == t ? 1.0f : 0.0f));
}
