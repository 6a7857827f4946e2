package dev.peft4j.peft.merge;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.io.HostTensor;

import java.util.ArrayList;
import java.util.List;

/** Small state dicts for the merge tests. */
final class Dicts {

    private Dicts() {
    }

    /** A state dict of one tensor {@code name} holding {@code values} as a 1-D tensor. */
    static StateDict single(String source, String name, float... values) {
        return new StateDict(source, List.of(new HostTensor(name, values, values.length)));
    }

    /** Two tensors ("a.weight" [2, 3], "a.bias" [3]) filled with normal noise. */
    static StateDict random(String source, long seed) {
        Rng rng = new Rng(seed);
        List<HostTensor> t = new ArrayList<>();
        t.add(new HostTensor("a.weight", rng.normal(6, 0, 1), 2, 3));
        t.add(new HostTensor("a.bias", rng.normal(3, 0, 1), 3));
        return new StateDict(source, t);
    }
}
