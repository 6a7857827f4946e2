package dev.peft4j.engine.nn;

import dev.peft4j.engine.Tensor;

/**
 * What an adapter needs from an affine layer {@code y = x·Wᵀ + b}: its sizes, its weight as stored and
 * which way round that storage is. {@code nn.Linear} stores W [out, in]; a layer that stores it [in, out]
 * (GPT-2's {@code Conv1D}) says so with {@link #fanInFanOut()}, Hugging Face PEFT's flag of the same name.
 */
public interface LinearLayer {

    int inFeatures();

    int outFeatures();

    /** The weight as stored: [out, in], or [in, out] when {@link #fanInFanOut()}. */
    Tensor weight();

    /** The bias [out], or null when the layer has none. */
    Tensor bias();

    /** True when {@link #weight()} is stored [in, out]. */
    boolean fanInFanOut();

    /** {@code x}: [..., in] -> [..., out]. */
    Tensor forward(Tensor x);

    /**
     * True when {@link #forward} is exactly {@code x·Wᵀ + b} and nothing more, so a caller may compute it
     * itself fused with more work (an adapter's update in the same GEMM). False unless a layer promises it.
     */
    default boolean plainAffine() {
        return false;
    }
}
