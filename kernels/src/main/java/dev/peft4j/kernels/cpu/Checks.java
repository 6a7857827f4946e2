package dev.peft4j.kernels.cpu;

import dev.peft4j.kernels.Buffer;

/** Argument checks shared by the CPU kernels; every message names the op and the argument at fault. */
final class Checks {

    private Checks() {
    }

    /** The heap array behind a CPU buffer; a buffer of another backend is rejected. */
    static float[] array(String op, String name, Buffer buffer) {
        if (buffer == null) {
            throw new IllegalArgumentException(op + ": buffer '" + name + "' is null");
        }
        if (buffer instanceof CpuBuffer cpu) {
            return cpu.array();
        }
        if (buffer instanceof Bf16Buffer) {
            throw new IllegalArgumentException(op + ": buffer '" + name + "' is bf16 (" + buffer.length()
                    + " elements); bf16 buffers only feed gemm's B operand, embedding's table and read/copy");
        }
        throw new IllegalArgumentException(op + ": buffer '" + name + "' belongs to another backend ("
                + buffer.getClass().getName() + "); the cpu backend computes only on its own CpuBuffer");
    }

    /** The bits behind a bf16 buffer, or null when {@code buffer} is not one (then use {@link #array}). */
    static short[] bf16OrNull(Buffer buffer) {
        return buffer instanceof Bf16Buffer h ? h.bits() : null;
    }

    /** Like {@link #array} but a null buffer means "not needed" and yields null. */
    static float[] optionalArray(String op, String name, Buffer buffer) {
        return buffer == null ? null : array(op, name, buffer);
    }

    /** {@link #array} and {@link #range} in one: the array behind {@code buffer}, holding {@code [off, off + len)}. */
    static float[] span(String op, String name, Buffer buffer, int off, long len) {
        float[] a = array(op, name, buffer);
        range(op, name, a, off, len);
        return a;
    }

    /** Like {@link #span} but a null buffer means "not needed" and yields null. */
    static float[] optionalSpan(String op, String name, Buffer buffer, int off, long len) {
        float[] a = optionalArray(op, name, buffer);
        range(op, name, a, off, len);
        return a;
    }

    /** Checks that {@code [off, off + len)} lies inside {@code a} (skipped when a is null). */
    static void range(String op, String name, float[] a, int off, long len) {
        if (a == null) {
            return;
        }
        if (len < 0) {
            throw new IllegalArgumentException(op + ": negative length " + len + " for '" + name + "'");
        }
        if (off < 0 || off + len > a.length) {
            throw new IndexOutOfBoundsException(op + ": '" + name + "' range [" + off + ", " + (off + len)
                    + ") lies outside its buffer of " + a.length + " floats");
        }
    }

    static void nonNegative(String op, String what, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(op + ": " + what + " must be >= 0, got " + value);
        }
    }

    /** Product of a shape's extents as a long, rejecting negative extents. */
    static long volume(String op, String name, int[] shape) {
        if (shape == null) {
            throw new IllegalArgumentException(op + ": shape '" + name + "' is null");
        }
        long v = 1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] < 0) {
                throw new IllegalArgumentException(op + ": " + name + "[" + d + "] = " + shape[d] + " is negative");
            }
            v *= shape[d];
        }
        return v;
    }

    /**
     * Checks that every element a strided view of {@code shape} touches lies inside {@code a}; strides may
     * be zero (broadcast) or negative.
     */
    static void stridedRange(String op, String name, float[] a, int off, int[] shape, int[] strides) {
        if (strides == null || strides.length != shape.length) {
            throw new IllegalArgumentException(op + ": '" + name + "' has " + (strides == null ? "no" : strides.length)
                    + " strides for a rank-" + shape.length + " shape");
        }
        long lo = off;
        long hi = off;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) {
                return; // an empty view touches nothing
            }
            long reach = (long) (shape[d] - 1) * strides[d];
            if (reach < 0) {
                lo += reach;
            } else {
                hi += reach;
            }
        }
        if (lo < 0 || hi >= a.length) {
            throw new IndexOutOfBoundsException(op + ": strided view '" + name + "' reaches [" + lo + ", " + hi
                    + "] outside its buffer of " + a.length + " floats");
        }
    }
}
