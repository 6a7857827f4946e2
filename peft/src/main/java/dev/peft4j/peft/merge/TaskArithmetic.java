package dev.peft4j.peft.merge;

import java.util.List;

/** Task arithmetic (Ilharco et al.): θ = θ₀ + λ·Σᵢ (θᵢ − θ₀), per tensor. */
public final class TaskArithmetic {

    private TaskArithmetic() {
    }

    public static StateDict merge(StateDict base, List<StateDict> fineTuned, double lambda) {
        TaskVectors.requireBase("task arithmetic", base);
        return TensorwiseMerger.merge("task-arithmetic(lambda=" + lambda + ")", base, fineTuned,
                (name, w0, models) -> TaskVectors.addScaled(w0, sum(TaskVectors.deltas(w0, models)), lambda));
    }

    static double[] sum(float[][] deltas) {
        double[] out = new double[deltas[0].length];
        for (float[] d : deltas) {
            for (int i = 0; i < out.length; i++) {
                out[i] += d[i];
            }
        }
        return out;
    }
}
