package dev.peft4j.peft.merge;

import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.json.Json;
import org.ejml.data.DMatrixRMaj;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Turns a full fine-tune into a LoRA adapter (as mergekit's extract_lora does): for every linear-like weight,
 * ΔW = W_ft − W_base in PyTorch's [out, in] orientation is factorised by truncated SVD into B [out, r]·A [r, in],
 * the best rank-r approximation in Frobenius norm. The adapter uses lora_alpha = r, so PEFT's scaling
 * alpha/r is 1 and W_base + B·A is the reconstruction.
 */
public final class LoraExtractor {

    private LoraExtractor() {
    }

    /**
     * @param modulePrefix  prepended to module paths that lack it (see {@link LoraTargets#modulePrefixFor})
     * @param baseModelName written as {@code base_model_name_or_path}; may be null
     */
    public static LoraExtraction extract(StateDict base, StateDict fineTuned, int rank, String modulePrefix,
                                         String baseModelName) {
        if (rank < 1) {
            throw new IllegalArgumentException("LoRA extraction: rank must be at least 1, got " + rank);
        }
        StateDict.requireSameLayout(List.of(fineTuned, base));
        List<HostTensor> tensors = new ArrayList<>();
        List<LoraExtraction.Layer> layers = new ArrayList<>();
        List<String> uncaptured = new ArrayList<>();
        TreeSet<String> targetNames = new TreeSet<>();
        Boolean fanInFanOut = null;
        String firstTarget = null;
        for (String key : fineTuned.names()) {
            HostTensor ft = fineTuned.get(key);
            float[] w0 = base.get(key).data();
            if (!LoraTargets.isTarget(key, ft.shape())) {
                if (differs(ft.data(), w0)) {
                    uncaptured.add(key);
                }
                continue;
            }
            boolean conv1d = LoraTargets.isConv1D(key);
            if (fanInFanOut == null) {
                fanInFanOut = conv1d;
                firstTarget = key;
            } else if (fanInFanOut != conv1d) {
                // PEFT's fan_in_fan_out is one flag for the whole adapter.
                throw new IllegalArgumentException("LoRA extraction: \"" + firstTarget + "\" is "
                        + (fanInFanOut ? "a Conv1D [in, out]" : "a Linear [out, in]") + " weight but \"" + key
                        + "\" is " + (conv1d ? "a Conv1D [in, out]" : "a Linear [out, in]")
                        + " one; one adapter cannot hold both layouts");
            }
            String module = LoraTargets.modulePath(key, modulePrefix);
            targetNames.add(LoraTargets.moduleName(key));
            layers.add(factorise(key, module, ft, w0, conv1d, rank, tensors));
        }
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("LoRA extraction: " + fineTuned.source()
                    + " has no 2-D linear weights to factorise");
        }
        Map<String, Object> config = adapterConfig(rank, List.copyOf(targetNames), fanInFanOut, baseModelName);
        return new LoraExtraction(rank, List.copyOf(layers), List.copyOf(tensors), config, List.copyOf(uncaptured));
    }

    private static LoraExtraction.Layer factorise(String key, String module, HostTensor ft, float[] w0, boolean conv1d,
                                                  int rank, List<HostTensor> sink) {
        int[] shape = ft.shape();
        int out = conv1d ? shape[1] : shape[0];
        int in = conv1d ? shape[0] : shape[1];
        if (rank > Math.min(out, in)) {
            throw new IllegalArgumentException("LoRA extraction: rank " + rank + " exceeds min(out, in) = "
                    + Math.min(out, in) + " of tensor \"" + key + "\" " + Arrays.toString(shape));
        }
        float[] w = ft.data();
        DMatrixRMaj delta = new DMatrixRMaj(out, in);
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                int at = conv1d ? i * out + o : o * in + i;
                delta.unsafe_set(o, i, (double) w[at] - w0[at]);
            }
        }
        TruncatedSvd.Factors f = TruncatedSvd.lowRank(delta, rank, "tensor \"" + key + "\"");
        float[] b = toFloat(f.b());
        float[] a = toFloat(f.a());
        String prefix = "base_model.model." + module;
        sink.add(new HostTensor(prefix + ".lora_A.weight", a, rank, in));
        sink.add(new HostTensor(prefix + ".lora_B.weight", b, out, rank));
        double norm = frobenius(delta.data);
        double error = residualNorm(delta, b, a, rank);
        return new LoraExtraction.Layer(key, module, out, in, conv1d, norm, norm == 0 ? 0 : error / norm);
    }

    /** ‖M − B·A‖_F with B [rows, r] and A [r, cols] as saved. */
    private static double residualNorm(DMatrixRMaj m, float[] b, float[] a, int rank) {
        int rows = m.numRows;
        int cols = m.numCols;
        double sum = 0;
        double[] row = new double[cols];
        for (int r = 0; r < rows; r++) {
            Arrays.fill(row, 0);
            for (int j = 0; j < rank; j++) {
                double bj = b[r * rank + j];
                for (int c = 0; c < cols; c++) {
                    row[c] += bj * a[j * cols + c];
                }
            }
            for (int c = 0; c < cols; c++) {
                double d = m.unsafe_get(r, c) - row[c];
                sum += d * d;
            }
        }
        return Math.sqrt(sum);
    }

    private static Map<String, Object> adapterConfig(int rank, List<String> targets, boolean fanInFanOut,
                                                     String baseModelName) {
        Map<String, Object> c = Json.newObject();
        c.put("peft_type", "LORA");
        c.put("task_type", null);
        c.put("base_model_name_or_path", baseModelName);
        c.put("r", (long) rank);
        c.put("lora_alpha", (long) rank); // scaling alpha/r = 1: B·A is ΔW itself
        c.put("lora_dropout", 0.0);
        c.put("target_modules", new ArrayList<Object>(targets));
        c.put("fan_in_fan_out", fanInFanOut);
        c.put("bias", "none");
        c.put("modules_to_save", null);
        c.put("init_lora_weights", true);
        c.put("use_rslora", false);
        c.put("use_dora", false);
        c.put("inference_mode", true);
        return c;
    }

    private static boolean differs(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Float.compare(a[i], b[i]) != 0) {
                return true;
            }
        }
        return false;
    }

    private static double frobenius(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    private static float[] toFloat(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        return out;
    }
}
