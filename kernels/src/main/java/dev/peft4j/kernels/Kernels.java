package dev.peft4j.kernels;

/**
 * Raw compute on flat float buffers; the only place arithmetic happens. Two implementations: the CPU
 * (Vector API, parallel over both cores) and OpenCL (JOCL). Every method is row-major, counts offsets
 * and lengths in floats, and never allocates a result: the caller passes the output buffer.
 *
 * <p>Integer inputs (token ids, class targets) travel as host {@code int[]} arrays: they are model
 * inputs, small, and read once per step. Methods whose name ends in {@code Backward} accumulate into
 * their gradient outputs ({@code +=}) unless the javadoc says otherwise, so several consumers of one
 * tensor can add their contributions. A {@code null} gradient output means "not needed" and its
 * work is skipped.
 */
public interface Kernels extends AutoCloseable {

    /** Human-readable backend name, e.g. {@code cpu (AVX-512, 2 threads)}. */
    String name();

    // ---------------------------------------------------------------- memory

    /** A zero-filled buffer of {@code length} floats. */
    Buffer allocate(int length);

    /** A new buffer holding {@code host[off, off + len)}. */
    Buffer upload(float[] host, int off, int len);

    /** Overwrites {@code dst[dstOff, dstOff + len)} with host data. */
    void write(float[] host, int hostOff, Buffer dst, int dstOff, int len);

    /** Copies {@code src[srcOff, srcOff + len)} to the host array. */
    void read(Buffer src, int srcOff, float[] host, int hostOff, int len);

    /** {@code dst[dstOff + i] = src[srcOff + i]} for i &lt; len; ranges may belong to one buffer if disjoint. */
    void copy(Buffer src, int srcOff, Buffer dst, int dstOff, int len);

    /** {@code dst[off + i] = value} for i &lt; len. */
    void fill(Buffer dst, int off, int len, float value);

    /**
     * Gathers a strided view into a contiguous destination: for every index tuple {@code i} of
     * {@code shape}, {@code dst[dstOff + rowMajor(i)] = src[srcOff + sum(i[d] * srcStrides[d])]}.
     * Serves {@code contiguous()}, transpose/permute materialisation and broadcast expansion (stride 0).
     */
    void stridedCopy(int[] shape, Buffer src, int srcOff, int[] srcStrides, Buffer dst, int dstOff);

    /**
     * A new read-only bfloat16 copy of {@code src[off, off + len)}, rounded to nearest even (NaN stays NaN,
     * overflow becomes infinity): half the memory of a frozen weight. Its {@link Buffer#length()} is
     * {@code len} and {@link Buffer#isBf16()} is true. Such a buffer feeds only gemm's B operand (widened to
     * float32 while packing, so products accumulate in float32), embedding's table, and read/copy to
     * float32; every other kernel rejects it. Backends without bf16 storage throw IllegalStateException.
     */
    default Buffer toBf16(Buffer src, int off, int len) {
        throw new IllegalStateException("toBf16: bf16 base weights are CPU-only for now; backend " + name()
                + " keeps float32 weights (use --base-dtype f32 on this device)");
    }

    // ---------------------------------------------------------------- GEMM

    /**
     * Batched {@code C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b]} with op(X) = X or Xᵀ.
     * op(A) is m×k, op(B) is k×n, C is m×n. {@code lda/ldb/ldc} are row strides of the stored
     * (untransposed) matrices; {@code strideA/B/C} are the distances between batch elements (0 shares
     * one matrix across the batch). {@code beta = 0} ignores C's old contents (NaNs included).
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
              Buffer a, int aOff, int lda, long strideA,
              Buffer b, int bOff, int ldb, long strideB,
              float beta, Buffer c, int cOff, int ldc, long strideC, int batch);

    /** Single (non-batched) GEMM; see the batched form. */
    default void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      Buffer a, int aOff, int lda, Buffer b, int bOff, int ldb,
                      float beta, Buffer c, int cOff, int ldc) {
        gemm(transA, transB, m, n, k, alpha, a, aOff, lda, 0, b, bOff, ldb, 0, beta, c, cOff, ldc, 0, 1);
    }

    /**
     * Single GEMM with a fused epilogue: per element of the m×n C,
     * {@code t = alpha·(op(A)·op(B))[i,j] + beta·C[i,j] + lowRankScale·(U·Vᵀ)[i,j] + bias[j]},
     * {@code t = colScale[j]·t + colShift[j]}, {@code C[i,j] = t} and, with an activation,
     * {@code out[i,j] = f(t)}; absent parts are identity (see {@link GemmEpilogue}). Serves a Linear with
     * its bias and activation, a LoRA forward {@code x·Wᵀ + s·(x·Aᵀ)·Bᵀ}, and (IA)³/SSF scaling in one
     * pass over C. The result equals the unfused composition (gemm, low-rank gemm with beta 1, bias
     * broadcast add, scale/shift, {@link #unary}) up to float rounding. {@code GemmEpilogue.NONE} is the
     * plain single GEMM.
     */
    default void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      Buffer a, int aOff, int lda, Buffer b, int bOff, int ldb,
                      float beta, Buffer c, int cOff, int ldc, GemmEpilogue epilogue) {
        if (epilogue == null) {
            throw new IllegalArgumentException("gemm: epilogue is null (use GemmEpilogue.NONE)");
        }
        if (epilogue.isNone()) {
            gemm(transA, transB, m, n, k, alpha, a, aOff, lda, 0, b, bOff, ldb, 0, beta, c, cOff, ldc, 0, 1);
        } else {
            gemmFused(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, epilogue);
        }
    }

    /**
     * The backend's fused GEMM behind {@link #gemm(boolean, boolean, int, int, int, float, Buffer, int, int,
     * Buffer, int, int, float, Buffer, int, int, GemmEpilogue)}, which calls it for an epilogue with at least
     * one part; call that method instead.
     */
    void gemmFused(boolean transA, boolean transB, int m, int n, int k, float alpha,
                   Buffer a, int aOff, int lda, Buffer b, int bOff, int ldb,
                   float beta, Buffer c, int cOff, int ldc, GemmEpilogue epilogue);

    /**
     * Sampled {@code AᵀB}: the product evaluated only at {@code nnz} flat indices of an m×n result, cost
     * ∝ nnz·rows. For each i &lt; nnz, with {@code o = idx[i] / n} and {@code c = idx[i] % n}:
     * {@code out[outOff + i] = alpha * sum_{r < rows} a[aOff + r*lda + o] * b[bOff + r*ldb + c] + beta * out[outOff + i]}.
     * A is rows×m and B rows×n, both row-major with row strides lda/ldb. Serves a sparse delta's
     * weight gradient {@code dW = dYᵀ X} (A = dY [rows, out], B = X [rows, in]) without a dense dW.
     * {@code idx[0, nnz)} must ascend strictly inside [0, m·n); {@code beta = 0} ignores out's old
     * contents, {@code beta = 1} accumulates.
     */
    void sampledGemm(int rows, int m, int n, float alpha, Buffer a, int aOff, int lda, Buffer b, int bOff, int ldb,
                     int[] idx, int nnz, float beta, Buffer out, int outOff);

    /**
     * The densest index pattern (nnz / m·n) for which {@link #sampledGemm} beats, on this backend, the dense
     * {@code AᵀB} it samples followed by a gather of the same entries: a caller with a denser pattern (a sparse
     * delta's weight gradient) takes the dense product. {@code peft4j bench sparse [--device]} measures the
     * crossover; {@code -Dpeft4j.sampledGemm.maxDensity=D} replaces every backend's value with one measured there.
     */
    double sampledGemmMaxDensity();

    // ---------------------------------------------------------------- elementwise

    /** {@code y[i] = f(x[i])}; x and y may be the same range. */
    void unary(Unary op, Buffer x, int xOff, Buffer y, int yOff, int n);

    /** {@code dx[i] += dy[i] * f'(x[i])} (x is the forward input). */
    void unaryBackward(Unary op, Buffer x, int xOff, Buffer dy, int dyOff, Buffer dx, int dxOff, int n);

    /** {@code out[i] = f(a[i], b[i])}; out may alias a or b. */
    void binary(Binary op, Buffer a, int aOff, Buffer b, int bOff, Buffer out, int outOff, int n);

    /**
     * Broadcasting binary op into a contiguous output of {@code shape}: for every index tuple i,
     * {@code out[rowMajor(i)] = f(a[aOff + i·aStrides], b[bOff + i·bStrides])}; a broadcast axis has
     * stride 0.
     */
    void broadcastBinary(Binary op, int[] shape, Buffer a, int aOff, int[] aStrides,
                         Buffer b, int bOff, int[] bStrides, Buffer out, int outOff);

    /**
     * Sums a contiguous tensor of {@code srcShape} down to {@code dstShape} (same rank, each axis
     * equal or 1): the backward of broadcasting. Accumulates into dst when {@code accumulate}.
     */
    void sumTo(int[] srcShape, Buffer src, int srcOff, int[] dstShape, Buffer dst, int dstOff, boolean accumulate);

    /** {@code y[i] = alpha * x[i] + beta} */
    void scale(Buffer x, int xOff, float alpha, float beta, Buffer y, int yOff, int n);

    /** {@code y[i] += alpha * x[i]} */
    void axpy(float alpha, Buffer x, int xOff, Buffer y, int yOff, int n);

    /** Fused multiply-add {@code out[i] = a[i] * b[i] + c[i]}. */
    void fma(Buffer a, int aOff, Buffer b, int bOff, Buffer c, int cOff, Buffer out, int outOff, int n);

    /** {@code x[i] = x[i] * s[0]} where s is a one-element range holding a device scalar. */
    void scaleByScalar(Buffer x, int xOff, Buffer s, int sOff, int n);

    /**
     * Inverted-dropout mask: {@code mask[i] = keep ? 1/(1-p) : 0} where keep is decided by a
     * counter-based hash of (seed, i) so every backend draws the same mask for the same seed.
     */
    void dropoutMask(Buffer mask, int off, int n, float p, long seed);

    // ---------------------------------------------------------------- reductions over rows

    /** {@code out[r] = sum_c x[r, c]} for a contiguous rows×cols block; accumulates when asked. */
    void sumRows(Buffer x, int xOff, int rows, int cols, Buffer out, int outOff, boolean accumulate);

    /** {@code out[r] = max_c x[r, c]}. */
    void maxRows(Buffer x, int xOff, int rows, int cols, Buffer out, int outOff);

    /** {@code out[0] = sum_i x[i]} in float64 accumulation; accumulates into out when asked. */
    void sum(Buffer x, int xOff, int n, Buffer out, int outOff, boolean accumulate);

    /** {@code sum_i x[i]^2} as a host double (for grad-norm clipping). */
    double sumOfSquares(Buffer x, int xOff, int n);

    // ---------------------------------------------------------------- softmax family

    /**
     * Numerically stable softmax over each row of length cols; {@code scale} multiplies the input
     * first. With {@code causal}, rows are grouped in blocks of {@code rowsPerBlock} query positions
     * and row i of a block sees only columns {@code j <= i + (cols - rowsPerBlock)} (the others become 0):
     * the attention mask with an optional cached prefix.
     */
    void softmax(Buffer x, int xOff, Buffer y, int yOff, int rows, int cols, float scale,
                 boolean causal, int rowsPerBlock);

    /** {@code dx += scale * y * (dy - sum(dy * y))} per row, y the softmax output. */
    void softmaxBackward(Buffer y, int yOff, Buffer dy, int dyOff, Buffer dx, int dxOff, int rows, int cols, float scale);

    /** {@code y = x - logsumexp(x)} per row. */
    void logSoftmax(Buffer x, int xOff, Buffer y, int yOff, int rows, int cols);

    /** {@code dx += dy - exp(y) * sum(dy)} per row, y the log-softmax output. */
    void logSoftmaxBackward(Buffer y, int yOff, Buffer dy, int dyOff, Buffer dx, int dxOff, int rows, int cols);

    /**
     * The vocabulary pass of a linear layer fused with a softmax, for a weight that takes no gradient (a frozen
     * LM head): with logits {@code l = x·Wᵀ} for rows x [rows, in] at {@code xOff} and W [vocab, in] at
     * {@code wOff}, writes per row {@code max[r] = max_v l[r][v]}, {@code sum[r] = Σ_v exp(l[r][v] - max[r])}
     * and, unless acc is null, {@code acc[r] = Σ_v exp(l[r][v] - max[r])·W[v]} [rows, in], each at offset 0,
     * never holding more than {@code rows × block} logits at once.
     *
     * <p>The default walks blocks of the vocabulary with {@link #gemm} and {@link #onlineSoftmaxBlock},
     * rescaling acc whenever a row's max grows; a backend may instead split the vocabulary among its threads
     * and merge their states (then the rounding depends on the split).
     */
    default void linearSoftmaxPass(Buffer x, int xOff, int rows, int in, Buffer w, int wOff, int vocab, int block,
                                   Buffer max, Buffer sum, Buffer acc) {
        checkLinearSoftmaxPass(rows, in, vocab, block);
        int width = Math.min(block, vocab);
        try (Buffer logits = allocate(rows * width); Buffer rescale = allocate(rows)) {
            for (int v0 = 0; v0 < vocab; v0 += width) {
                int vb = Math.min(width, vocab - v0);
                boolean first = v0 == 0;
                gemm(false, true, rows, vb, in, 1f, x, xOff, in, w, wOff + v0 * in, in, 0f, logits, 0, vb);
                onlineSoftmaxBlock(logits, 0, rows, vb, max, sum, rescale, 0, first);
                if (acc == null) {
                    continue;
                }
                if (!first) {
                    broadcastBinary(Binary.MUL, new int[] {rows, in}, acc, 0, new int[] {in, 1}, rescale, 0,
                            new int[] {1, 0}, acc, 0);
                }
                gemm(false, false, rows, in, vb, 1f, logits, 0, vb, w, wOff + v0 * in, in, first ? 0f : 1f,
                        acc, 0, in);
            }
        }
    }

    /** The sizes {@link #linearSoftmaxPass} takes (every one positive), for each backend's implementation. */
    static void checkLinearSoftmaxPass(int rows, int in, int vocab, int block) {
        if (rows < 1 || in < 1 || vocab < 1 || block < 1) {
            throw new IllegalArgumentException("linearSoftmaxPass: rows " + rows + ", in " + in + ", vocab " + vocab
                    + " and block " + block + " must all be positive");
        }
    }

    /**
     * One block of columns of an online softmax, in place: each row of x [rows, cols] becomes
     * {@code exp(x - m)}, where m is the row's maximum over this block and the earlier ones. The per-row state
     * at {@code stateOff} carries m in {@code max} and {@code Σ exp(x - m)} over all blocks so far in
     * {@code sum}; {@code first} starts it from this block alone. Otherwise {@code rescale[r] = exp(m_old - m)}
     * is written: the factor every term kept from earlier blocks (such as a running {@code Σ exp(x - m)·v})
     * must be multiplied by, which {@code sum} already was ({@code sum·rescale + Σ}, two roundings).
     *
     * <p>The default composes the row primitives (one pass over x each); a backend may fuse them into one.
     */
    default void onlineSoftmaxBlock(Buffer x, int xOff, int rows, int cols, Buffer max, Buffer sum,
                                    Buffer rescale, int stateOff, boolean first) {
        int[] shape = {rows, cols};
        int[] rowMajor = {cols, 1};
        int[] perRow = {1, 0};
        if (first) {
            maxRows(x, xOff, rows, cols, max, stateOff);
            broadcastBinary(Binary.SUB, shape, x, xOff, rowMajor, max, stateOff, perRow, x, xOff);
            unary(Unary.EXP, x, xOff, x, xOff, rows * cols);
            sumRows(x, xOff, rows, cols, sum, stateOff, false);
            return;
        }
        try (Buffer newMax = allocate(Math.max(rows, 1))) {
            maxRows(x, xOff, rows, cols, newMax, 0);
            binary(Binary.MAX, max, stateOff, newMax, 0, newMax, 0, rows);
            binary(Binary.SUB, max, stateOff, newMax, 0, rescale, stateOff, rows);
            unary(Unary.EXP, rescale, stateOff, rescale, stateOff, rows);
            broadcastBinary(Binary.SUB, shape, x, xOff, rowMajor, newMax, 0, perRow, x, xOff);
            unary(Unary.EXP, x, xOff, x, xOff, rows * cols);
            binary(Binary.MUL, sum, stateOff, rescale, stateOff, sum, stateOff, rows);
            sumRows(x, xOff, rows, cols, sum, stateOff, true);
            copy(newMax, 0, max, stateOff, rows);
        }
    }

    /**
     * Fused softmax cross-entropy forward. For each row r with {@code targets[r] != ignoreIndex}:
     * {@code losses[r] = logsumexp(logits[r]) - logits[r, t]}; ignored rows get 0. {@code lse[r]} keeps
     * the log-sum-exp for the backward. A target outside [0, vocab) throws.
     */
    void crossEntropy(Buffer logits, int logitsOff, int[] targets, int ignoreIndex, int rows, int vocab,
                      Buffer losses, int lossesOff, Buffer lse, int lseOff);

    /**
     * {@code dlogits[r] += dLoss[0] * scale * (softmax(logits[r]) - onehot(t))} for counted rows; with a
     * mean loss, {@code scale = 1 / counted}. dLoss is a one-element device scalar.
     */
    void crossEntropyBackward(Buffer logits, int logitsOff, Buffer lse, int lseOff, int[] targets, int ignoreIndex,
                              int rows, int vocab, Buffer dLoss, int dLossOff, float scale,
                              Buffer dlogits, int dlogitsOff);

    // ---------------------------------------------------------------- attention

    /**
     * Fused attention, never materialising a tq×tk score matrix: for every head b &lt; bh and query i,
     * {@code out[b, i] = sum_j softmax_j(scale · q[b, i]·k[b, j]) · v[b, j]} and
     * {@code lse[b, i] = log sum_j exp(scale · q[b, i]·k[b, j])} (kept for the backward). q is [bh, tq, d],
     * k [bh, tk, d], v [bh, tk, dv], out [bh, tq, dv], lse [bh, tq], all contiguous at their offsets. With
     * {@code causal} (which needs tk &gt;= tq), query i sees only keys {@code j <= i + (tk - tq)}: the mask
     * with a cached prefix. A query with no keys (tk = 0) gets out = 0 and lse = -inf. out and lse are
     * overwritten.
     */
    default void attention(Buffer q, int qOff, Buffer k, int kOff, Buffer v, int vOff, int bh, int tq, int tk, int d,
                           int dv, float scale, boolean causal, Buffer out, int outOff, Buffer lse, int lseOff) {
        attention(q, qOff, AttentionLayout.contiguous(tq, d), k, kOff, AttentionLayout.contiguous(tk, d), v, vOff,
                AttentionLayout.contiguous(tk, dv), bh, tq, tk, d, dv, scale, causal, out, outOff,
                AttentionLayout.contiguous(tq, dv), lse, lseOff);
    }

    /**
     * {@link #attention} with each operand's rows where {@link AttentionLayout} says (q, k, v read in place from
     * a fused projection, out written where the next projection reads it). lse stays packed [bh, tq].
     */
    void attention(Buffer q, int qOff, AttentionLayout qLayout, Buffer k, int kOff, AttentionLayout kLayout,
                   Buffer v, int vOff, AttentionLayout vLayout, int bh, int tq, int tk, int d, int dv, float scale,
                   boolean causal, Buffer out, int outOff, AttentionLayout outLayout, Buffer lse, int lseOff);

    /**
     * Gradients of {@link #attention} from its inputs, its out and lse and {@code dOut} [bh, tq, dv],
     * recomputing the probabilities tile by tile. dq [bh, tq, d], dk [bh, tk, d] and dvOut [bh, tk, dv]
     * accumulate; each may be null. Deterministic: the same inputs give the same bits on every run.
     */
    default void attentionBackward(Buffer q, int qOff, Buffer k, int kOff, Buffer v, int vOff, Buffer out, int outOff,
                                   Buffer lse, int lseOff, Buffer dOut, int dOutOff, int bh, int tq, int tk, int d,
                                   int dv, float scale, boolean causal, Buffer dq, int dqOff, Buffer dk, int dkOff,
                                   Buffer dvOut, int dvOutOff) {
        AttentionLayout ql = AttentionLayout.contiguous(tq, d);
        AttentionLayout ol = AttentionLayout.contiguous(tq, dv);
        AttentionLayout kl = AttentionLayout.contiguous(tk, d);
        AttentionLayout vl = AttentionLayout.contiguous(tk, dv);
        attentionBackward(q, qOff, ql, k, kOff, kl, v, vOff, vl, out, outOff, ol, lse, lseOff, dOut, dOutOff, ol,
                bh, tq, tk, d, dv, scale, causal, dq, dqOff, dk, dkOff, dvOut, dvOutOff);
    }

    /**
     * {@link #attentionBackward} with laid-out operands (see {@link #attention(Buffer, int, AttentionLayout,
     * Buffer, int, AttentionLayout, Buffer, int, AttentionLayout, int, int, int, int, int, float, boolean, Buffer,
     * int, AttentionLayout, Buffer, int)}): dq, dk and dvOut accumulate in the layouts of q, k and v (so they may
     * share one buffer, as the gradient of a fused qkv does), dOut is laid out as {@code dOutLayout}.
     */
    void attentionBackward(Buffer q, int qOff, AttentionLayout qLayout, Buffer k, int kOff, AttentionLayout kLayout,
                           Buffer v, int vOff, AttentionLayout vLayout, Buffer out, int outOff, AttentionLayout outLayout,
                           Buffer lse, int lseOff, Buffer dOut, int dOutOff, AttentionLayout dOutLayout, int bh, int tq,
                           int tk, int d, int dv, float scale, boolean causal, Buffer dq, int dqOff, Buffer dk,
                           int dkOff, Buffer dvOut, int dvOutOff);

    // ---------------------------------------------------------------- normalisation

    /**
     * LayerNorm over rows of length cols: {@code y = (x - mean) * rstd * gamma + beta}; saves mean and
     * rstd per row for the backward. gamma/beta may be null (identity / zero).
     */
    void layerNorm(Buffer x, int xOff, Buffer gamma, int gammaOff, Buffer beta, int betaOff,
                   Buffer y, int yOff, Buffer mean, int meanOff, Buffer rstd, int rstdOff,
                   int rows, int cols, float eps);

    /** Gradients of {@link #layerNorm}; dx, dgamma and dbeta accumulate and each may be null. */
    void layerNormBackward(Buffer x, int xOff, Buffer gamma, int gammaOff, Buffer mean, int meanOff,
                           Buffer rstd, int rstdOff, Buffer dy, int dyOff,
                           Buffer dx, int dxOff, Buffer dgamma, int dgammaOff, Buffer dbeta, int dbetaOff,
                           int rows, int cols);

    /** RMSNorm: {@code y = x * rstd * gamma} with rstd = 1/sqrt(mean(x²) + eps), saved per row. */
    void rmsNorm(Buffer x, int xOff, Buffer gamma, int gammaOff, Buffer y, int yOff, Buffer rstd, int rstdOff,
                 int rows, int cols, float eps);

    /** Gradients of {@link #rmsNorm}; dx and dgamma accumulate and each may be null. */
    void rmsNormBackward(Buffer x, int xOff, Buffer gamma, int gammaOff, Buffer rstd, int rstdOff,
                         Buffer dy, int dyOff, Buffer dx, int dxOff, Buffer dgamma, int dgammaOff,
                         int rows, int cols);

    // ---------------------------------------------------------------- embeddings

    /** {@code out[i, :] = table[ids[i], :]}; an id outside [0, rows) throws naming it. */
    void embedding(Buffer table, int tableOff, int tableRows, int dim, int[] ids, Buffer out, int outOff);

    /** {@code dTable[ids[i], :] += dOut[i, :]} (scatter-add; repeated ids add up deterministically). */
    void embeddingBackward(Buffer dOut, int dOutOff, int[] ids, int dim, Buffer dTable, int dTableOff);

    // ---------------------------------------------------------------- optimizers (in place)

    /**
     * PyTorch's AdamW step {@code t} (1-based): p -= lr*wd*p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²;
     * p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps).
     */
    void adamW(Buffer param, int pOff, Buffer grad, int gOff, Buffer m, int mOff, Buffer v, int vOff, int n,
               float lr, float beta1, float beta2, float eps, float weightDecay, int step);

    /**
     * PyTorch's SGD: g' = g + wd*p; with momentum, buf = momentum*buf + (1-dampening)*g' (buf = g' on
     * the first step, signalled by {@code firstStep}); p -= lr * (nesterov ? g' + momentum*buf : buf).
     * {@code momentumBuf} may be null when momentum is 0.
     */
    void sgd(Buffer param, int pOff, Buffer grad, int gOff, Buffer momentumBuf, int bOff, int n,
             float lr, float momentum, float dampening, float weightDecay, boolean nesterov, boolean firstStep);

    /** Frees pooled resources; buffers from this backend become invalid. */
    @Override
    void close();
}
