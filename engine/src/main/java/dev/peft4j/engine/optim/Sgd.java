package dev.peft4j.engine.optim;

import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;

import java.util.List;

/**
 * PyTorch's {@code torch.optim.SGD}: L2 weight decay folded into the gradient, optional momentum with
 * dampening, optional Nesterov. One {@link Kernels#sgd} call per parameter; the momentum buffer is
 * allocated on a parameter's first update, which PyTorch initialises to the gradient itself.
 */
public final class Sgd implements Optimizer {

    private final List<Tensor> params;
    private final Buffer[] momentumBufs;
    private final int[] steps;
    private float lr;
    private final float momentum;
    private final float dampening;
    private final float weightDecay;
    private final boolean nesterov;

    /** Plain SGD without momentum or weight decay. */
    public Sgd(List<Tensor> params, float lr) {
        this(params, lr, 0f, 0f, 0f, false);
    }

    public Sgd(List<Tensor> params, float lr, float momentum, float dampening, float weightDecay, boolean nesterov) {
        ParamChecks.requireUpdatable("Sgd", params);
        ParamChecks.requireInRange("Sgd", "lr", lr, 0, Float.MAX_VALUE);
        ParamChecks.requireInRange("Sgd", "momentum", momentum, 0, Float.MAX_VALUE);
        ParamChecks.requireInRange("Sgd", "dampening", dampening, -Float.MAX_VALUE, Float.MAX_VALUE);
        ParamChecks.requireInRange("Sgd", "weightDecay", weightDecay, 0, Float.MAX_VALUE);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            // Same rule as PyTorch: Nesterov needs momentum and no dampening.
            throw new IllegalArgumentException("Sgd: nesterov needs momentum > 0 and dampening = 0, got momentum "
                    + momentum + ", dampening " + dampening);
        }
        this.params = List.copyOf(params);
        this.momentumBufs = new Buffer[params.size()];
        this.steps = new int[params.size()];
        this.lr = lr;
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    @Override
    public void step() {
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            Tensor g = p.grad();
            if (g == null) {
                continue;
            }
            ParamChecks.requireMatchingGrad("Sgd", i, p, g);
            Kernels k = p.kernels();
            int n = p.numel();
            boolean first = false;
            if (momentum != 0f && momentumBufs[i] == null) {
                momentumBufs[i] = k.allocate(n);
                first = true;
            }
            k.sgd(p.buffer(), p.offset(), g.buffer(), g.offset(), momentumBufs[i], 0, n,
                    lr, momentum, dampening, weightDecay, nesterov, first);
            steps[i]++;
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
        ParamChecks.requireInRange("Sgd", "lr", lr, 0, Float.MAX_VALUE);
        this.lr = lr;
    }

    @Override
    public int size() {
        return params.size();
    }

    /** The step count, and the momentum buffer once there is one (plain SGD keeps no buffer). */
    @Override
    public ParamState state(int index) {
        Buffer b = momentumBufs[index];
        return new ParamState(steps[index], b == null ? java.util.Map.of()
                : java.util.Map.of("momentum_buffer", AdamW.read(params.get(index), b)));
    }

    @Override
    public void loadState(int index, ParamState state) {
        Tensor p = params.get(index);
        int n = p.numel();
        steps[index] = state.steps();
        momentumBufs[index] = momentum != 0f && state.steps() > 0
                ? p.kernels().upload(state.buffer("momentum_buffer", n, "Sgd", index), 0, n) : null;
    }
}
