package dev.peft4j.peft.sparse;

import dev.peft4j.engine.nn.LinearLayer;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Scores computed from a weight alone, each as [out, in] row-major whatever the storage: larger means
 * chosen first.
 */
final class WeightScores {

    private WeightScores() {
    }

    /** A fresh host copy of the layer's weight as [out, in] row-major. */
    static float[] outIn(LinearLayer layer) {
        return outIn(layer.weight().toArray(), layer.outFeatures(), layer.inFeatures(), layer.fanInFanOut());
    }

    /** {@code stored} ([out, in], or [in, out] when {@code inOut}) as [out, in]. */
    static float[] outIn(float[] stored, int out, int in, boolean inOut) {
        if (!inOut) {
            return stored;
        }
        float[] w = new float[out * in];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                w[o * in + i] = stored[i * out + o];
            }
        }
        return w;
    }

    /** Supertuning: |W|. */
    static float[] magnitude(LinearLayer layer) {
        float[] w = outIn(layer);
        for (int j = 0; j < w.length; j++) {
            w[j] = Math.abs(w[j]);
        }
        return w;
    }

    /** SaRA: -|W|, so the smallest magnitudes rank first. */
    static float[] smallMagnitude(LinearLayer layer) {
        float[] w = outIn(layer);
        for (int j = 0; j < w.length; j++) {
            w[j] = -Math.abs(w[j]);
        }
        return w;
    }

    /**
     * LIFT's principal weights: |(U_r S_r V_rᵀ)_{ij}| of the best rank-r approximation of W (r clamped to
     * min(out, in)), by EJML's SVD in float64.
     */
    static float[] lift(LinearLayer layer, int rank, String path) {
        int out = layer.outFeatures();
        int in = layer.inFeatures();
        float[] w = outIn(layer);
        DMatrixRMaj m = new DMatrixRMaj(out, in);
        for (int j = 0; j < w.length; j++) {
            m.data[j] = w[j];
        }
        int r = Math.min(rank, Math.min(out, in));
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(out, in, true, true, true);
        if (!svd.decompose(m)) {
            throw new IllegalStateException("LIFT selection: the SVD of \"" + path + "\" [" + out + ", " + in
                    + "] did not converge");
        }
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj s = svd.getW(null);
        DMatrixRMaj v = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, s, v, false);
        float[] score = new float[out * in];
        double[] row = new double[in];
        for (int o = 0; o < out; o++) {
            java.util.Arrays.fill(row, 0);
            for (int k = 0; k < r; k++) {
                double us = u.get(o, k) * s.get(k, k);
                for (int i = 0; i < in; i++) {
                    row[i] += us * v.get(i, k);
                }
            }
            for (int i = 0; i < in; i++) {
                score[o * in + i] = (float) Math.abs(row[i]);
            }
        }
        return score;
    }
}
