package dev.peft4j.engine;

/**
 * How a tensor of shape [..., rows, cols] can be handed to GEMM without copying: stored row-major
 * ({@code trans = false}, row stride {@code ld}) or as the transpose of a row-major matrix
 * ({@code trans = true}, {@code ld} the stored matrix's row stride), with all leading axes collapsing into
 * one batch axis of stride {@code batchStride}.
 */
record MatrixLayout(boolean trans, int ld, int batchStride, int batch) {

    /** The layout of {@code t}, or null when GEMM cannot read it in place (call {@code contiguous()}). */
    static MatrixLayout of(Tensor t) {
        int[] shape = t.shapeRef();
        int[] strides = t.stridesRef();
        int rank = shape.length;
        int rows = shape[rank - 2];
        int cols = shape[rank - 1];
        int rs = strides[rank - 2];
        int cs = strides[rank - 1];
        boolean trans;
        int ld;
        if ((cs == 1 || cols == 1) && (rows == 1 || rs >= cols)) {
            trans = false;
            ld = rows == 1 ? Math.max(cols, 1) : rs;
        } else if ((rs == 1 || rows == 1) && (cols == 1 || cs >= rows)) {
            trans = true;
            ld = cols == 1 ? Math.max(rows, 1) : cs;
        } else {
            return null;
        }
        // Leading axes must form one arithmetic progression (size-1 axes are free).
        int batch = 1;
        int batchStride = 0;
        int expectedNext = -1;
        for (int i = rank - 3; i >= 0; i--) {
            if (shape[i] == 1) {
                continue;
            }
            if (batch == 1) {
                batchStride = strides[i];
            } else if (strides[i] != expectedNext) {
                return null;
            }
            batch *= shape[i];
            expectedNext = strides[i] * shape[i];
        }
        if (batch > 1 && batchStride == 0) {
            return null; // an expanded batch would make GEMM outputs alias
        }
        return new MatrixLayout(trans, ld, batchStride, batch);
    }
}
