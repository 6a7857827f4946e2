package dev.peft4j.peft.lora;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.LinearLayer;

/**
 * DoRA's per-output-row norm {@code ‖W + s·B·A‖} without forming B·A: with P = W·Aᵀ [out, r] and
 * G = A·Aᵀ [r, r], row o's squared norm is {@code ‖w_o‖² + 2s·b_o·p_o + s²·b_oᵀ G b_o}. Costs one
 * [out, in]×[in, r] GEMM and no [out, in] temporary. The result is a constant (detached), as in the
 * DoRA paper and HF PEFT.
 */
final class DoraNorm {

    private DoraNorm() {
    }

    /** The squared row norms of W [out, in] (W is frozen, so callers cache this). */
    static double[] baseRowNormsSquared(LinearLayer base) {
        float[] w = base.weight().toArray();
        int out = base.outFeatures();
        int in = base.inFeatures();
        double[] n = new double[out];
        for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < in; i++) {
                double v = base.fanInFanOut() ? w[i * out + o] : w[o * in + i];
                s += v * v;
            }
            n[o] = s;
        }
        return n;
    }

    /** {@code ‖W + scaling·B·A‖} per output row, as a float array [out]. */
    static float[] rowNorms(LinearLayer base, double[] baseNormsSquared, Tensor a, Tensor b, double scaling) {
        int out = base.outFeatures();
        int r = a.dim(0);
        float[] p;
        boolean pIsOutR;
        try (var ignored = Autograd.noGrad()) {
            Tensor ad = a.detach();
            if (base.fanInFanOut()) {
                p = ad.matmul(base.weight()).toArray(); // A [r, in] · W [in, out] = (W·Aᵀ)ᵀ, [r, out]
                pIsOutR = false;
            } else if (base.weight().isBf16()) {
                // A bf16 W can only be GEMM's B operand: A [r, in] · Wᵀ [in, out], [r, out].
                p = ad.matmul(base.weight().t()).toArray();
                pIsOutR = false;
            } else {
                p = Functional.linear(base.weight(), ad, null).toArray(); // W [out, in] · Aᵀ -> [out, r]
                pIsOutR = true;
            }
        }
        float[] av = a.toArray();
        int in = a.dim(1);
        double[] g = new double[r * r];
        for (int k = 0; k < r; k++) {
            for (int l = k; l < r; l++) {
                double s = 0;
                for (int i = 0; i < in; i++) {
                    s += (double) av[k * in + i] * av[l * in + i];
                }
                g[k * r + l] = s;
                g[l * r + k] = s;
            }
        }
        float[] bv = b.toArray();
        float[] norms = new float[out];
        for (int o = 0; o < out; o++) {
            double cross = 0;
            double quad = 0;
            for (int k = 0; k < r; k++) {
                double bok = bv[o * r + k];
                cross += bok * (pIsOutR ? p[o * r + k] : p[k * out + o]);
                double gb = 0;
                for (int l = 0; l < r; l++) {
                    gb += g[k * r + l] * bv[o * r + l];
                }
                quad += bok * gb;
            }
            double sq = baseNormsSquared[o] + 2 * scaling * cross + scaling * scaling * quad;
            norms[o] = (float) Math.sqrt(Math.max(sq, 0));
        }
        return norms;
    }
}
