// Embedding gather and its deterministic scatter-add. 2-D ranges: dim 0 over the embedding width.

__kernel void embedding_gather(__global const float* table, const int tableOff, const int dim,
                               __global const int* ids, __global float* out, const int outOff) {
    const int d = get_global_id(0);
    const int i = get_global_id(1);
    if (d < dim) out[outOff + i * dim + d] = table[tableOff + ids[i] * dim + d];
}

// The host groups positions by id (CSR: index = [uniqueIds | starts | positions]); one work-item per
// (touched row, d) adds its positions in ascending order, the same order as a sequential loop.
__kernel void embedding_scatter_add(__global const float* dOut, const int dOutOff, const int dim,
                                    __global const int* index, const int uniqueCount,
                                    __global float* dTable, const int dTableOff) {
    const int d = get_global_id(0);
    const int u = get_global_id(1);
    if (d >= dim) return;
    __global const int* starts = index + uniqueCount;
    __global const int* positions = index + 2 * uniqueCount + 1;
    const int t = dTableOff + index[u] * dim + d;
    float acc = dTable[t];
    for (int q = starts[u]; q < starts[u + 1]; q++) acc += dOut[dOutOff + positions[q] * dim + d];
    dTable[t] = acc;
}
