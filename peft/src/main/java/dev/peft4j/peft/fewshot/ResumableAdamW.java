package dev.peft4j.peft.fewshot;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.optim.Optimizer;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;

import java.util.List;

/**
 * AdamW with the same fused kernel call as the engine's {@code AdamW} (so updates agree bit for bit), whose
 * moments and step counts can be read out and put back: what a checkpoint needs to resume exactly.
 */
public final class ResumableAdamW implements Optimizer {

    private final List<Tensor> params;
    private final Buffer[] m;
    private final Buffer[] v;
    private final int[] steps;
    private float lr;
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;

    public ResumableAdamW(List<Tensor> params, float lr, float beta1, float beta2, float eps, float weightDecay) {
        this.params = List.copyOf(params);
        this.m = new Buffer[params.size()];
        this.v = new Buffer[params.size()];
        this.steps = new int[params.size()];
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    @Override
    public void step() {
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            Tensor g = p.grad();
            if (g == null) {
                continue;
            }
            Kernels k = p.kernels();
            int n = p.numel();
            if (m[i] == null) {
                m[i] = k.allocate(n);
                v[i] = k.allocate(n);
            }
            steps[i]++;
            k.adamW(p.buffer(), p.offset(), g.buffer(), g.offset(), m[i], 0, v[i], 0, n,
                    lr, beta1, beta2, eps, weightDecay, steps[i]);
        }
    }

    @Override
    public void zeroGrad() {
        for (Tensor p : params) {
            p.zeroGrad();
        }
    }

    @Override
    public float lr() {
        return lr;
    }

    @Override
    public void setLr(float lr) {
        this.lr = lr;
    }

    public int size() {
        return params.size();
    }

    /** Updates taken by parameter {@code i} (0 = none yet: no moments). */
    public int steps(int i) {
        return steps[i];
    }

    /** The first (which = 0) or second (which = 1) moment of parameter {@code i}, or null before its first update. */
    public float[] moment(int i, int which) {
        Buffer b = which == 0 ? m[i] : v[i];
        if (b == null) {
            return null;
        }
        float[] out = new float[params.get(i).numel()];
        params.get(i).kernels().read(b, 0, out, 0, out.length);
        return out;
    }

    /** Restores parameter {@code i}'s moments and step count as {@link #moment} and {@link #steps} gave them. */
    public void restore(int i, int stepCount, float[] first, float[] second) {
        Tensor p = params.get(i);
        int n = p.numel();
        if (stepCount == 0) {
            steps[i] = 0;
            m[i] = null;
            v[i] = null;
            return;
        }
        if (first == null || second == null || first.length != n || second.length != n) {
            throw new IllegalArgumentException("AdamW state of parameter " + i + ": moments must hold " + n + " values");
        }
        Kernels k = p.kernels();
        m[i] = k.upload(first, 0, n);
        v[i] = k.upload(second, 0, n);
        steps[i] = stepCount;
    }
}
