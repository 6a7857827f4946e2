package dev.peft4j.peft.sparse;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.StepScope;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores from the loss gradient of each target weight over one pass of the few-shot batches: SAFT's
 * |Σ_b ∂L_b/∂W| and the FISH mask's empirical Fisher Σ_b (∂L_b/∂W)². Only the target weights require
 * grad during the pass (every other parameter is frozen, then restored), so the pass costs one backward
 * with dense dW for the targets alone; this one-off dense gradient is what these methods are defined by.
 * The pass runs in eval mode (no dropout) and restores the model's mode afterwards.
 */
final class GradientScores {

    private GradientScores() {
    }

    /** Per target (in map order), [out, in] scores. */
    static List<float[]> of(Map<String, LinearLayer> targets, SelectionData data, boolean fisher) {
        Module model = data.model();
        Map<Tensor, Boolean> flags = new IdentityHashMap<>();
        model.parameters().forEach(t -> flags.put(t, t.requiresGrad()));
        List<Tensor> weights = new ArrayList<>();
        targets.values().forEach(l -> weights.add(l.weight()));
        List<float[]> sums = new ArrayList<>();
        boolean training = model.isTraining();
        try (var ignored = Autograd.enableGrad()) {
            model.eval(); // no dropout: the scores depend on the data alone
            model.freeze();
            weights.forEach(w -> {
                w.zeroGrad();
                w.requiresGrad(true);
                sums.add(fisher ? new float[w.numel()] : null);
            });
            for (int b = 0; b < data.batches(); b++) {
                try (StepScope batch = StepScope.open()) { // this batch's activations serve the next one
                    data.loss(b).backward();
                }
                if (fisher) {
                    for (int t = 0; t < weights.size(); t++) {
                        float[] g = gradient(weights.get(t), targets, t);
                        float[] s = sums.get(t);
                        for (int j = 0; j < g.length; j++) {
                            s[j] += g[j] * g[j];
                        }
                        weights.get(t).zeroGrad();
                    }
                }
            }
            List<float[]> scores = new ArrayList<>();
            int t = 0;
            for (Map.Entry<String, LinearLayer> e : targets.entrySet()) {
                float[] s = fisher ? sums.get(t) : gradient(weights.get(t), targets, t);
                if (!fisher) {
                    for (int j = 0; j < s.length; j++) {
                        s[j] = Math.abs(s[j]);
                    }
                }
                LinearLayer l = e.getValue();
                scores.add(WeightScores.outIn(s, l.outFeatures(), l.inFeatures(), l.fanInFanOut()));
                t++;
            }
            return scores;
        } finally {
            weights.forEach(Tensor::zeroGrad);
            flags.forEach((p, on) -> p.requiresGrad(on));
            model.train(training);
        }
    }

    private static float[] gradient(Tensor weight, Map<String, LinearLayer> targets, int index) {
        Tensor g = weight.grad();
        if (g == null) {
            String path = new ArrayList<>(targets.keySet()).get(index);
            throw new IllegalStateException("sparse selection: target \"" + path + "\" got no gradient from the"
                    + " selection data's loss; is it a module of SelectionData.model() on the loss's path?");
        }
        return g.toArray();
    }
}
