package dev.peft4j.kernels.opencl;

import dev.peft4j.kernels.Buffer;

/** Argument checks whose messages name the op, the operand and the range at fault. */
final class Args {

    private Args() {
    }

    /** The buffer as this backend's type; fails on foreign, closed or null buffers. */
    static OpenClBuffer buf(OpenClKernels owner, String op, String name, Buffer b) {
        if (b == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (!(b instanceof OpenClBuffer cl) || cl.pool() != owner.pool()) {
            throw new IllegalArgumentException(op + ": " + name + " (" + b + ") was not allocated by this OpenCL backend");
        }
        if (cl.isClosed()) throw new IllegalStateException(op + ": " + name + " was used after close()");
        return cl;
    }

    /** Like {@link #buf} but null passes through (an optional operand). */
    static OpenClBuffer optional(OpenClKernels owner, String op, String name, Buffer b) {
        return b == null ? null : buf(owner, op, name, b);
    }

    /** {@link #buf} and {@link #range} in one: the buffer as this backend's type, holding {@code [off, off + len)}. */
    static OpenClBuffer span(OpenClKernels owner, String op, String name, Buffer b, int off, long len) {
        OpenClBuffer cl = buf(owner, op, name, b);
        range(op, name, cl, off, len);
        return cl;
    }

    /** Like {@link #span} but null passes through (an optional operand). */
    static OpenClBuffer optionalSpan(OpenClKernels owner, String op, String name, Buffer b, int off, long len) {
        OpenClBuffer cl = optional(owner, op, name, b);
        range(op, name, cl, off, len);
        return cl;
    }

    /** {@code [off, off + len)} must lie inside the buffer. */
    static void range(String op, String name, Buffer b, int off, long len) {
        if (b == null) return;
        if (off < 0 || len < 0 || off + len > b.length()) {
            throw new IllegalArgumentException(op + ": " + name + " range [" + off + ", " + (off + len)
                    + ") is outside its buffer of " + b.length() + " floats");
        }
    }

    static void range(String op, String name, float[] host, int off, int len) {
        if (host == null) throw new IllegalArgumentException(op + ": host array " + name + " is null");
        if (off < 0 || len < 0 || (long) off + len > host.length) {
            throw new IllegalArgumentException(op + ": host " + name + " range [" + off + ", " + ((long) off + len)
                    + ") is outside its array of " + host.length + " floats");
        }
    }

    /** A stored rows×cols row-major matrix with row stride {@code ld} at {@code off} lies inside the buffer. */
    static void matrix(String op, String name, OpenClBuffer b, int off, int ld, int rows, int cols) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException(op + ": ld" + name + " = " + ld + " is smaller than the " + cols
                    + " columns of the stored " + rows + "x" + cols + " matrix '" + name + "'");
        }
        if (rows == 0 || cols == 0) return;
        long last = off + (long) (rows - 1) * ld + cols;
        if (off < 0 || last > b.length()) {
            throw new IllegalArgumentException(op + ": " + rows + "x" + cols + " matrix '" + name + "' (ld " + ld
                    + ") at offset " + off + " reaches float " + last + " of a buffer of " + b.length());
        }
    }

    static void nonNegative(String op, String name, long v) {
        if (v < 0) throw new IllegalArgumentException(op + ": " + name + " must be >= 0, got " + v);
    }

    /** Every id in {@code [0, limit)}; the message names the first one that is not. */
    static void ids(String op, String what, int[] ids, int count, long limit) {
        if (ids == null || ids.length < count) {
            throw new IllegalArgumentException(op + ": need " + count + " " + what + ", got "
                    + (ids == null ? "null" : ids.length));
        }
        for (int i = 0; i < count; i++) {
            if (ids[i] < 0 || ids[i] >= limit) {
                throw new IllegalArgumentException(op + ": " + what + "[" + i + "] = " + ids[i] + " outside [0, " + limit + ")");
            }
        }
    }
}
