// Elementwise kernels: one work-item per output element, tails bounds-checked against n.
// UNARY_* and BINARY_* op codes are -D defines generated from the Java enums.

inline float sigmoidf(const float x) {
    return 1.0f / (1.0f + exp(-x));
}

#define GELU_C 0.7978845608028654f /* sqrt(2 / pi) */
#define GELU_A 0.044715f

inline float unary_f(const int op, const float x) {
    switch (op) {
        case UNARY_NEG: return -x;
        case UNARY_EXP: return exp(x);
        case UNARY_LOG: return log(x);
        case UNARY_SQRT: return sqrt(x);
        case UNARY_RSQRT: return 1.0f / sqrt(x);
        case UNARY_RECIP: return 1.0f / x;
        case UNARY_SQUARE: return x * x;
        case UNARY_ABS: return fabs(x);
        case UNARY_TANH: return tanh(x);
        case UNARY_RELU: return x > 0.0f ? x : 0.0f;
        case UNARY_SIGMOID: return sigmoidf(x);
        case UNARY_GELU_TANH: return 0.5f * x * (1.0f + tanh(GELU_C * (x + GELU_A * x * x * x)));
        case UNARY_SILU: return x * sigmoidf(x);
        default: return NAN;
    }
}

// d f(x) / dx
inline float unary_df(const int op, const float x) {
    switch (op) {
        case UNARY_NEG: return -1.0f;
        case UNARY_EXP: return exp(x);
        case UNARY_LOG: return 1.0f / x;
        case UNARY_SQRT: return 0.5f / sqrt(x);
        case UNARY_RSQRT: return -0.5f / (x * sqrt(x));
        case UNARY_RECIP: return -1.0f / (x * x);
        case UNARY_SQUARE: return 2.0f * x;
        case UNARY_ABS: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
        case UNARY_TANH: { const float t = tanh(x); return 1.0f - t * t; }
        case UNARY_RELU: return x > 0.0f ? 1.0f : 0.0f;
        case UNARY_SIGMOID: { const float s = sigmoidf(x); return s * (1.0f - s); }
        case UNARY_GELU_TANH: {
            const float t = tanh(GELU_C * (x + GELU_A * x * x * x));
            const float du = GELU_C * (1.0f + 3.0f * GELU_A * x * x);
            return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
        }
        case UNARY_SILU: { const float s = sigmoidf(x); return s * (1.0f + x * (1.0f - s)); }
        default: return NAN;
    }
}

inline float binary_f(const int op, const float a, const float b) {
    switch (op) {
        case BINARY_ADD: return a + b;
        case BINARY_SUB: return a - b;
        case BINARY_MUL: return a * b;
        case BINARY_DIV: return a / b;
        case BINARY_MAX: return fmax(a, b);
        case BINARY_MIN: return fmin(a, b);
        default: return NAN;
    }
}

__kernel void unary_fwd(const int op, __global const float* x, const int xOff,
                        __global float* y, const int yOff, const int n) {
    const int i = get_global_id(0);
    if (i < n) y[yOff + i] = unary_f(op, x[xOff + i]);
}

__kernel void unary_bwd(const int op, __global const float* x, const int xOff,
                        __global const float* dy, const int dyOff,
                        __global float* dx, const int dxOff, const int n) {
    const int i = get_global_id(0);
    if (i < n) dx[dxOff + i] += dy[dyOff + i] * unary_df(op, x[xOff + i]);
}

__kernel void binary_op(const int op, __global const float* a, const int aOff,
                        __global const float* b, const int bOff,
                        __global float* out, const int outOff, const int n) {
    const int i = get_global_id(0);
    if (i < n) out[outOff + i] = binary_f(op, a[aOff + i], b[bOff + i]);
}

__kernel void scale_shift(__global const float* x, const int xOff, const float alpha, const float beta,
                          __global float* y, const int yOff, const int n) {
    const int i = get_global_id(0);
    if (i < n) y[yOff + i] = alpha * x[xOff + i] + beta;
}

__kernel void axpy(const float alpha, __global const float* x, const int xOff,
                   __global float* y, const int yOff, const int n) {
    const int i = get_global_id(0);
    if (i < n) y[yOff + i] += alpha * x[xOff + i];
}

__kernel void fma_op(__global const float* a, const int aOff, __global const float* b, const int bOff,
                     __global const float* c, const int cOff, __global float* out, const int outOff, const int n) {
    const int i = get_global_id(0);
    if (i < n) out[outOff + i] = a[aOff + i] * b[bOff + i] + c[cOff + i];
}

__kernel void scale_by_scalar(__global float* x, const int xOff, __global const float* s, const int sOff,
                              const int n) {
    const int i = get_global_id(0);
    if (i < n) x[xOff + i] *= s[sOff];
}

// ---- strided access: shapes and strides travel as int8 (rank <= 8 after the host merges axes;
// unused leading axes have extent 1 and stride 0).

#define UNPACK8(v) { (v).s0, (v).s1, (v).s2, (v).s3, (v).s4, (v).s5, (v).s6, (v).s7 }

__kernel void strided_copy(const int8 shape, __global const float* src, const int srcOff, const int8 srcStride,
                           __global float* dst, const int dstOff, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const int sh[8] = UNPACK8(shape);
    const int st[8] = UNPACK8(srcStride);
    int rest = i, off = 0;
    for (int d = 7; d >= 0; d--) {
        const int q = rest / sh[d];
        off += (rest - q * sh[d]) * st[d];
        rest = q;
    }
    dst[dstOff + i] = src[srcOff + off];
}

__kernel void broadcast_binary(const int op, const int8 shape,
                               __global const float* a, const int aOff, const int8 aStride,
                               __global const float* b, const int bOff, const int8 bStride,
                               __global float* out, const int outOff, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const int sh[8] = UNPACK8(shape);
    const int sa[8] = UNPACK8(aStride);
    const int sb[8] = UNPACK8(bStride);
    int rest = i, oa = 0, ob = 0;
    for (int d = 7; d >= 0; d--) {
        const int q = rest / sh[d];
        const int idx = rest - q * sh[d];
        oa += idx * sa[d];
        ob += idx * sb[d];
        rest = q;
    }
    out[outOff + i] = binary_f(op, a[aOff + oa], b[bOff + ob]);
}

// One work-item per destination element sums its preimage in a fixed order (deterministic).
// Reduced axes are those where dstShape is 1 and srcShape is not.
__kernel void sum_to(const int8 srcShape, const int8 srcStride, __global const float* src, const int srcOff,
                     const int8 dstShape, __global float* dst, const int dstOff, const int n, const int accumulate) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const int ss[8] = UNPACK8(srcShape);
    const int st[8] = UNPACK8(srcStride);
    const int ds[8] = UNPACK8(dstShape);
    int red[8];
    int rest = i, base = 0, count = 1;
    for (int d = 7; d >= 0; d--) {
        const int q = rest / ds[d];
        base += (rest - q * ds[d]) * st[d];
        rest = q;
        red[d] = (ds[d] == 1) ? ss[d] : 1;
        count *= red[d];
    }
    float s = 0.0f;
    for (int r = 0; r < count; r++) {
        int rr = r, off = base;
        for (int d = 7; d >= 0; d--) {
            const int q = rr / red[d];
            off += (rr - q * red[d]) * st[d];
            rr = q;
        }
        s += src[srcOff + off];
    }
    dst[dstOff + i] = accumulate ? dst[dstOff + i] + s : s;
}

// ---- dropout: dev.peft4j.kernels.DropoutHash bit for bit (splitmix64 finaliser on ulong, wrapping).
inline ulong splitmix_mix(ulong z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
    return z ^ (z >> 31);
}

// key = mix(seed) and keepValue = 1.0f / (1.0f - p) come from the host, so they are the Java values exactly.
__kernel void dropout_mask(__global float* mask, const int off, const int n, const float p, const ulong key,
                           const float keepValue) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const ulong bits = splitmix_mix(key + ((ulong) i + 1UL) * 0x9E3779B97F4A7C15UL);
    const float uniform = (float) (bits >> 40) * 0x1.0p-24f;
    mask[off + i] = uniform >= p ? keepValue : 0.0f;
}
