package dev.peft4j.engine.nn;

import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Kernels;

/** Root-mean-square normalisation over the last axis (Llama): {@code x / rms(x) * weight}, weight ones. */
public class RMSNorm extends Module {

    private final int dim;
    private final float eps;

    public RMSNorm(Kernels k, int dim, float eps) {
        this(Tensor.ones(k, dim), eps);
    }

    /** Wraps an existing {@code weight} [dim]. */
    public RMSNorm(Tensor weight, float eps) {
        NormChecks.requireVector("RMSNorm", "weight", weight, weight.rank() == 1 ? weight.dim(0) : -1);
        NormChecks.requirePositive("RMSNorm", eps);
        this.dim = weight.dim(0);
        this.eps = eps;
        registerParameter("weight", weight);
    }

    @Override
    public Tensor forward(Tensor x) {
        NormChecks.requireLastDim("RMSNorm", dim, x);
        return Functional.rmsNorm(x, param("weight"), eps);
    }

    public Tensor weight() {
        return param("weight");
    }

    public float eps() {
        return eps;
    }

    @Override
    public String toString() {
        return "RMSNorm(" + dim + ", eps=" + eps + ")";
    }
}
