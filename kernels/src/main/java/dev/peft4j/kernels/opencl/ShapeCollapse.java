package dev.peft4j.kernels.opencl;

import java.util.Arrays;

/**
 * Fits strided loop nests into the kernels' fixed rank-8 {@code int8} arguments: extent-1 axes are
 * dropped and neighbouring axes merge when every operand walks them as one; the result is padded at
 * the front with extent 1, stride 0.
 */
final class ShapeCollapse {

    static final int RANK = 8;

    /** A padded loop nest over a contiguous output; {@code strides[operand]}. */
    record Strided(int[] shape, int[][] strides, long total) {
    }

    /** A padded sum-to: contiguous source, destination extents equal to the source's or 1. */
    record Reduction(int[] srcShape, int[] srcStrides, int[] dstShape, long dstTotal) {
    }

    private ShapeCollapse() {
    }

    static Strided strided(String op, int[] shape, int[]... operandStrides) {
        for (int[] s : operandStrides) {
            if (s.length != shape.length) {
                throw new IllegalArgumentException(op + ": strides " + Arrays.toString(s) + " do not match the rank of shape "
                        + Arrays.toString(shape));
            }
        }
        long total = product(op, shape);
        int ops = operandStrides.length;
        int[] outShape = new int[shape.length];
        int[][] outStrides = new int[ops][shape.length];
        int kept = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;
            if (kept > 0 && merges(operandStrides, outStrides, d, kept - 1, shape[d])) {
                outShape[kept - 1] *= shape[d];
                for (int o = 0; o < ops; o++) outStrides[o][kept - 1] = operandStrides[o][d];
                continue;
            }
            outShape[kept] = shape[d];
            for (int o = 0; o < ops; o++) outStrides[o][kept] = operandStrides[o][d];
            kept++;
        }
        if (kept > RANK) {
            throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape) + " needs " + kept
                    + " axes after merging; the OpenCL kernels take at most " + RANK);
        }
        int[][] padded = new int[ops][];
        for (int o = 0; o < ops; o++) padded[o] = pad(outStrides[o], kept, 0);
        return new Strided(pad(outShape, kept, 1), padded, total);
    }

    static Reduction sumTo(String op, int[] srcShape, int[] dstShape) {
        if (srcShape.length != dstShape.length) {
            throw new IllegalArgumentException(op + ": source shape " + Arrays.toString(srcShape)
                    + " and destination shape " + Arrays.toString(dstShape) + " differ in rank");
        }
        product(op, srcShape);
        int[] src = new int[srcShape.length];
        int[] dst = new int[srcShape.length];
        int kept = 0;
        boolean lastReduced = false;
        for (int d = 0; d < srcShape.length; d++) {
            if (dstShape[d] != srcShape[d] && dstShape[d] != 1) {
                throw new IllegalArgumentException(op + ": destination shape " + Arrays.toString(dstShape)
                        + " cannot be reached from " + Arrays.toString(srcShape) + " (axis " + d + ")");
            }
            if (srcShape[d] == 1) continue;
            boolean reduced = dstShape[d] == 1;
            if (kept > 0 && reduced == lastReduced) { // contiguous source: same-kind neighbours merge
                src[kept - 1] *= srcShape[d];
                dst[kept - 1] = reduced ? 1 : src[kept - 1];
                continue;
            }
            src[kept] = srcShape[d];
            dst[kept] = dstShape[d];
            lastReduced = reduced;
            kept++;
        }
        if (kept > RANK) {
            throw new IllegalArgumentException(op + ": shape " + Arrays.toString(srcShape) + " needs " + kept
                    + " alternating axes; the OpenCL kernels take at most " + RANK);
        }
        int[] srcPadded = pad(src, kept, 1);
        int[] dstPadded = pad(dst, kept, 1);
        int[] strides = new int[RANK];
        int s = 1;
        for (int d = RANK - 1; d >= 0; d--) {
            strides[d] = s;
            s *= srcPadded[d];
        }
        long dstTotal = 1;
        for (int v : dstPadded) dstTotal *= v;
        return new Reduction(srcPadded, strides, dstPadded, dstTotal);
    }

    private static boolean merges(int[][] strides, int[][] outStrides, int axis, int previous, int extent) {
        for (int o = 0; o < strides.length; o++) {
            if ((long) outStrides[o][previous] != (long) strides[o][axis] * extent) return false;
        }
        return true;
    }

    private static int[] pad(int[] values, int kept, int fill) {
        int[] out = new int[RANK];
        Arrays.fill(out, 0, RANK - kept, fill);
        System.arraycopy(values, 0, out, RANK - kept, kept);
        return out;
    }

    private static long product(String op, int[] shape) {
        long total = 1;
        for (int v : shape) {
            if (v < 0) throw new IllegalArgumentException(op + ": negative extent in shape " + Arrays.toString(shape));
            total *= v;
        }
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape) + " has more than 2^31-1 elements");
        }
        return total;
    }
}
