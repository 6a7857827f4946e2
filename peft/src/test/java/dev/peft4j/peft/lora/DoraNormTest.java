package dev.peft4j.peft.lora;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Linear;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Conv1D;
import dev.peft4j.peft.core.LinearLayers;
import dev.peft4j.peft.core.WeightMath;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** DoRA's low-rank row norm equals the norm of the formed W + s·B·A, for both weight layouts. */
class DoraNormTest {

    @Test
    void lowRankNormEqualsTheNormOfTheFormedMatrix() {
        try (Kernels k = new CpuKernels()) {
            Rng rng = new Rng(9);
            int in = 7;
            int out = 5;
            int r = 3;
            double s = 1.7;
            Tensor a = Tensor.of(k, rng.normal(r * in, 0, 1), r, in);
            Tensor b = Tensor.of(k, rng.normal(out * r, 0, 1), out, r);
            float[] w = rng.normal(out * in, 0, 1);
            Linear linear = new Linear(Tensor.of(k, w, out, in), null);
            float[] wt = new float[in * out];
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    wt[i * out + o] = w[o * in + i];
                }
            }
            Conv1D conv = new Conv1D(Tensor.of(k, wt, in, out), Tensor.zeros(k, out));
            for (var layer : new dev.peft4j.engine.nn.LinearLayer[] {LinearLayers.of(linear, "linear"), conv}) {
                double[] full = WeightMath.readOutIn(layer);
                double[] delta = WeightMath.lowRank(b.toArray(), a.toArray(), out, r, in, s);
                for (int j = 0; j < full.length; j++) {
                    full[j] += delta[j];
                }
                double[] expected = WeightMath.rowNorms(full, out, in);
                float[] actual = DoraNorm.rowNorms(layer, DoraNorm.baseRowNormsSquared(layer), a, b, s);
                for (int o = 0; o < out; o++) {
                    assertEquals(expected[o], actual[o], 1e-5 * expected[o], layer + " row " + o);
                }
            }
        }
    }
}
