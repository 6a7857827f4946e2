package dev.peft4j.engine.nn;

import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Kernels;

/** Layer normalisation over the last axis with {@code weight} (ones) and optional {@code bias} (zeros). */
public class LayerNorm extends Module {

    private final int dim;
    private final float eps;

    /** nn.LayerNorm(dim, eps) with an affine weight and bias. */
    public LayerNorm(Kernels k, int dim, float eps) {
        this(k, dim, eps, true);
    }

    public LayerNorm(Kernels k, int dim, float eps, boolean bias) {
        this(Tensor.ones(k, dim), bias ? Tensor.zeros(k, dim) : null, eps);
    }

    /** Wraps existing {@code weight} [dim] and optional {@code bias} [dim]. */
    public LayerNorm(Tensor weight, Tensor bias, float eps) {
        NormChecks.requireVector("LayerNorm", "weight", weight, weight.rank() == 1 ? weight.dim(0) : -1);
        this.dim = weight.dim(0);
        if (bias != null) {
            NormChecks.requireVector("LayerNorm", "bias", bias, dim);
        }
        NormChecks.requirePositive("LayerNorm", eps);
        this.eps = eps;
        registerParameter("weight", weight);
        if (bias != null) {
            registerParameter("bias", bias);
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        NormChecks.requireLastDim("LayerNorm", dim, x);
        return Functional.layerNorm(x, param("weight"), paramOrNull("bias"), eps);
    }

    public Tensor weight() {
        return param("weight");
    }

    public Tensor bias() {
        return paramOrNull("bias");
    }

    public float eps() {
        return eps;
    }

    @Override
    public String toString() {
        return "LayerNorm(" + dim + ", eps=" + eps + ")";
    }
}
