package dev.peft4j.peft.core;

import java.util.Map;

/**
 * Parameter counts of an adapter computed from a model's parameter shapes alone, so a full-size model
 * (GPT-2 124M) can be checked without building it: every 2-D {@code X.weight} whose module path X the
 * config selects counts as one target.
 *
 * @param targets         adapted modules
 * @param trainable       adapter parameters that train (plus nothing else: no bias, no modules_to_save)
 * @param total           the base parameters plus every adapter parameter
 */
public record ParameterPlan(int targets, long trainable, long total) {

    /**
     * @param shapes      parameter name -> shape, our spelling (e.g. {@code Gpt2Checkpoint.expectedShapes})
     * @param fanInFanOut whether 2-D weights are stored [in, out] (GPT-2's Conv1D)
     */
    public static ParameterPlan of(Map<String, int[]> shapes, AdapterConfig config, ModelLayout layout,
                                   boolean fanInFanOut) {
        if (config.targetModules() instanceof TargetModules.AllLinear) {
            throw new IllegalArgumentException("a shape-only plan cannot tell linear layers apart; name the targets");
        }
        Tuner tuner = Tuners.forType(config.peftType(), "plan");
        TargetSelector selector = new TargetSelector(config, layout);
        int targets = 0;
        long trainable = 0;
        long total = 0;
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            int[] s = e.getValue();
            long n = 1;
            for (int d : s) {
                n *= d;
            }
            total += n;
            String name = e.getKey();
            if (s.length == 2 && name.endsWith(".weight")
                    && selector.matchesPath(name.substring(0, name.length() - ".weight".length()))) {
                int in = fanInFanOut ? s[0] : s[1];
                int out = fanInFanOut ? s[1] : s[0];
                long[] counts = tuner.parameterCounts(config, in, out);
                targets++;
                trainable += counts[0];
                total += counts[1];
            }
        }
        return new ParameterPlan(targets, trainable, total);
    }
}
