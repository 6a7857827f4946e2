package dev.peft4j.peft.lora;

import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.peft.core.WeightMath;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * PiSSA initialisation (HF {@code init_lora_weights="pissa"}): from the SVD W = U·S·Vᵀ of the [out, in]
 * weight, keep the top r triplets and set A = √(S_r/s)·V_rᵀ, B = U_r·√(S_r/s), so s·B·A = U_r S_r V_rᵀ; the
 * base keeps the residual W − U_r S_r V_rᵀ. The SVD runs in float64 (EJML).
 */
final class PissaInit {

    /** A [r, in] and B [out, r], row-major. */
    record Factors(float[] a, float[] b) {
    }

    private PissaInit() {
    }

    static Factors compute(LinearLayer base, int r, double scaling, String path) {
        int out = base.outFeatures();
        int in = base.inFeatures();
        if (r > Math.min(out, in)) {
            throw new IllegalArgumentException("PiSSA on \"" + path + "\": r = " + r + " exceeds the rank bound min("
                    + out + ", " + in + ") of its weight");
        }
        DMatrixRMaj w = new DMatrixRMaj(out, in, true, WeightMath.readOutIn(base));
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(out, in, true, true, true);
        if (!svd.decompose(w)) {
            throw new ArithmeticException("PiSSA on \"" + path + "\": the SVD of its " + out + "x" + in
                    + " weight did not converge");
        }
        DMatrixRMaj u = svd.getU(null, false); // [out, k]
        DMatrixRMaj vt = svd.getV(null, true); // [k, in]
        DMatrixRMaj s = svd.getW(null);        // [k, k]
        SingularOps_DDRM.descendingOrder(u, false, s, vt, true);
        float[] a = new float[r * in];
        float[] b = new float[out * r];
        for (int k = 0; k < r; k++) {
            double root = Math.sqrt(s.get(k, k) / scaling);
            for (int i = 0; i < in; i++) {
                a[k * in + i] = (float) (root * vt.get(k, i));
            }
            for (int o = 0; o < out; o++) {
                b[o * r + k] = (float) (u.get(o, k) * root);
            }
        }
        return new Factors(a, b);
    }
}
