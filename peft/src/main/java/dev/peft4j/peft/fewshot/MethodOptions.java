package dev.peft4j.peft.fewshot;

import dev.peft4j.peft.core.TargetModules;

import java.nio.file.Path;

/**
 * A method's options as the command line gives them.
 *
 * @param r            rank, bottleneck size or virtual tokens (by method)
 * @param dropout      adapter dropout; above 0 the model trains in train mode (a resume is then not bit-exact)
 * @param targets      target modules, null = the method's default
 * @param sparseSelect how method sparse chooses entries ({@code random}, {@code gradient}, ...)
 * @param density      the fraction of each target's entries method sparse trains
 * @param colaEvery    Chain of LoRA: fold and restart every N updates, 0 = a third of the run
 * @param adapter      continue from this saved adapter directory, or null
 * @param bf16Base     keep the frozen base weights in bfloat16 ({@code --base-dtype bf16}): half their memory;
 *                     adapters, gradients and arithmetic stay float32
 */
public record MethodOptions(int r, double alpha, float dropout, TargetModules targets, String sparseSelect,
                            double density, int colaEvery, Path adapter, boolean bf16Base) {

    /** A float32 base. */
    public MethodOptions(int r, double alpha, float dropout, TargetModules targets, String sparseSelect,
                         double density, int colaEvery, Path adapter) {
        this(r, alpha, dropout, targets, sparseSelect, density, colaEvery, adapter, false);
    }

    /** These options with the frozen base in bf16 (or not). */
    public MethodOptions withBf16Base(boolean on) {
        return new MethodOptions(r, alpha, dropout, targets, sparseSelect, density, colaEvery, adapter, on);
    }

    /** Rank {@code r}, {@code alpha}, targets; no dropout, random sparse entries at density 0.01. */
    public static MethodOptions of(int r, double alpha, TargetModules targets) {
        return new MethodOptions(r, alpha, 0f, targets, "random", 0.01, 0, null);
    }

    /** What a resumed run must share with the checkpoint's run. */
    String fingerprint() {
        return "r=" + r + " alpha=" + alpha + " dropout=" + dropout + " targets=" + targets + " sparse=" + sparseSelect
                + "@" + density + " cola=" + colaEvery + " from=" + adapter;
    }
}
