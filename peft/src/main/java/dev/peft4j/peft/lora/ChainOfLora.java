package dev.peft4j.peft.lora;

import dev.peft4j.engine.Rng;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.PeftModel;

/**
 * Chain of LoRA (COLA, Xia et al. 2024): every {@code every} steps, fold the adapter's current s·B·A into
 * the base weights and start a new link from A Kaiming-uniform, B zero (and fresh optimizer moments).
 * The chain saves as one LoRA of rank r·links against the original weights.
 */
public final class ChainOfLora {

    private final PeftModel model;
    private final String adapter;
    private final int every;
    private final Rng rng;
    private int links = 1;

    public ChainOfLora(PeftModel model, String adapter, int every, Rng rng) {
        if (every <= 0) {
            throw new IllegalArgumentException("Chain of LoRA: restart interval must be positive, got " + every);
        }
        this.model = model;
        this.adapter = adapter;
        this.every = every;
        this.rng = rng;
    }

    /** After update {@code step} (0-based): restarts when a link is complete and more steps follow. */
    public boolean afterStep(int step, int totalSteps) {
        if ((step + 1) % every != 0 || step + 1 >= totalSteps) {
            return false;
        }
        restart();
        return true;
    }

    /** Folds the current link into the base weights and starts the next one. */
    public void restart() {
        for (AdapterLayer layer : model.layers().values()) {
            if (layer instanceof LoraLayer l && l.adapters().contains(adapter)) {
                l.foldAndRestart(adapter, rng);
            }
        }
        links++;
    }

    /** Links so far, the one in training included. */
    public int links() {
        return links;
    }
}
