package dev.peft4j.engine.optim;

import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;

import java.util.List;

/**
 * PyTorch's {@code torch.optim.AdamW} (decoupled weight decay), one fused {@link Kernels#adamW} call per
 * parameter. The moment buffers live on the parameter's backend and are allocated on a parameter's
 * first update; each parameter counts its own steps for bias correction, so one that had no gradient
 * for a while resumes exactly as PyTorch does.
 */
public final class AdamW implements Optimizer {

    private final List<Tensor> params;
    private final Buffer[] m;
    private final Buffer[] v;
    private final int[] steps;
    private float lr;
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public AdamW(List<Tensor> params, float lr) {
        this(params, lr, 0.9f, 0.999f, 1e-8f, 0.01f);
    }

    public AdamW(List<Tensor> params, float lr, float beta1, float beta2, float eps, float weightDecay) {
        ParamChecks.requireUpdatable("AdamW", params);
        ParamChecks.requireInRange("AdamW", "lr", lr, 0, Float.MAX_VALUE);
        ParamChecks.requireInRange("AdamW", "beta1", beta1, 0, Math.nextDown(1f));
        ParamChecks.requireInRange("AdamW", "beta2", beta2, 0, Math.nextDown(1f));
        ParamChecks.requireInRange("AdamW", "eps", eps, 0, Float.MAX_VALUE);
        ParamChecks.requireInRange("AdamW", "weightDecay", weightDecay, 0, Float.MAX_VALUE);
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
            ParamChecks.requireMatchingGrad("AdamW", i, p, g);
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
        ParamChecks.requireInRange("AdamW", "lr", lr, 0, Float.MAX_VALUE);
        this.lr = lr;
    }

    /** Updates taken so far by parameter {@code index} (its bias-correction step). */
    public int steps(int index) {
        return steps[index];
    }

    @Override
    public int size() {
        return params.size();
    }

    @Override
    public ParamState state(int index) {
        if (m[index] == null) {
            return ParamState.fresh();
        }
        Tensor p = params.get(index);
        return new ParamState(steps[index], java.util.Map.of("exp_avg", read(p, m[index]), "exp_avg_sq", read(p, v[index])));
    }

    @Override
    public void loadState(int index, ParamState state) {
        Tensor p = params.get(index);
        int n = p.numel();
        if (state.steps() == 0) {
            m[index] = null;
            v[index] = null;
            steps[index] = 0;
            return;
        }
        Kernels k = p.kernels();
        m[index] = k.upload(state.buffer("exp_avg", n, "AdamW", index), 0, n);
        v[index] = k.upload(state.buffer("exp_avg_sq", n, "AdamW", index), 0, n);
        steps[index] = state.steps();
    }

    static float[] read(Tensor p, Buffer b) {
        float[] out = new float[p.numel()];
        p.kernels().read(b, 0, out, 0, out.length);
        return out;
    }
}
