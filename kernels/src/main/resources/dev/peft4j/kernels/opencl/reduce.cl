// Row reductions (one work-group of RWG items per row, tree-reduced) and whole-range sums
// (per-group partials in acc_t, then one group folds them: fixed order, deterministic).

__kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void sum_rows(__global const float* x, const int xOff, const int cols,
              __global float* out, const int outOff, const int accumulate) {
    __local float scratch[RWG];
    const int row = get_group_id(0);
    __global const float* xr = x + xOff + row * cols;
    float s = 0.0f;
    for (int c = get_local_id(0); c < cols; c += RWG) s += xr[c];
    s = wg_sum(s, scratch);
    if (get_local_id(0) == 0) out[outOff + row] = accumulate ? out[outOff + row] + s : s;
}

__kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void max_rows(__global const float* x, const int xOff, const int cols, __global float* out, const int outOff) {
    __local float scratch[RWG];
    const int row = get_group_id(0);
    __global const float* xr = x + xOff + row * cols;
    float m = -INFINITY;
    for (int c = get_local_id(0); c < cols; c += RWG) m = fmax(m, xr[c]);
    m = wg_max(m, scratch);
    if (get_local_id(0) == 0) out[outOff + row] = m;
}

__kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void partial_sum(__global const float* x, const int xOff, const int n, const int squared,
                 __global acc_t* partials) {
    __local acc_t scratch[RWG];
    acc_t s = 0;
    for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
        const acc_t v = x[xOff + i];
        s += squared ? v * v : v;
    }
    s = wg_sum_acc(s, scratch);
    if (get_local_id(0) == 0) partials[get_group_id(0)] = s;
}

__kernel __attribute__((reqd_work_group_size(RWG, 1, 1)))
void finish_sum(__global const acc_t* partials, const int count,
                __global float* out, const int outOff, const int accumulate) {
    __local acc_t scratch[RWG];
    acc_t s = 0;
    for (int i = get_local_id(0); i < count; i += RWG) s += partials[i];
    s = wg_sum_acc(s, scratch);
    if (get_local_id(0) == 0) out[outOff] = (float) (accumulate ? (acc_t) out[outOff] + s : s);
}
