package dev.peft4j.peft.merge;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * The best rank-r factorisation M ≈ B·A of a dense matrix (Eckart–Young), from EJML's SVD in double:
 * B = U_r·√Σ_r and A = √Σ_r·V_rᵀ, so both factors carry half of each singular value.
 */
final class TruncatedSvd {

    /**
     * @param b              [rows, rank], row-major
     * @param a              [rank, cols], row-major
     * @param singularValues all singular values of M, descending
     */
    record Factors(int rows, int cols, int rank, double[] b, double[] a, double[] singularValues) {
    }

    private TruncatedSvd() {
    }

    static Factors lowRank(DMatrixRMaj m, int rank, String what) {
        int rows = m.numRows;
        int cols = m.numCols;
        if (rank < 1 || rank > Math.min(rows, cols)) {
            throw new IllegalArgumentException(what + ": rank " + rank + " is outside [1, " + Math.min(rows, cols)
                    + "] for a [" + rows + ", " + cols + "] matrix");
        }
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(rows, cols, true, true, true);
        if (!svd.decompose(m.copy())) {
            throw new IllegalStateException(what + ": the SVD of a [" + rows + ", " + cols + "] matrix did not converge");
        }
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj w = svd.getW(null);
        DMatrixRMaj v = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        int k = Math.min(w.numRows, w.numCols);
        double[] sigma = new double[k];
        for (int i = 0; i < k; i++) {
            sigma[i] = w.get(i, i);
        }
        double[] b = new double[rows * rank];
        double[] a = new double[rank * cols];
        for (int j = 0; j < rank; j++) {
            double root = Math.sqrt(sigma[j]);
            for (int r = 0; r < rows; r++) {
                b[r * rank + j] = u.get(r, j) * root;
            }
            for (int c = 0; c < cols; c++) {
                a[j * cols + c] = v.get(c, j) * root;
            }
        }
        return new Factors(rows, cols, rank, b, a, sigma);
    }
}
