package dev.peft4j.models.gpt2;

import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.kernels.Unary;

import java.util.Arrays;

/**
 * Hugging Face's GPT-2 {@code Conv1D}: a linear layer whose weight is stored [in, out] (the transpose of
 * {@code nn.Linear}), kept as stored so parameter names and shapes match HF checkpoints one to one.
 * Computes {@code x · W + b}. Adapters that wrap it need HF PEFT's {@code fan_in_fan_out = true}.
 */
public final class Conv1D extends Module implements dev.peft4j.engine.nn.LinearLayer {

    private final int inFeatures;
    private final int outFeatures;

    /** @param weight [in, out]; @param bias [out] */
    public Conv1D(Tensor weight, Tensor bias) {
        if (weight.rank() != 2 || bias.rank() != 1 || bias.dim(0) != weight.dim(1)) {
            throw new IllegalArgumentException("Conv1D: expected weight [in, out] and bias [out], got "
                    + Arrays.toString(weight.shape()) + " and " + Arrays.toString(bias.shape()));
        }
        this.inFeatures = weight.dim(0);
        this.outFeatures = weight.dim(1);
        registerParameter("weight", weight);
        registerParameter("bias", bias);
    }

    /** {@code x}: [..., in] -> [..., out]. */
    @Override
    public Tensor forward(Tensor x) {
        requireInput(x);
        // One fused linear op (bias written into the output, then the GEMM accumulates over it) reading the
        // [in, out] weight as a transposed view: no pre-bias product is made, so the tape holds none.
        return Functional.linear(x, weight().t(), bias());
    }

    /** {@code f(x · W + b)}: the activation applied as the GEMM stores each output, not in a pass of its own. */
    public Tensor forward(Tensor x, Unary activation) {
        requireInput(x);
        return Functional.linear(x, weight().t(), bias(), activation);
    }

    private void requireInput(Tensor x) {
        if (x.rank() == 0 || x.dim(-1) != inFeatures) {
            throw new IllegalArgumentException("Conv1D(" + inFeatures + " -> " + outFeatures + "): input "
                    + Arrays.toString(x.shape()) + " must end in " + inFeatures);
        }
    }

    /** Conv1D is final and its forward is x · W + b. */
    @Override
    public boolean plainAffine() {
        return true;
    }

    /** [in, out]. */
    public Tensor weight() {
        return param("weight");
    }

    public Tensor bias() {
        return param("bias");
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    /** Stored [in, out]: HF PEFT's {@code fan_in_fan_out = true}. */
    @Override
    public boolean fanInFanOut() {
        return true;
    }

    @Override
    public String toString() {
        return "Conv1D(" + inFeatures + " -> " + outFeatures + ")";
    }
}
