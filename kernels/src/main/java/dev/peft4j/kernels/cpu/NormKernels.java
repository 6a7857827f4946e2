package dev.peft4j.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * LayerNorm and RMSNorm, forward and backward (the backward formulas of llm.c's layernorm_backward).
 * Row work (y, dx) splits rows across threads; the parameter gradients split columns instead, each
 * column summing all rows in order, so they need no atomics and do not depend on the thread count.
 */
final class NormKernels {

    private static final VectorSpecies<Float> S = UnaryMath.SPECIES;

    private final Parallel parallel;

    NormKernels(Parallel parallel) {
        this.parallel = parallel;
    }

    void layerNorm(float[] x, int xOff, float[] gamma, int gOff, float[] beta, int bOff, float[] y, int yOff,
                   float[] mean, int meanOff, float[] rstd, int rstdOff, int rows, int cols, float eps) {
        parallel.forRange(rows, 3L * cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int xi = xOff + r * cols;
                int yi = yOff + r * cols;
                float m = Reductions.rowSum(x, xi, cols) / cols;
                float var = centredSumOfSquares(x, xi, cols, m) / cols; // two passes: no cancellation
                float rs = 1f / (float) Math.sqrt(var + eps);
                int i = 0;
                for (int bound = S.loopBound(cols); i < bound; i += S.length()) {
                    FloatVector n = FloatVector.fromArray(S, x, xi + i).sub(m).mul(rs);
                    if (gamma != null) {
                        n = n.mul(FloatVector.fromArray(S, gamma, gOff + i));
                    }
                    if (beta != null) {
                        n = n.add(FloatVector.fromArray(S, beta, bOff + i));
                    }
                    n.intoArray(y, yi + i);
                }
                for (; i < cols; i++) {
                    float n = (x[xi + i] - m) * rs;
                    if (gamma != null) {
                        n *= gamma[gOff + i];
                    }
                    if (beta != null) {
                        n += beta[bOff + i];
                    }
                    y[yi + i] = n;
                }
                if (mean != null) {
                    mean[meanOff + r] = m;
                }
                if (rstd != null) {
                    rstd[rstdOff + r] = rs;
                }
            }
        });
    }

    /**
     * dx += rstd * (dnorm - mean(dnorm) - norm * mean(dnorm * norm)) with dnorm = gamma * dy;
     * dgamma += sum_rows norm * dy; dbeta += sum_rows dy.
     */
    void layerNormBackward(float[] x, int xOff, float[] gamma, int gOff, float[] mean, int meanOff,
                           float[] rstd, int rstdOff, float[] dy, int dyOff,
                           float[] dx, int dxOff, float[] dgamma, int dgOff, float[] dbeta, int dbOff,
                           int rows, int cols) {
        if (dx != null) {
            parallel.forRange(rows, 4L * cols, (from, to) -> {
                for (int r = from; r < to; r++) {
                    float m = mean[meanOff + r];
                    float rs = rstd[rstdOff + r];
                    int xi = xOff + r * cols;
                    int gi = dyOff + r * cols;
                    float dnormSum = 0f;
                    float dnormNormSum = 0f;
                    FloatVector vd = FloatVector.zero(S);
                    FloatVector vdn = FloatVector.zero(S);
                    int i = 0;
                    int bound = S.loopBound(cols);
                    for (; i < bound; i += S.length()) {
                        FloatVector norm = FloatVector.fromArray(S, x, xi + i).sub(m).mul(rs);
                        FloatVector dnorm = dnorm(dy, gi + i, gamma, gOff + i);
                        vd = vd.add(dnorm);
                        vdn = dnorm.fma(norm, vdn);
                    }
                    dnormSum = LaneSums.sum(vd);
                    dnormNormSum = LaneSums.sum(vdn);
                    for (; i < cols; i++) {
                        float norm = (x[xi + i] - m) * rs;
                        float dnorm = gamma == null ? dy[gi + i] : gamma[gOff + i] * dy[gi + i];
                        dnormSum += dnorm;
                        dnormNormSum += dnorm * norm;
                    }
                    float dnormMean = dnormSum / cols;
                    float dnormNormMean = dnormNormSum / cols;
                    int di = dxOff + r * cols;
                    i = 0;
                    for (; i < bound; i += S.length()) {
                        FloatVector norm = FloatVector.fromArray(S, x, xi + i).sub(m).mul(rs);
                        FloatVector t = dnorm(dy, gi + i, gamma, gOff + i).sub(dnormMean).sub(norm.mul(dnormNormMean));
                        t.mul(rs).add(FloatVector.fromArray(S, dx, di + i)).intoArray(dx, di + i);
                    }
                    for (; i < cols; i++) {
                        float norm = (x[xi + i] - m) * rs;
                        float dnorm = gamma == null ? dy[gi + i] : gamma[gOff + i] * dy[gi + i];
                        dx[di + i] += (dnorm - dnormMean - norm * dnormNormMean) * rs;
                    }
                }
            });
        }
        if (dgamma != null || dbeta != null) {
            parallel.forRange(cols, 2L * rows, (c0, c1) -> {
                for (int r = 0; r < rows; r++) {
                    float m = mean[meanOff + r];
                    float rs = rstd[rstdOff + r];
                    int xi = xOff + r * cols;
                    int gi = dyOff + r * cols;
                    if (dbeta != null) {
                        Elementwise.axpyRange(1f, dy, gi + c0, dbeta, dbOff + c0, c1 - c0);
                    }
                    if (dgamma != null) {
                        addNormTimesDy(x, xi, m, rs, dy, gi, dgamma, dgOff, c0, c1);
                    }
                }
            });
        }
    }

    void rmsNorm(float[] x, int xOff, float[] gamma, int gOff, float[] y, int yOff, float[] rstd, int rstdOff,
                 int rows, int cols, float eps) {
        parallel.forRange(rows, 2L * cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int xi = xOff + r * cols;
                int yi = yOff + r * cols;
                float ms = centredSumOfSquares(x, xi, cols, 0f) / cols;
                float rs = 1f / (float) Math.sqrt(ms + eps);
                int i = 0;
                for (int bound = S.loopBound(cols); i < bound; i += S.length()) {
                    FloatVector n = FloatVector.fromArray(S, x, xi + i).mul(rs);
                    if (gamma != null) {
                        n = n.mul(FloatVector.fromArray(S, gamma, gOff + i));
                    }
                    n.intoArray(y, yi + i);
                }
                for (; i < cols; i++) {
                    float n = x[xi + i] * rs;
                    y[yi + i] = gamma == null ? n : n * gamma[gOff + i];
                }
                if (rstd != null) {
                    rstd[rstdOff + r] = rs;
                }
            }
        });
    }

    /** dx += rstd * dnorm - x * rstd^3 * mean(dnorm * x) with dnorm = gamma * dy; dgamma += sum_rows x * rstd * dy. */
    void rmsNormBackward(float[] x, int xOff, float[] gamma, int gOff, float[] rstd, int rstdOff,
                         float[] dy, int dyOff, float[] dx, int dxOff, float[] dgamma, int dgOff, int rows, int cols) {
        if (dx != null) {
            parallel.forRange(rows, 3L * cols, (from, to) -> {
                for (int r = from; r < to; r++) {
                    float rs = rstd[rstdOff + r];
                    int xi = xOff + r * cols;
                    int gi = dyOff + r * cols;
                    int di = dxOff + r * cols;
                    FloatVector vacc = FloatVector.zero(S);
                    int i = 0;
                    int bound = S.loopBound(cols);
                    for (; i < bound; i += S.length()) {
                        vacc = dnorm(dy, gi + i, gamma, gOff + i).fma(FloatVector.fromArray(S, x, xi + i), vacc);
                    }
                    float dot = LaneSums.sum(vacc);
                    for (; i < cols; i++) {
                        float dnorm = gamma == null ? dy[gi + i] : gamma[gOff + i] * dy[gi + i];
                        dot += dnorm * x[xi + i];
                    }
                    float k = rs * rs * rs * dot / cols;
                    i = 0;
                    for (; i < bound; i += S.length()) {
                        FloatVector t = dnorm(dy, gi + i, gamma, gOff + i).mul(rs)
                                .sub(FloatVector.fromArray(S, x, xi + i).mul(k));
                        t.add(FloatVector.fromArray(S, dx, di + i)).intoArray(dx, di + i);
                    }
                    for (; i < cols; i++) {
                        float dnorm = gamma == null ? dy[gi + i] : gamma[gOff + i] * dy[gi + i];
                        dx[di + i] += dnorm * rs - x[xi + i] * k;
                    }
                }
            });
        }
        if (dgamma != null) {
            parallel.forRange(cols, 2L * rows, (c0, c1) -> {
                for (int r = 0; r < rows; r++) {
                    addNormTimesDy(x, xOff + r * cols, 0f, rstd[rstdOff + r], dy, dyOff + r * cols, dgamma, dgOff, c0, c1);
                }
            });
        }
    }

    /** gamma * dy, or dy when gamma is absent (identity). */
    private static FloatVector dnorm(float[] dy, int gi, float[] gamma, int gammaIndex) {
        FloatVector g = FloatVector.fromArray(S, dy, gi);
        return gamma == null ? g : g.mul(FloatVector.fromArray(S, gamma, gammaIndex));
    }

    /** dgamma[c] += (x[c] - mean) * rstd * dy[c] for columns [c0, c1) of one row. */
    private static void addNormTimesDy(float[] x, int xi, float m, float rs, float[] dy, int gi,
                                       float[] dgamma, int dgOff, int c0, int c1) {
        int c = c0;
        for (int bound = c0 + S.loopBound(c1 - c0); c < bound; c += S.length()) {
            FloatVector norm = FloatVector.fromArray(S, x, xi + c).sub(m).mul(rs);
            norm.fma(FloatVector.fromArray(S, dy, gi + c), FloatVector.fromArray(S, dgamma, dgOff + c))
                    .intoArray(dgamma, dgOff + c);
        }
        for (; c < c1; c++) {
            dgamma[dgOff + c] += (x[xi + c] - m) * rs * dy[gi + c];
        }
    }

    /** sum of (x - centre)^2 over one row. */
    private static float centredSumOfSquares(float[] x, int xi, int n, float centre) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector d = FloatVector.fromArray(S, x, xi + i).sub(centre);
            acc = d.fma(d, acc);
        }
        float s = LaneSums.sum(acc);
        for (; i < n; i++) {
            float d = x[xi + i] - centre;
            s += d * d;
        }
        return s;
    }
}
