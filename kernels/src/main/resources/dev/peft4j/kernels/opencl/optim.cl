// In-place optimizer steps, one work-item per parameter (PyTorch semantics, see Kernels javadoc).
// bc1 = 1 - beta1^t and bc2 = 1 - beta2^t come from the host, computed in double.

__kernel void adamw(__global float* p, const int pOff, __global const float* g, const int gOff,
                    __global float* m, const int mOff, __global float* v, const int vOff, const int n,
                    const float lr, const float beta1, const float beta2, const float eps, const float weightDecay,
                    const float bc1, const float bc2) {
    const int i = get_global_id(0);
    if (i >= n) return;
    float pi = p[pOff + i];
    const float gi = g[gOff + i];
    pi -= lr * weightDecay * pi;
    const float mi = beta1 * m[mOff + i] + (1.0f - beta1) * gi;
    const float vi = beta2 * v[vOff + i] + (1.0f - beta2) * gi * gi;
    m[mOff + i] = mi;
    v[vOff + i] = vi;
    p[pOff + i] = pi - lr * (mi / bc1) / (sqrt(vi / bc2) + eps);
}

__kernel void sgd(__global float* p, const int pOff, __global const float* g, const int gOff,
                  __global float* buf, const int bOff, const int hasBuf, const int n,
                  const float lr, const float momentum, const float dampening, const float weightDecay,
                  const int nesterov, const int firstStep) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float pi = p[pOff + i];
    const float gi = g[gOff + i] + weightDecay * pi;
    float step = gi;
    if (momentum != 0.0f && hasBuf) {
        const float b = firstStep ? gi : momentum * buf[bOff + i] + (1.0f - dampening) * gi;
        buf[bOff + i] = b;
        step = nesterov ? gi + momentum * b : b;
    }
    p[pOff + i] = pi - lr * step;
}
