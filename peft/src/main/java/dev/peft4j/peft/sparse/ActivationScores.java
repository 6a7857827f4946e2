package dev.peft4j.peft.sparse;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SCT's channel salience: the mean |activation| of each input channel of each target over the few-shot
 * batches, measured by probes put in the targets' places for one forward pass (no backward) and then
 * taken out again.
 */
final class ActivationScores {

    private ActivationScores() {
    }

    /** Per target (in map order), the [in] mean |x| of its inputs. */
    static List<float[]> of(Map<String, LinearLayer> targets, SelectionData data) {
        Module model = data.model();
        Map<String, Probe> probes = new LinkedHashMap<>();
        boolean training = model.isTraining();
        try {
            model.eval(); // no dropout: the means depend on the data alone
            for (Map.Entry<String, LinearLayer> e : targets.entrySet()) {
                Module current = model.module(e.getKey());
                Probe p = new Probe(current, e.getValue().inFeatures(), e.getKey());
                model.replaceModule(e.getKey(), p);
                probes.put(e.getKey(), p);
            }
            try (var ignored = Autograd.noGrad()) {
                for (int b = 0; b < data.batches(); b++) {
                    data.loss(b);
                }
            }
        } finally {
            probes.forEach((path, p) -> model.replaceModule(path, p.inner));
            model.train(training);
        }
        List<float[]> means = new ArrayList<>();
        probes.forEach((path, p) -> {
            if (p.rows == 0) {
                throw new IllegalStateException("sparse selection (sct): target \"" + path + "\" saw no input from the"
                        + " selection data; is it a module of SelectionData.model() on the loss's path?");
            }
            float[] m = new float[p.sums.length];
            for (int c = 0; c < m.length; c++) {
                m[c] = (float) (p.sums[c] / p.rows);
            }
            means.add(m);
        });
        return means;
    }

    /** Every entry of the chosen input columns (ascending), as flat [out, in] positions. */
    static int[] columns(int out, int in, int[] columns) {
        int[] idx = new int[out * columns.length];
        int n = 0;
        for (int o = 0; o < out; o++) {
            for (int c : columns) {
                idx[n++] = o * in + c;
            }
        }
        return idx;
    }

    /** Sums |x| per channel of what passes through, then forwards to the module it stands in for. */
    private static final class Probe extends Module {
        private final Module inner;
        private final double[] sums;
        private final String path;
        private long rows;

        Probe(Module inner, int in, String path) {
            this.inner = inner;
            this.sums = new double[in];
            this.path = path;
        }

        @Override
        public Tensor forward(Tensor x) {
            int in = sums.length;
            if (x.rank() == 0 || x.dim(x.rank() - 1) != in) {
                throw new IllegalArgumentException("sparse selection (sct): \"" + path + "\" expects inputs ending in "
                        + in + ", got " + java.util.Arrays.toString(x.shape()));
            }
            float[] v = x.toArray();
            for (int r = 0; r < v.length / in; r++) {
                for (int c = 0; c < in; c++) {
                    sums[c] += Math.abs(v[r * in + c]);
                }
            }
            rows += v.length / in;
            return inner.forward(x);
        }
    }
}
