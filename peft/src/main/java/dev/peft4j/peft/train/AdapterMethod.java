package dev.peft4j.peft.train;

import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.TargetModules;
import dev.peft4j.peft.adapter.BottleneckConfig;
import dev.peft4j.peft.ia3.Ia3Config;
import dev.peft4j.peft.lora.LoraConfig;
import dev.peft4j.peft.prompt.PrefixTuningConfig;
import dev.peft4j.peft.prompt.PromptTuningConfig;
import dev.peft4j.peft.sparse.SparseConfig;
import dev.peft4j.peft.ssf.SsfConfig;
import dev.peft4j.peft.tuning.BitFitConfig;
import dev.peft4j.peft.tuning.LnTuningConfig;
import dev.peft4j.peft.vera.VeraConfig;

import java.util.Arrays;

/** The fine-tuning methods by their CLI name, each a config of one HF tuner. */
public enum AdapterMethod {
    LORA("lora"), RSLORA("rslora"), DORA("dora"), PISSA("pissa"), LORA_B_ONLY("lora-b-only"), COLA("cola"),
    VERA("vera"),
    IA3("ia3"), SSF("ssf"), BITFIT("bitfit"), LN_TUNING("ln"), ADAPTER("adapter"), PARALLEL_ADAPTER("parallel-adapter"),
    PROMPT("prompt"), PREFIX("prefix"),
    SPARSE("sparse");

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
        return switch (this) {
            case VERA -> VeraConfig.PEFT_TYPE;
            case IA3 -> Ia3Config.PEFT_TYPE;
            case SSF -> SsfConfig.PEFT_TYPE;
            case BITFIT -> BitFitConfig.PEFT_TYPE;
            case LN_TUNING -> LnTuningConfig.PEFT_TYPE;
            case ADAPTER, PARALLEL_ADAPTER -> BottleneckConfig.PEFT_TYPE;
            case PROMPT -> PromptTuningConfig.PEFT_TYPE;
            case PREFIX -> PrefixTuningConfig.PEFT_TYPE;
            case SPARSE -> SparseConfig.PEFT_TYPE;
            default -> LoraConfig.PEFT_TYPE;
        };
    }

    /** A config for this method; {@code targets} null = the model family's default. */
    public AdapterConfig config(int r, double alpha, float dropout, TargetModules targets) {
        AdapterConfig family = familyConfig(r, dropout, targets);
        if (family != null) {
            return family;
        }
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

    /**
     * The families beyond LoRA (null for the LoRA family and VeRA), with their GPT-2 default targets unless
     * {@code targets} names others: r is the bottleneck size of the adapters and the number of virtual
     * tokens of prompt (init from random vocabulary rows) and prefix tuning; the scaling methods have no r.
     */
    private AdapterConfig familyConfig(int r, float dropout, TargetModules targets) {
        AdapterConfig c = switch (this) {
            case IA3 -> Ia3Config.gpt2Default();
            case SSF -> SsfConfig.gpt2Default();
            case BITFIT -> BitFitConfig.gpt2Default();
            case LN_TUNING -> LnTuningConfig.gpt2Default();
            case ADAPTER -> BottleneckConfig.gpt2Series().bottleneckSize(r).adapterDropout(dropout);
            case PARALLEL_ADAPTER -> BottleneckConfig.gpt2Parallel().bottleneckSize(r).adapterDropout(dropout);
            case PROMPT -> new PromptTuningConfig().promptTuningInit("SAMPLE_VOCAB").numVirtualTokens(r);
            case PREFIX -> new PrefixTuningConfig().numVirtualTokens(r);
            case SPARSE -> new SparseConfig(); // random entries, density 0.01; the CLI sets --sparse-select, --density
            default -> null;
        };
        if (c == null || targets == null) {
            return c;
        }
        if (this == PROMPT || this == PREFIX) {
            throw new IllegalArgumentException("method " + cliName + " places virtual tokens at the token embedding;"
                    + " target modules do not apply");
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
