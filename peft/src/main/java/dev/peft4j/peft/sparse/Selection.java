package dev.peft4j.peft.sparse;

import java.util.Arrays;

/**
 * How a sparse delta's entries are chosen, each from a published method, with the unit {@code density}
 * counts in. Names are the CLI's {@code --sparse-select} values and the config's {@code selection}.
 */
public enum Selection {
    /** SHiRA: uniformly random entries of each target (seeded by {@code random_seed} and the path). */
    RANDOM("random", false, false),
    /** Supertuning: each target's entries of largest |W|. */
    MAGNITUDE("magnitude", false, false),
    /** SaRA: each target's entries of smallest |W| (the "ineffective" weights). */
    SMALL_MAGNITUDE("small-magnitude", false, false),
    /** SAFT: the global top entries of |∂L/∂W| summed over one pass of the few-shot batches. */
    GRADIENT("gradient", true, true),
    /** FISH mask: the global top entries of the empirical Fisher, Σ over batches of (∂L/∂W)². */
    FISHER("fisher", true, true),
    /** LIFT: each target's top entries of |U_r S_r V_rᵀ|, its rank-r ({@code lift_rank}) approximation. */
    LIFT("lift", false, false),
    /**
     * HFT: a random half (density 0.5; generally a density fraction) of each target's output rows, every
     * entry of a chosen row; the rest stays frozen at its pre-trained value.
     */
    HFT("hft", false, false),
    /** SCT: each target's input channels of largest mean |activation| on the batches, every entry of them. */
    SCT("sct", true, false);

    private final String cliName;
    private final boolean needsData;
    private final boolean global;

    Selection(String cliName, boolean needsData, boolean global) {
        this.cliName = cliName;
        this.needsData = needsData;
        this.global = global;
    }

    public String cliName() {
        return cliName;
    }

    /** Whether the selector runs the model over {@link SelectionData}. */
    public boolean needsData() {
        return needsData;
    }

    /** Whether {@code density} is a budget over all targets together rather than per target. */
    public boolean global() {
        return global;
    }

    /** The selection named {@code name}; {@code what} names the source in the error. */
    public static Selection parse(String name, String what) {
        for (Selection s : values()) {
            if (s.cliName.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException(what + ": unknown sparse selection \"" + name + "\" (known: "
                + Arrays.stream(values()).map(Selection::cliName).toList() + ")");
    }
}
