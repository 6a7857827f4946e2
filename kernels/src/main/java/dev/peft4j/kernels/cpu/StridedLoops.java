package dev.peft4j.kernels.cpu;

import dev.peft4j.kernels.Binary;
import java.util.Arrays;

/**
 * Gathers and broadcasting binary ops over strided views. The layout is coalesced first; threads split
 * the innermost rows, and each row takes a SIMD path when its operands are contiguous or broadcast.
 */
final class StridedLoops {

    private final Parallel parallel;

    StridedLoops(Parallel parallel) {
        this.parallel = parallel;
    }

    void stridedCopy(int[] shape, float[] src, int srcOff, int[] srcStrides, float[] dst, int dstOff) {
        StridedLayout layout = StridedLayout.of(shape, srcStrides, StridedLayout.rowMajorStrides(shape));
        int inner = layout.innerLength();
        int srcStep = layout.innerStride(0);
        parallel.forRange(layout.outerCount(), inner, (from, to) -> {
            for (int row = from; row < to; row++) {
                int s = srcOff + layout.rowOffset(0, row);
                int d = dstOff + layout.rowOffset(1, row);
                if (srcStep == 1) {
                    System.arraycopy(src, s, dst, d, inner);
                } else if (srcStep == 0) {
                    Arrays.fill(dst, d, d + inner, src[s]);
                } else {
                    for (int i = 0; i < inner; i++, s += srcStep) {
                        dst[d + i] = src[s];
                    }
                }
            }
        });
    }

    void broadcastBinary(Binary op, int[] shape, float[] a, int aOff, int[] aStrides,
                         float[] b, int bOff, int[] bStrides, float[] out, int outOff) {
        StridedLayout layout = StridedLayout.of(shape, aStrides, bStrides, StridedLayout.rowMajorStrides(shape));
        int inner = layout.innerLength();
        int aStep = layout.innerStride(0);
        int bStep = layout.innerStride(1);
        parallel.forRange(layout.outerCount(), inner, (from, to) -> {
            for (int row = from; row < to; row++) {
                int ai = aOff + layout.rowOffset(0, row);
                int bi = bOff + layout.rowOffset(1, row);
                int oi = outOff + layout.rowOffset(2, row);
                if (aStep == 1 && bStep == 1) {
                    BinaryLoops.apply(op, a, ai, b, bi, out, oi, inner);
                } else if (aStep == 1 && bStep == 0) {
                    BinaryLoops.applyScalarB(op, a, ai, b[bi], out, oi, inner);
                } else if (aStep == 0 && bStep == 1) {
                    BinaryLoops.applyScalarA(op, a[ai], b, bi, out, oi, inner);
                } else {
                    for (int i = 0; i < inner; i++, ai += aStep, bi += bStep) {
                        out[oi + i] = UnaryMath.apply(op, a[ai], b[bi]);
                    }
                }
            }
        });
    }
}
