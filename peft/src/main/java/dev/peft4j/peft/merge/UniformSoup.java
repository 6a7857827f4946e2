package dev.peft4j.peft.merge;

import java.util.List;

/** Uniform model soup (Wortsman et al.): the element-wise mean of N fine-tuned models of one architecture. */
public final class UniformSoup {

    private UniformSoup() {
    }

    public static StateDict average(List<StateDict> models) {
        return TensorwiseMerger.merge("uniform-soup(" + models.size() + ")", null, models,
                (name, base, values) -> mean(values));
    }

    /** Mean accumulated in double so that N models do not add N roundings. */
    static float[] mean(List<float[]> values) {
        int n = values.get(0).length;
        double[] sum = new double[n];
        for (float[] v : values) {
            for (int i = 0; i < n; i++) {
                sum[i] += v[i];
            }
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (sum[i] / values.size());
        }
        return out;
    }
}
