package dev.peft4j.engine.nn;

import dev.peft4j.engine.Tensor;

import java.util.Arrays;

/** Shape checks shared by the normalisation layers. */
final class NormChecks {

    private NormChecks() {
    }

    static void requireVector(String layer, String what, Tensor t, int dim) {
        if (t.rank() != 1 || t.dim(0) != dim || dim <= 0) {
            throw new IllegalArgumentException(layer + ": " + what + " must be a non-empty vector ["
                    + (dim > 0 ? dim : "dim") + "], got " + Arrays.toString(t.shape()));
        }
    }

    static void requirePositive(String layer, float eps) {
        if (!(eps > 0)) {
            throw new IllegalArgumentException(layer + ": eps must be > 0, got " + eps);
        }
    }

    static void requireLastDim(String layer, int dim, Tensor x) {
        if (x.rank() == 0 || x.dim(-1) != dim) {
            throw new IllegalArgumentException(layer + "(" + dim + "): input " + Arrays.toString(x.shape())
                    + " must end in " + dim);
        }
    }
}
