package dev.peft4j.engine.nn;

import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Kernels;

import java.util.Arrays;

/** A lookup table {@code weight} [numEmbeddings, dim]; default init normal(0, 1) as nn.Embedding. */
public class Embedding extends Module {

    private final int numEmbeddings;
    private final int dim;

    public Embedding(Kernels k, int numEmbeddings, int dim, Rng rng) {
        this(Tensor.of(k, rng.normal(Math.multiplyExact(positive(numEmbeddings, "numEmbeddings"),
                positive(dim, "dim")), 0, 1), numEmbeddings, dim));
    }

    /** Wraps an existing table [numEmbeddings, dim]. */
    public Embedding(Tensor weight) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("Embedding: weight must be [num, dim], got "
                    + Arrays.toString(weight.shape()));
        }
        this.numEmbeddings = weight.dim(0);
        this.dim = weight.dim(1);
        registerParameter("weight", weight);
    }

    private static int positive(int v, String name) {
        if (v <= 0) {
            throw new IllegalArgumentException("Embedding: " + name + " must be > 0, got " + v);
        }
        return v;
    }

    /** Rows for {@code ids} laid out as {@code idsShape}: result shape idsShape + [dim]. */
    public Tensor forward(int[] ids, int... idsShape) {
        return Functional.embedding(weight(), ids, idsShape);
    }

    /** Ids given as a tensor of whole numbers (e.g. from a data loader); result shape ids.shape + [dim]. */
    @Override
    public Tensor forward(Tensor ids) {
        float[] values = ids.toArray();
        int[] asInts = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            if (v != Math.rint(v) || v < 0 || v >= numEmbeddings) {
                throw new IllegalArgumentException("Embedding(" + numEmbeddings + ", " + dim + "): id " + v
                        + " at flat index " + i + " is not a whole number in [0, " + numEmbeddings + ")");
            }
            asInts[i] = (int) v;
        }
        return forward(asInts, ids.shape());
    }

    public Tensor weight() {
        return param("weight");
    }

    public int numEmbeddings() {
        return numEmbeddings;
    }

    public int dim() {
        return dim;
    }

    @Override
    public String toString() {
        return "Embedding(" + numEmbeddings + ", " + dim + ")";
    }
}
