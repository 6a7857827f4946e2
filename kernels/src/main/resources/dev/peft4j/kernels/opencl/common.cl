// Shared definitions. The host passes -D RWG=<work-group size of row kernels, a power of two>
// and -D USE_DOUBLE=1 when the device has cl_khr_fp64 (float64 accumulation for sum/sumOfSquares).
#if USE_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double acc_t;
#else
typedef float acc_t;
#endif

// Tree reduction over one work-group of RWG items; every item gets the result.
// Fixed shape and order, so the result is deterministic run to run.
inline float wg_sum(float v, __local float* scratch) {
    const int lid = get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = RWG / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE); // scratch is reused by the caller's next reduction
    return r;
}

inline float wg_max(float v, __local float* scratch) {
    const int lid = get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = RWG / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] = fmax(scratch[lid], scratch[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

inline acc_t wg_sum_acc(acc_t v, __local acc_t* scratch) {
    const int lid = get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = RWG / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const acc_t r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}
