package dev.peft4j.kernels.cpu;

import java.util.Arrays;

/**
 * The loop nest of a multi-operand strided op, simplified: extent-1 axes are dropped and neighbouring
 * axes merge when every operand walks them as one (outer stride = inner stride * inner extent). A
 * permuted or broadcast view of rank 4 often collapses to rank 1 or 2, so the innermost loop gets long.
 *
 * @param shape   extents of the remaining axes, outermost first (rank 0 means one element)
 * @param strides {@code strides[operand][axis]}
 */
record StridedLayout(int[] shape, int[][] strides) {

    /** Coalesces {@code shape}; each element of {@code operandStrides} holds one operand's strides. */
    static StridedLayout of(int[] shape, int[]... operandStrides) {
        int rank = shape.length;
        int ops = operandStrides.length;
        int[] outShape = new int[rank];
        int[][] outStrides = new int[ops][rank];
        int kept = 0;
        for (int d = 0; d < rank; d++) {
            if (shape[d] == 1) {
                continue;
            }
            if (kept > 0 && mergesWithPrevious(shape[d], d, kept - 1, operandStrides, outStrides)) {
                outShape[kept - 1] *= shape[d];
                for (int o = 0; o < ops; o++) {
                    outStrides[o][kept - 1] = operandStrides[o][d];
                }
                continue;
            }
            outShape[kept] = shape[d];
            for (int o = 0; o < ops; o++) {
                outStrides[o][kept] = operandStrides[o][d];
            }
            kept++;
        }
        int[][] trimmed = new int[ops][];
        for (int o = 0; o < ops; o++) {
            trimmed[o] = Arrays.copyOf(outStrides[o], kept);
        }
        return new StridedLayout(Arrays.copyOf(outShape, kept), trimmed);
    }

    private static boolean mergesWithPrevious(int extent, int axis, int previous, int[][] strides, int[][] outStrides) {
        for (int o = 0; o < strides.length; o++) {
            if ((long) outStrides[o][previous] != (long) strides[o][axis] * extent) {
                return false;
            }
        }
        return true;
    }

    /** Row-major (contiguous) strides of {@code shape}. */
    static int[] rowMajorStrides(int[] shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = s;
            s *= shape[d];
        }
        return strides;
    }

    int rank() {
        return shape.length;
    }

    /** Length of the innermost loop (1 for rank 0). */
    int innerLength() {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    /** Number of innermost rows: the product of all extents but the last. */
    int outerCount() {
        int count = 1;
        for (int d = 0; d < shape.length - 1; d++) {
            count *= shape[d];
        }
        return count;
    }

    /** Innermost stride of an operand (irrelevant, reported as 1, at rank 0). */
    int innerStride(int operand) {
        return shape.length == 0 ? 1 : strides[operand][shape.length - 1];
    }

    /** Offset of an operand's innermost row number {@code row} (row-major over the outer axes). */
    int rowOffset(int operand, int row) {
        int offset = 0;
        int[] s = strides[operand];
        for (int d = shape.length - 2; d >= 0; d--) {
            int extent = shape[d];
            offset += (row % extent) * s[d];
            row /= extent;
        }
        return offset;
    }
}
