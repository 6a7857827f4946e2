package dev.peft4j.engine;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;

/**
 * LayerNorm and RMSNorm over the last axis with the kernels' fused forward (which saves per-row mean and
 * rstd) and fused backward (dx, dgamma, dbeta each only when required).
 */
final class NormOps {

    private NormOps() {
    }

    static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        int cols = checkParam("layerNorm", "gamma", x, gamma);
        checkParam("layerNorm", "beta", x, beta);
        Tensor xc = x.contiguous();
        Tensor g = gamma == null ? null : gamma.contiguous();
        Tensor b = beta == null ? null : beta.contiguous();
        int rows = cols == 0 ? 0 : xc.numel() / cols;
        Kernels k = x.kernels();
        Tensor y = x.newZeros(x.shapeRef());
        Buffer mean = k.allocate(Math.max(rows, 1));
        Buffer rstd = k.allocate(Math.max(rows, 1));
        k.layerNorm(xc.buffer(), xc.offset(), buf(g), off(g), buf(b), off(b), y.buffer(), 0,
                mean, 0, rstd, 0, rows, cols, eps);
        StepScope.ownSaved(Autograd.needsRecording(xc, g, b), mean, rstd); // row statistics for backward
        return Autograd.recordReading(new Tensor[] {xc, g}, y, "layerNorm", gy -> {
            Tensor dx = xc.requiresGrad() ? xc.gradSink() : null;
            Tensor dg = g != null && g.requiresGrad() ? g.gradSink() : null;
            Tensor db = b != null && b.requiresGrad() ? b.gradSink() : null;
            k.layerNormBackward(xc.buffer(), xc.offset(), buf(g), off(g), mean, 0, rstd, 0, gy.buffer(), gy.offset(),
                    buf(dx), off(dx), buf(dg), off(dg), buf(db), off(db), rows, cols);
        }, xc, g, b);
    }

    static Tensor rmsNorm(Tensor x, Tensor gamma, float eps) {
        int cols = checkParam("rmsNorm", "gamma", x, gamma);
        Tensor xc = x.contiguous();
        Tensor g = gamma == null ? null : gamma.contiguous();
        int rows = cols == 0 ? 0 : xc.numel() / cols;
        Kernels k = x.kernels();
        Tensor y = x.newZeros(x.shapeRef());
        Buffer rstd = k.allocate(Math.max(rows, 1));
        k.rmsNorm(xc.buffer(), xc.offset(), buf(g), off(g), y.buffer(), 0, rstd, 0, rows, cols, eps);
        StepScope.ownSaved(Autograd.needsRecording(xc, g), rstd);
        return Autograd.recordReading(new Tensor[] {xc, g}, y, "rmsNorm", gy -> {
            Tensor dx = xc.requiresGrad() ? xc.gradSink() : null;
            Tensor dg = g != null && g.requiresGrad() ? g.gradSink() : null;
            k.rmsNormBackward(xc.buffer(), xc.offset(), buf(g), off(g), rstd, 0, gy.buffer(), gy.offset(),
                    buf(dx), off(dx), buf(dg), off(dg), rows, cols);
        }, xc, g);
    }

    /** Validates x's rank and an optional per-feature parameter; returns the normalised size. */
    private static int checkParam(String op, String name, Tensor x, Tensor param) {
        if (x.rank() == 0) {
            throw new IllegalArgumentException(op + ": needs at least one axis, got a scalar");
        }
        int cols = x.dim(-1);
        if (param != null) {
            x.requireSameBackend(op, param);
            if (param.numel() != cols || param.rank() != 1) {
                throw new IllegalArgumentException(op + ": " + name + " " + Shapes.str(param.shapeRef())
                        + " does not match the normalised dimension " + cols + " of x " + Shapes.str(x.shapeRef()));
            }
        }
        return cols;
    }

    private static Buffer buf(Tensor t) {
        return t == null ? null : t.buffer();
    }

    private static int off(Tensor t) {
        return t == null ? 0 : t.offset();
    }
}
