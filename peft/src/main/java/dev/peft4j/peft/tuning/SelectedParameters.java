package dev.peft4j.peft.tuning;

import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.Tuner;

import java.util.Map;

/**
 * The two "select existing parameters" tuners, LN tuning and BitFit: both wrap their targets in a
 * {@link TunedCopyLayer} of their {@link TunedCopyLayer.Kind}.
 */
public final class SelectedParameters implements Tuner {

    private final TunedCopyLayer.Kind kind;

    private SelectedParameters(TunedCopyLayer.Kind kind) {
        this.kind = kind;
    }

    /** HF's LN_TUNING. */
    public static Tuner lnTuning() {
        return new SelectedParameters(TunedCopyLayer.Kind.LN_TUNING);
    }

    /** BITFIT. */
    public static Tuner bitFit() {
        return new SelectedParameters(TunedCopyLayer.Kind.BITFIT);
    }

    @Override
    public String peftType() {
        return kind == TunedCopyLayer.Kind.LN_TUNING ? LnTuningConfig.PEFT_TYPE : BitFitConfig.PEFT_TYPE;
    }

    @Override
    public AdapterConfig parseConfig(Map<String, Object> json, String source) {
        return kind == TunedCopyLayer.Kind.LN_TUNING ? LnTuningConfig.fromJson(json, source)
                : BitFitConfig.fromJson(json, source);
    }

    @Override
    public AdapterLayer wrap(Module base, String path, AdapterConfig config) {
        return new TunedCopyLayer(base, path, kind);
    }

    @Override
    public boolean owns(AdapterLayer layer) {
        return layer instanceof TunedCopyLayer t && t.kind() == kind;
    }

    /** A linear target: its bias (BitFit) or its weight and bias (LN tuning). */
    @Override
    public long[] parameterCounts(AdapterConfig config, int inFeatures, int outFeatures) {
        long n = kind == TunedCopyLayer.Kind.BITFIT ? outFeatures : (long) inFeatures * outFeatures + outFeatures;
        return new long[] {n, n};
    }

    /** Drops the shared fields HF's LN tuning config lacks, while they say nothing. */
    static void dropNonHfDefaults(Map<String, Object> o) {
        o.remove("bias");
        if (Boolean.FALSE.equals(o.get("fan_in_fan_out"))) {
            o.remove("fan_in_fan_out");
        }
        for (String k : new String[] {"layers_to_transform", "layers_pattern"}) {
            if (o.get(k) == null) {
                o.remove(k);
            }
        }
    }
}
