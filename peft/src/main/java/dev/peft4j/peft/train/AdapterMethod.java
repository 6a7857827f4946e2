package dev.peft4j.peft.train;

import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.TargetModules;
import dev.peft4j.peft.lora.LoraConfig;
import dev.peft4j.peft.vera.VeraConfig;

import java.util.Arrays;

/** The fine-tuning methods by their CLI name, each a config of one HF tuner. */
public enum AdapterMethod {
    LORA("lora"), RSLORA("rslora"), DORA("dora"), PISSA("pissa"), LORA_B_ONLY("lora-b-only"), COLA("cola"),
    VERA("vera");

    private final String cliName;

    AdapterMethod(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static AdapterMethod parse(String name) {
        for (AdapterMethod m : values()) {
            if (m.cliName.equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown method \"" + name + "\" (methods: "
                + Arrays.stream(values()).map(AdapterMethod::cliName).toList() + ")");
    }

    /** The HF peft_type this method saves as. */
    public String peftType() {
        return this == VERA ? VeraConfig.PEFT_TYPE : LoraConfig.PEFT_TYPE;
    }

    /** A config for this method; {@code targets} null = the model family's default. */
    public AdapterConfig config(int r, double alpha, float dropout, TargetModules targets) {
        AdapterConfig c;
        if (this == VERA) {
            c = new VeraConfig().r(r).veraDropout(dropout);
        } else {
            LoraConfig l = new LoraConfig().r(r).loraAlpha(alpha).loraDropout(dropout);
            switch (this) {
                case RSLORA -> l.useRslora(true);
                case DORA -> l.useDora(true);
                case PISSA -> l.initLoraWeights("pissa");
                case LORA_B_ONLY -> l.trainLoraA(false);
                default -> {
                }
            }
            c = l;
        }
        return c.targetModules(targets);
    }

    /** Adjusts a loaded adapter's config to continue with this method (what the file cannot say). */
    public AdapterConfig adjustLoaded(AdapterConfig loaded) {
        if (!loaded.peftType().equals(peftType())) {
            throw new IllegalArgumentException("the adapter is " + loaded.peftType() + " but method " + cliName
                    + " trains " + peftType());
        }
        if (this == LORA_B_ONLY) {
            ((LoraConfig) loaded).trainLoraA(false);
        }
        return loaded;
    }
}
