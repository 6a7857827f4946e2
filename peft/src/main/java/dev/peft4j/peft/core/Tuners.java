package dev.peft4j.peft.core;

import dev.peft4j.peft.adapter.BottleneckTuner;
import dev.peft4j.peft.ia3.Ia3Tuner;
import dev.peft4j.peft.lora.LoraTuner;
import dev.peft4j.peft.prompt.PromptTuner;
import dev.peft4j.peft.sparse.SparseTuner;
import dev.peft4j.peft.ssf.SsfTuner;
import dev.peft4j.peft.tuning.SelectedParameters;
import dev.peft4j.peft.vera.VeraTuner;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The known adapter methods by {@code peft_type}. */
public final class Tuners {

    private static final Map<String, Tuner> BY_TYPE = new ConcurrentHashMap<>();

    static {
        register(new LoraTuner());
        register(new VeraTuner());
        register(new SparseTuner());
        register(new Ia3Tuner());
        register(new SsfTuner());
        register(SelectedParameters.bitFit());
        register(SelectedParameters.lnTuning());
        register(new BottleneckTuner());
        register(PromptTuner.promptTuning());
        register(PromptTuner.prefixTuning());
    }

    private Tuners() {
    }

    public static void register(Tuner tuner) {
        BY_TYPE.put(tuner.peftType(), tuner);
    }

    /** The tuner for {@code peftType}; an unknown type is an error listing the known ones. */
    public static Tuner forType(String peftType, String source) {
        Tuner t = BY_TYPE.get(peftType);
        if (t == null) {
            throw new IllegalArgumentException(source + ": peft_type \"" + peftType + "\" is not supported here"
                    + " (supported: " + BY_TYPE.keySet() + ")");
        }
        return t;
    }
}
