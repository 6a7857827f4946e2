package dev.peft4j.engine;

import dev.peft4j.kernels.Binary;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.Unary;

import java.util.Arrays;

/**
 * Elementwise ops: broadcasting add/sub/mul/div (any layout, via {@code broadcastBinary} with stride-0
 * axes), {@code alpha·x + beta}, and the unary functions. A broadcast operand's gradient is summed back
 * to its shape ({@code sumTo}).
 */
final class ElementwiseOps {

    private ElementwiseOps() {
    }

    static Tensor add(Tensor a, Tensor b) {
        Tensor out = binary("add", Binary.ADD, a, b);
        int[] s = out.shapeRef();
        // Rules that only accumulate into an input capture its autograd slot, never its data.
        GradSlot sa = a.slot();
        GradSlot sb = b.slot();
        return Autograd.recordReading(Autograd.NOTHING, out, "add", gy -> {
            ViewOps.reduceInto(sa, gy, s);
            ViewOps.reduceInto(sb, gy, s);
        }, a, b);
    }

    static Tensor sub(Tensor a, Tensor b) {
        Tensor out = binary("sub", Binary.SUB, a, b);
        int[] s = out.shapeRef();
        GradSlot sa = a.slot();
        GradSlot sb = b.slot();
        return Autograd.recordReading(Autograd.NOTHING, out, "sub", gy -> {
            ViewOps.reduceInto(sa, gy, s);
            if (sb.requiresGrad()) {
                Tensor neg = scaled(gy, -1f);
                ViewOps.reduceInto(sb, neg, s);
                neg.buffer().close();
            }
        }, a, b);
    }

    static Tensor mul(Tensor a, Tensor b) {
        Tensor out = binary("mul", Binary.MUL, a, b);
        int[] s = out.shapeRef();
        // Each operand is saved only if the other one needs a gradient.
        Tensor savedA = b.requiresGrad() ? a : null;
        Tensor savedB = a.requiresGrad() ? b : null;
        GradSlot sa = a.slot();
        GradSlot sb = b.slot();
        return Autograd.recordReading(new Tensor[] {savedA, savedB}, out, "mul", gy -> {
            if (sa.requiresGrad()) {
                Tensor t = broadcastInto(Binary.MUL, s, gy, savedB);
                ViewOps.reduceInto(sa, t, s);
                t.buffer().close();
            }
            if (sb.requiresGrad()) {
                Tensor t = broadcastInto(Binary.MUL, s, gy, savedA);
                ViewOps.reduceInto(sb, t, s);
                t.buffer().close();
            }
        }, a, b);
    }

    static Tensor div(Tensor a, Tensor b) {
        Tensor out = binary("div", Binary.DIV, a, b);
        int[] s = out.shapeRef();
        Tensor savedOut = b.requiresGrad() ? out.detach() : null;
        return Autograd.record(out, "div", gy -> {
            // d(a/b)/da = 1/b;  d(a/b)/db = -(a/b)/b = -out/b.
            Tensor gOverB = broadcastInto(Binary.DIV, s, gy, b);
            ViewOps.reduceInto(a, gOverB, s);
            if (b.requiresGrad()) {
                Kernels k = gy.kernels();
                k.binary(Binary.MUL, gOverB.buffer(), 0, savedOut.buffer(), savedOut.offset(), gOverB.buffer(), 0,
                        gOverB.numel());
                k.unary(Unary.NEG, gOverB.buffer(), 0, gOverB.buffer(), 0, gOverB.numel());
                ViewOps.reduceInto(b, gOverB, s);
            }
            gOverB.buffer().close();
        }, a, b);
    }

    /** {@code y = alpha * x + beta}. */
    static Tensor affine(Tensor x, float alpha, float beta) {
        Tensor xc = x.isContiguous() ? x : ViewOps.materialize(x);
        Tensor out = x.newZeros(x.shapeRef());
        x.kernels().scale(xc.buffer(), xc.offset(), alpha, beta, out.buffer(), 0, out.numel());
        GradSlot sx = x.slot();
        return Autograd.recordReading(Autograd.NOTHING, out, "affine", gy -> {
            if (sx.requiresGrad()) {
                Tensor dx = sx.gradSink();
                sx.kernels().axpy(alpha, gy.buffer(), gy.offset(), dx.buffer(), dx.offset(), dx.numel());
            }
        }, x);
    }

    static Tensor unary(Tensor x, Unary op) {
        Tensor xc = x.isContiguous() ? x : ViewOps.materialize(x);
        Tensor out = x.newZeros(x.shapeRef());
        x.kernels().unary(op, xc.buffer(), xc.offset(), out.buffer(), 0, out.numel());
        String name = op.name().toLowerCase();
        return Autograd.recordReading(new Tensor[] {xc}, out, name, gy -> {
            if (x.requiresGrad()) {
                Tensor dx = x.gradSink();
                x.kernels().unaryBackward(op, xc.buffer(), xc.offset(), gy.buffer(), gy.offset(),
                        dx.buffer(), dx.offset(), dx.numel());
            }
        }, x);
    }

    /** The forward of a broadcasting binary op into a fresh contiguous tensor. */
    private static Tensor binary(String name, Binary op, Tensor a, Tensor b) {
        a.requireSameBackend(name, b);
        int[] shape = Shapes.broadcast(name, a.shapeRef(), b.shapeRef());
        Tensor out = a.newZeros(shape);
        Kernels k = a.kernels();
        if (Arrays.equals(a.shapeRef(), b.shapeRef()) && a.isContiguous() && b.isContiguous()) {
            k.binary(op, a.buffer(), a.offset(), b.buffer(), b.offset(), out.buffer(), 0, out.numel());
        } else {
            int[] s = Shapes.atLeast1(shape);
            k.broadcastBinary(op, s,
                    a.buffer(), a.offset(), Shapes.broadcastStrides(a.shapeRef(), a.stridesRef(), s),
                    b.buffer(), b.offset(), Shapes.broadcastStrides(b.shapeRef(), b.stridesRef(), s),
                    out.buffer(), 0);
        }
        return out;
    }

    /** {@code op(g, other broadcast to shape)} into a fresh tensor; g is contiguous of {@code shape}. */
    private static Tensor broadcastInto(Binary op, int[] shape, Tensor g, Tensor other) {
        Tensor out = g.newZeros(shape);
        int[] s = Shapes.atLeast1(shape);
        g.kernels().broadcastBinary(op, s, g.buffer(), g.offset(), Shapes.rowMajorStrides(s),
                other.buffer(), other.offset(), Shapes.broadcastStrides(other.shapeRef(), other.stridesRef(), s),
                out.buffer(), 0);
        return out;
    }

    private static Tensor scaled(Tensor g, float alpha) {
        Tensor out = g.newZeros(g.shapeRef());
        g.kernels().scale(g.buffer(), g.offset(), alpha, 0f, out.buffer(), 0, out.numel());
        return out;
    }
}
