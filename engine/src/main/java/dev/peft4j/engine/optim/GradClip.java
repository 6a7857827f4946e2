package dev.peft4j.engine.optim;

import dev.peft4j.engine.Tensor;

import java.util.List;

/** Gradient clipping as {@code torch.nn.utils.clip_grad_norm_} does it. */
public final class GradClip {

    private GradClip() {
    }

    /**
     * Scales every gradient by {@code maxNorm / (total + 1e-6)} when that is below 1, where {@code total}
     * is the 2-norm of all gradients taken together; parameters without a gradient are ignored. Returns
     * the total norm before clipping. A non-finite total is returned without scaling, so the caller can
     * detect it and skip the step.
     */
    public static double clipGlobalNorm(List<Tensor> params, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("clipGlobalNorm: maxNorm must be > 0, got " + maxNorm);
        }
        double total = globalNorm(params);
        double coef = maxNorm / (total + 1e-6);
        if (Double.isFinite(total) && coef < 1.0) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g != null) {
                    g.kernels().scale(g.buffer(), g.offset(), (float) coef, 0f, g.buffer(), g.offset(), g.numel());
                }
            }
        }
        return total;
    }

    /** The 2-norm of all gradients together, accumulated in float64. */
    public static double globalNorm(List<Tensor> params) {
        double sumSquares = 0;
        for (int i = 0; i < params.size(); i++) {
            Tensor g = params.get(i).grad();
            if (g == null) {
                continue;
            }
            if (!g.isContiguous()) {
                throw new IllegalStateException("clipGlobalNorm: the gradient of parameter " + i
                        + " is not contiguous");
            }
            sumSquares += g.kernels().sumOfSquares(g.buffer(), g.offset(), g.numel());
        }
        return Math.sqrt(sumSquares);
    }
}
