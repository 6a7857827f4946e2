package dev.peft4j.peft.sparse;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Linear;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.TinyModels;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.LinearLayers;
import dev.peft4j.peft.core.PeftModel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shared pieces of the sparse tests: layer lookup, weight views, index checks, a hand-sized model. */
final class SparseFixtures {

    private SparseFixtures() {
    }

    /** The sparse layers of {@code peft} by path. */
    static Map<String, SparseLayer> layers(PeftModel peft) {
        Map<String, SparseLayer> out = new LinkedHashMap<>();
        for (Map.Entry<String, AdapterLayer> e : peft.layers().entrySet()) {
            out.put(e.getKey(), (SparseLayer) e.getValue());
        }
        return out;
    }

    static LinearLayer base(SparseLayer l, String path) {
        return LinearLayers.of(l.baseLayer(), path);
    }

    /** Ascending, unique, inside [0, n). */
    static void assertSortedUnique(int[] idx, long n, String what) {
        for (int i = 0; i < idx.length; i++) {
            assertTrue(idx[i] >= 0 && idx[i] < n, what + ": index " + idx[i] + " outside [0, " + n + ")");
            assertTrue(i == 0 || idx[i] > idx[i - 1], what + ": not strictly ascending at " + i);
        }
    }

    static boolean[] mask(int[] idx, int n) {
        boolean[] m = new boolean[n];
        for (int i : idx) {
            m[i] = true;
        }
        return m;
    }

    /** Two batches of token ids for the tiny GPT-2 and the selection data over them. */
    static SelectionData gpt2Data(Gpt2Model model) {
        return SelectionData.of(model, List.of(TinyModels.ids(21), TinyModels.ids(22)), ids -> TinyModels.loss(model, ids));
    }

    /**
     * Two bias-free linear heads on one input, loss = Σ_rows (a(x)·ca + b(x)·cb): dL/dW_a[o, i] = ca[o]·Σ_r x[r, i],
     * so gradients and activations are computable by hand.
     */
    static final class Heads extends Module {
        final float[] ca;
        final float[] cb;

        Heads(Kernels k, float[] ca, float[] cb) {
            this.ca = ca;
            this.cb = cb;
            Rng rng = new Rng(9);
            registerModule("a", new Linear(Tensor.of(k, rng.normal(2 * 3, 0, 1), 2, 3), null));
            registerModule("b", new Linear(Tensor.of(k, rng.normal(2 * 3, 0, 1), 2, 3), null));
        }

        Tensor loss(Tensor x) {
            Kernels k = x.kernels();
            Tensor ya = child("a", Module.class).forward(x).mul(Tensor.of(k, ca, 2));
            Tensor yb = child("b", Module.class).forward(x).mul(Tensor.of(k, cb, 2));
            return ya.sum().add(yb.sum());
        }

        SelectionData data(Kernels k, float[][] batches) {
            List<Tensor> xs = java.util.Arrays.stream(batches).map(b -> Tensor.of(k, b, b.length / 3, 3)).toList();
            return SelectionData.of(this, xs, this::loss);
        }
    }

    static void assertIndices(int[] want, int[] got, String what) {
        assertEquals(java.util.Arrays.toString(want), java.util.Arrays.toString(got), what);
    }
}
