package dev.peft4j.peft.lora;

import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.Tuner;

import java.util.List;
import java.util.Map;

/** The LoRA family (LoRA, rsLoRA, DoRA, PiSSA init, asymmetric LoRA, Chain of LoRA): HF {@code peft_type} LORA. */
public final class LoraTuner implements Tuner {

    @Override
    public String peftType() {
        return LoraConfig.PEFT_TYPE;
    }

    @Override
    public AdapterConfig parseConfig(Map<String, Object> json, String source) {
        return LoraConfig.fromJson(json, source);
    }

    @Override
    public AdapterLayer wrap(Module base, String path, AdapterConfig config) {
        return new LoraLayer(base, path);
    }

    @Override
    public boolean owns(AdapterLayer layer) {
        return layer instanceof LoraLayer;
    }

    /**
     * PiSSA and Chain of LoRA change the base weight; their saved form is a plain LoRA of the summed rank
     * against the original weight (HF's PiSSA-to-LoRA conversion), with alpha keeping the scaling.
     */
    @Override
    public AdapterConfig savedConfig(AdapterConfig config, List<AdapterLayer> layers, String adapter) {
        LoraConfig c = (LoraConfig) config;
        int rank = c.r();
        for (AdapterLayer l : layers) {
            int layerRank = ((LoraLayer) l).savedRank(adapter);
            if (rank != c.r() && layerRank != rank) {
                throw new IllegalStateException("adapter \"" + adapter + "\": layers disagree on their saved rank ("
                        + rank + " vs " + layerRank + ")");
            }
            rank = layerRank;
        }
        if (rank == c.r()) {
            return c;
        }
        LoraConfig saved = c.copy();
        saved.loraAlpha(c.alphaFor(c.scaling(), rank));
        saved.r(rank);
        saved.initLoraWeights(Boolean.TRUE);
        return saved;
    }

    @Override
    public long[] parameterCounts(AdapterConfig config, int inFeatures, int outFeatures) {
        LoraConfig c = (LoraConfig) config;
        long a = (long) c.r() * inFeatures;
        long b = (long) outFeatures * c.r();
        long m = c.useDora() ? outFeatures : 0;
        long trainable = (c.trainLoraA() ? a : 0) + b + m;
        return new long[] {trainable, a + b + m};
    }
}
