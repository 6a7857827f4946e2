// Sampled A^T B (a sparse delta's weight gradient): one work-item per index, summing r in ascending order
// (the CPU's order). Sorted indices put neighbouring items on neighbouring columns of one output row, so
// their B loads coalesce and their A load is shared. Items past nnz return at once.

__kernel void sampled_gemm(const int rows, const int n, const float alpha,
                           __global const float* a, const int aOff, const int lda,
                           __global const float* b, const int bOff, const int ldb,
                           __global const int* idx, const int nnz, const float beta,
                           __global float* out, const int outOff) {
    const int i = get_global_id(0);
    if (i >= nnz) return;
    const int flat = idx[i];
    const int o = flat / n;
    __global const float* ap = a + aOff + o;
    __global const float* bp = b + bOff + (flat - o * n);
    float acc = 0.0f;
    for (int r = 0; r < rows; r++) acc = fma(bp[r * ldb], ap[r * lda], acc);
    const float v = alpha * acc;
    out[outOff + i] = beta == 0.0f ? v : fma(beta, out[outOff + i], v);
}
