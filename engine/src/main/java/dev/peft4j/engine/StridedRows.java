package dev.peft4j.engine;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * Copies (or adds) a block of rows between two row-strided regions, the one move {@code stridedCopy}
 * cannot make because its destination is always dense: slice backward, cat forward and backward.
 *
 * <p>It runs as one batched GEMM with k = 1: batch element r computes {@code dst[r] = 1 · src[r] (+ dst[r])}
 * for a 1×cols row, with the batch strides as row strides. One kernel launch, any backend, exact
 * (multiplying by 1 and adding is what a copy or an accumulate would do).
 */
final class StridedRows {

    private static final Map<Kernels, Buffer> ONES = new WeakHashMap<>();

    private StridedRows() {
    }

    static void copy(Kernels k, int rows, int cols, Buffer src, int srcOff, int srcRowStride,
                     Buffer dst, int dstOff, int dstRowStride, boolean accumulate) {
        if (rows == 0 || cols == 0) {
            return;
        }
        if (rows == 1 || (srcRowStride == cols && dstRowStride == cols)) {
            int n = rows * cols;
            if (accumulate) {
                k.axpy(1f, src, srcOff, dst, dstOff, n);
            } else {
                k.copy(src, srcOff, dst, dstOff, n);
            }
            return;
        }
        k.gemm(false, false, 1, cols, 1, 1f,
                one(k), 0, 1, 0,
                src, srcOff, cols, srcRowStride,
                accumulate ? 1f : 0f, dst, dstOff, cols, dstRowStride, rows);
    }

    private static Buffer one(Kernels k) {
        synchronized (ONES) {
            return ONES.computeIfAbsent(k, kk -> kk.upload(new float[] {1f}, 0, 1));
        }
    }
}
