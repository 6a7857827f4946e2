package dev.peft4j.peft.merge;

import dev.peft4j.engine.io.HostTensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs a {@link TensorMerge} over whole state dicts: checks that base and models hold the same names and
 * shapes, then merges each tensor in the first model's order (the output keeps the first input's layout).
 */
public final class TensorwiseMerger {

    private TensorwiseMerger() {
    }

    /**
     * @param label names the result (its {@link StateDict#source()})
     * @param base  the reference weights, or null for methods that use none
     */
    public static StateDict merge(String label, StateDict base, List<StateDict> models, TensorMerge rule) {
        if (models.isEmpty()) {
            throw new IllegalArgumentException(label + ": no models to merge");
        }
        List<StateDict> all = new ArrayList<>(models);
        if (base != null) {
            all.add(base);
        }
        StateDict.requireSameLayout(all);
        List<HostTensor> out = new ArrayList<>();
        for (String name : models.get(0).names()) {
            List<float[]> values = new ArrayList<>(models.size());
            for (StateDict m : models) {
                values.add(m.get(name).data());
            }
            float[] merged = rule.merge(name, base == null ? null : base.get(name).data(), values);
            out.add(new HostTensor(name, models.get(0).get(name).shape(), merged));
        }
        return new StateDict(label, out);
    }
}
