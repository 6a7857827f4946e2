package dev.peft4j.engine;

/** Plain float64 implementations of the crucial ops, written from their definitions, row-major. */
final class Reference {

    private Reference() {
    }

    /** C[b] = A[b] · B[b] for A [batch, m, k], B [batch, k, n] (batch stride 0 shares B). */
    static double[] matmul(double[] a, double[] b, int batch, int m, int k, int n, boolean shareB) {
        double[] c = new double[batch * m * n];
        for (int t = 0; t < batch; t++) {
            int bo = shareB ? 0 : t * k * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += a[t * m * k + i * k + p] * b[bo + p * n + j];
                    }
                    c[t * m * n + i * n + j] = s;
                }
            }
        }
        return c;
    }

    /** Row-major transpose of a rows×cols matrix. */
    static double[] transpose(double[] a, int rows, int cols) {
        double[] t = new double[a.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = a[i * cols + j];
            }
        }
        return t;
    }

    /** y = x Wᵀ + b for x [rows, in], W [out, in], b [out] or null. */
    static double[] linear(double[] x, double[] w, double[] b, int rows, int in, int out) {
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) {
                    s += x[r * in + i] * w[o * in + i];
                }
                y[r * out + o] = s;
            }
        }
        return y;
    }

    static double[] layerNorm(double[] x, double[] gamma, double[] beta, int cols, double eps) {
        int rows = x.length / cols;
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int c = 0; c < cols; c++) {
                mean += x[r * cols + c];
            }
            mean /= cols;
            double var = 0;
            for (int c = 0; c < cols; c++) {
                double d = x[r * cols + c] - mean;
                var += d * d;
            }
            var /= cols; // biased, as PyTorch's layer_norm
            double rstd = 1 / Math.sqrt(var + eps);
            for (int c = 0; c < cols; c++) {
                double v = (x[r * cols + c] - mean) * rstd;
                y[r * cols + c] = v * (gamma == null ? 1 : gamma[c]) + (beta == null ? 0 : beta[c]);
            }
        }
        return y;
    }

    static double[] rmsNorm(double[] x, double[] gamma, int cols, double eps) {
        int rows = x.length / cols;
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double ms = 0;
            for (int c = 0; c < cols; c++) {
                ms += x[r * cols + c] * x[r * cols + c];
            }
            double rstd = 1 / Math.sqrt(ms / cols + eps);
            for (int c = 0; c < cols; c++) {
                y[r * cols + c] = x[r * cols + c] * rstd * (gamma == null ? 1 : gamma[c]);
            }
        }
        return y;
    }

    /** Softmax of each row of length cols after multiplying by scale; causal masks as the kernels do. */
    static double[] softmax(double[] x, int cols, double scale, boolean causal, int rowsPerBlock) {
        int rows = x.length / cols;
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            int visible = causal ? (r % rowsPerBlock) + (cols - rowsPerBlock) + 1 : cols;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < visible; c++) {
                max = Math.max(max, scale * x[r * cols + c]);
            }
            double sum = 0;
            for (int c = 0; c < visible; c++) {
                sum += Math.exp(scale * x[r * cols + c] - max);
            }
            for (int c = 0; c < cols; c++) {
                y[r * cols + c] = c < visible ? Math.exp(scale * x[r * cols + c] - max) / sum : 0;
            }
        }
        return y;
    }

    static double[] logSoftmax(double[] x, int cols) {
        double[] p = softmax(x, cols, 1, false, 1);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.log(p[i]);
        }
        return y;
    }

    /** Mean over counted rows of logsumexp(row) - row[target]; 0 when no row counts. */
    static double crossEntropy(double[] logits, int[] targets, int ignoreIndex, int vocab) {
        double total = 0;
        int counted = 0;
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] == ignoreIndex) {
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < vocab; c++) {
                max = Math.max(max, logits[r * vocab + c]);
            }
            double sum = 0;
            for (int c = 0; c < vocab; c++) {
                sum += Math.exp(logits[r * vocab + c] - max);
            }
            total += max + Math.log(sum) - logits[r * vocab + targets[r]];
            counted++;
        }
        return counted == 0 ? 0 : total / counted;
    }

    /** softmax(scale q kᵀ, causal) v per batch element; q [batch, t, d], k [batch, s, d], v [batch, s, dv]. */
    static double[] attention(double[] q, double[] k, double[] v, int batch, int t, int s, int d, int dv,
                              boolean causal, double scale) {
        double[] out = new double[batch * t * dv];
        for (int b = 0; b < batch; b++) {
            double[] qb = java.util.Arrays.copyOfRange(q, b * t * d, (b + 1) * t * d);
            double[] kb = java.util.Arrays.copyOfRange(k, b * s * d, (b + 1) * s * d);
            double[] vb = java.util.Arrays.copyOfRange(v, b * s * dv, (b + 1) * s * dv);
            double[] scores = matmul(qb, transpose(kb, s, d), 1, t, d, s, false);
            double[] p = softmax(scores, s, scale, causal, t);
            double[] o = matmul(p, vb, 1, t, s, dv, false);
            System.arraycopy(o, 0, out, b * t * dv, t * dv);
        }
        return out;
    }
}
