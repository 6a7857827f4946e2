package dev.peft4j.engine.nn;

import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Kernels;

import java.util.Arrays;

/**
 * {@code y = x Wᵀ + b} with {@code weight} stored [out, in] (PyTorch's layout, so checkpoints load
 * as they are). Default init is nn.Linear's: kaiming_uniform(a=√5) for the weight, which is
 * uniform(±1/√in), and uniform(±1/√in) for the bias.
 */
public class Linear extends Module implements LinearLayer {

    private final int inFeatures;
    private final int outFeatures;

    public Linear(Kernels k, int inFeatures, int outFeatures, boolean bias, Rng rng) {
        this(Tensor.of(k, rng.kaimingUniform(checkPositive(inFeatures, "inFeatures"), Math.sqrt(5),
                        Math.multiplyExact(checkPositive(outFeatures, "outFeatures"), inFeatures)),
                        outFeatures, inFeatures),
                bias ? Tensor.of(k, rng.uniform(outFeatures, -1 / Math.sqrt(inFeatures), 1 / Math.sqrt(inFeatures)),
                        outFeatures) : null);
    }

    /** Wraps existing tensors: {@code weight} [out, in] and an optional {@code bias} [out]. */
    public Linear(Tensor weight, Tensor bias) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("Linear: weight must be [out, in], got " + Arrays.toString(weight.shape()));
        }
        this.outFeatures = weight.dim(0);
        this.inFeatures = weight.dim(1);
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != outFeatures)) {
            throw new IllegalArgumentException("Linear: bias must be [" + outFeatures + "] for weight "
                    + Arrays.toString(weight.shape()) + ", got " + Arrays.toString(bias.shape()));
        }
        registerParameter("weight", weight);
        if (bias != null) {
            registerParameter("bias", bias);
        }
    }

    private static int checkPositive(int v, String name) {
        if (v <= 0) {
            throw new IllegalArgumentException("Linear: " + name + " must be > 0, got " + v);
        }
        return v;
    }

    /** {@code x}: [..., in] -> [..., out]. */
    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() == 0 || x.dim(-1) != inFeatures) {
            throw new IllegalArgumentException("Linear(" + inFeatures + " -> " + outFeatures + "): input "
                    + Arrays.toString(x.shape()) + " must end in " + inFeatures);
        }
        return Functional.linear(x, weight(), bias());
    }

    public Tensor weight() {
        return param("weight");
    }

    /** The bias, or null when the layer has none. */
    public Tensor bias() {
        return paramOrNull("bias");
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    /** nn.Linear stores its weight [out, in]. */
    @Override
    public boolean fanInFanOut() {
        return false;
    }

    /** A subclass may change the forward, so only Linear itself promises a plain affine map. */
    @Override
    public boolean plainAffine() {
        return getClass() == Linear.class;
    }

    @Override
    public String toString() {
        return "Linear(" + inFeatures + " -> " + outFeatures + (bias() != null ? ", bias" : "") + ")";
    }
}
