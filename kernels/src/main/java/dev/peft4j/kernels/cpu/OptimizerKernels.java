package dev.peft4j.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * In-place AdamW and SGD steps in the order of operations of PyTorch's single-tensor implementations
 * ({@code torch.optim.adamw._single_tensor_adamw}, {@code torch.optim.sgd._single_tensor_sgd}): scalar
 * coefficients are computed in double, as Python does, then rounded once to float.
 */
final class OptimizerKernels {

    private static final VectorSpecies<Float> S = UnaryMath.SPECIES;

    private final Parallel parallel;

    OptimizerKernels(Parallel parallel) {
        this.parallel = parallel;
    }

    void adamW(float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff, int n,
               float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
        float decay = (float) (1.0 - (double) lr * weightDecay);
        float oneMinusB1 = (float) (1.0 - beta1);
        float oneMinusB2 = (float) (1.0 - beta2);
        double bc1 = 1.0 - Math.pow(beta1, step);
        double bc2 = 1.0 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        parallel.forRange(n, 8, (from, to) -> {
            int i = from;
            for (int bound = from + S.loopBound(to - from); i < bound; i += S.length()) {
                FloatVector vg = FloatVector.fromArray(S, g, gOff + i);
                FloatVector vp = FloatVector.fromArray(S, p, pOff + i).mul(decay);
                FloatVector vm = FloatVector.fromArray(S, m, mOff + i).mul(beta1).add(vg.mul(oneMinusB1));
                FloatVector vv = FloatVector.fromArray(S, v, vOff + i).mul(beta2).add(vg.mul(vg).mul(oneMinusB2));
                FloatVector denom = vv.sqrt().div(bc2Sqrt).add(eps);
                vp.sub(vm.mul(stepSize).div(denom)).intoArray(p, pOff + i);
                vm.intoArray(m, mOff + i);
                vv.intoArray(v, vOff + i);
            }
            for (; i < to; i++) {
                float gi = g[gOff + i];
                float pi = p[pOff + i] * decay;
                float mi = m[mOff + i] * beta1 + gi * oneMinusB1;
                float vi = v[vOff + i] * beta2 + gi * gi * oneMinusB2;
                float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
                p[pOff + i] = pi - mi * stepSize / denom;
                m[mOff + i] = mi;
                v[vOff + i] = vi;
            }
        });
    }

    /** {@code buf} may be null only when momentum is 0. */
    void sgd(float[] p, int pOff, float[] g, int gOff, float[] buf, int bOff, int n,
             float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean firstStep) {
        float keep = (float) (1.0 - dampening);
        parallel.forRange(n, 4, (from, to) -> {
            for (int i = from; i < to; i++) {
                float d = g[gOff + i];
                if (weightDecay != 0f) {
                    d += weightDecay * p[pOff + i];
                }
                if (momentum != 0f) {
                    float b = firstStep ? d : momentum * buf[bOff + i] + keep * d;
                    buf[bOff + i] = b;
                    d = nesterov ? d + momentum * b : b;
                }
                p[pOff + i] -= lr * d;
            }
        });
    }
}
