package dev.peft4j.peft.lora;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Dropout;

import java.util.ArrayList;
import java.util.List;

/** One named LoRA adapter of one layer: its factors, scaling, dropout and DoRA magnitude. */
final class LoraAdapter {

    /**
     * A low-rank term written into the base weight outside merge: the base holds
     * {@code W_original + coefficient · scaling · B·A} (PiSSA's residual has coefficient -1, a Chain of
     * LoRA link +1). Saving re-expresses the adapter against W_original with these terms appended.
     */
    record BaseOffset(float[] a, float[] b, int rank, double coefficient) {
    }

    final int r;
    final double scaling;
    final boolean useDora;
    final boolean trainA;
    final Dropout dropout;
    final Tensor a;
    final Tensor b;
    final Tensor magnitude; // null unless DoRA
    final List<BaseOffset> baseOffsets = new ArrayList<>();
    float[] mergedDoraNorm; // the norm the DoRA merge divided by, so unmerge can invert it

    LoraAdapter(int r, double scaling, boolean useDora, boolean trainA, Dropout dropout, Tensor a, Tensor b,
                Tensor magnitude) {
        this.r = r;
        this.scaling = scaling;
        this.useDora = useDora;
        this.trainA = trainA;
        this.dropout = dropout;
        this.a = a;
        this.b = b;
        this.magnitude = magnitude;
    }
}
