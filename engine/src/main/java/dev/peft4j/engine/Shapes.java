package dev.peft4j.engine;

import java.util.Arrays;

/** Shape arithmetic shared by the ops: element counts, row-major strides, broadcasting, axis checks. */
final class Shapes {

    private Shapes() {
    }

    static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds more than 2^31-1 elements");
        }
        return (int) n;
    }

    static int[] rowMajorStrides(int[] shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }

    static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    /** Resolves a possibly negative axis against a rank, naming the op on failure. */
    static int axis(String op, int axis, int rank, int[] shape) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(op + ": axis " + axis + " out of range for shape " + str(shape));
        }
        return a;
    }

    /** The NumPy broadcast of two shapes, or an error naming the op and both shapes. */
    static int[] broadcast(String op, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes do not broadcast: " + str(a) + " and " + str(b));
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** {@code shape} left-padded with ones to {@code rank}. */
    static int[] padLeft(int[] shape, int rank) {
        int[] out = new int[rank];
        Arrays.fill(out, 1);
        System.arraycopy(shape, 0, out, rank - shape.length, shape.length);
        return out;
    }

    /** Strides that read a tensor as if expanded to {@code outShape}: stride 0 on broadcast axes. */
    static int[] broadcastStrides(int[] shape, int[] strides, int[] outShape) {
        int rank = outShape.length;
        int lead = rank - shape.length;
        int[] out = new int[rank];
        for (int i = lead; i < rank; i++) {
            out[i] = shape[i - lead] == 1 && outShape[i] != 1 ? 0 : strides[i - lead];
        }
        return out;
    }

    /** Kernels take at least one axis; a rank-0 scalar travels as shape [1]. */
    static int[] atLeast1(int[] shape) {
        return shape.length == 0 ? new int[] {1} : shape;
    }

    static int[] atLeast1Strides(int[] strides) {
        return strides.length == 0 ? new int[] {1} : strides;
    }

    static int product(int[] shape, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= shape[i];
        }
        return p;
    }
}
