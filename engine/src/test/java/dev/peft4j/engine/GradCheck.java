package dev.peft4j.engine;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Gradient checks by central finite differences. The output is reduced to a scalar
 * {@code L = sum(out * R)} with fixed random weights R in [-1, 1], so every output element and its
 * gradient matter; autograd's {@code dL/dinput} (via {@code out.backward(R)}) is compared with
 * {@code (L(x + h e_i) - L(x - h e_i)) / 2h}, evaluated and differenced in float64.
 */
final class GradCheck {

    /** The op under test over its input tensors. */
    interface Op {
        Tensor apply(Tensor... in);
    }

    /** A float64 re-implementation of the op over row-major input arrays; returns the output row-major. */
    interface RefOp {
        double[] apply(double[]... in);
    }

    private GradCheck() {
    }

    /**
     * Autograd vs central differences of the engine's own float32 forward. Inputs are O(1), so with
     * h = 1e-2 float32 rounding of L (~1e-6 relative) contributes ~1e-4 to the difference quotient and
     * truncation (h²/6 · L''') ~2e-5; rtol 1e-2 with atol 2e-3 sits well above both and well below a
     * wrong gradient (which is off by O(1)).
     */
    static void againstEngine(String name, Op f, Tensor... inputs) {
        againstEngine(name, 1e-2, 1e-2, 2e-3, f, inputs);
    }

    static void againstEngine(String name, double h, double rtol, double atol, Op f, Tensor... inputs) {
        Tensor out = f.apply(inputs);
        double[] r = weights(out.numel(), 7);
        double[][] analytic = analyticGrads(out, r, inputs);
        for (int i = 0; i < inputs.length; i++) {
            if (!inputs[i].requiresGrad()) {
                continue;
            }
            float[] x = inputs[i].toArray();
            for (int j = 0; j < x.length; j++) {
                float keep = x[j];
                x[j] = (float) (keep + h);
                double plus = evalEngine(f, inputs, i, x, r);
                x[j] = (float) (keep - h);
                double minus = evalEngine(f, inputs, i, x, r);
                x[j] = keep;
                inputs[i].copyFrom(x);
                // Difference over the step actually taken in float32.
                double step = (double) (float) (keep + h) - (double) (float) (keep - h);
                compare(name, i, j, analytic[i][j], (plus - minus) / step, rtol, atol);
            }
        }
    }

    /**
     * The forward against a float64 reference (|Δ| ≤ fwdTol·(1+|ref|)) and autograd against central
     * differences of that reference with h = 1e-6 (truncation ~1e-12, rounding ~1e-10: the float64 side
     * is exact for our purpose, so the tolerance only absorbs float32 error in the engine's gradient).
     */
    static void againstReference(String name, Op f, RefOp ref, double fwdTol, double rtol, double atol,
                                 Tensor... inputs) {
        double[][] x = new double[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            x[i] = toDouble(inputs[i].toArray());
        }
        Tensor out = f.apply(inputs);
        float[] got = out.toArray();
        double[] want = ref.apply(copy(x));
        assertEquals(want.length, got.length, name + ": output size");
        for (int j = 0; j < got.length; j++) {
            if (Math.abs(got[j] - want[j]) > fwdTol * (1 + Math.abs(want[j]))) {
                fail(name + ": forward element " + j + " is " + got[j] + ", float64 reference " + want[j]);
            }
        }
        double[] r = weights(out.numel(), 11);
        double[][] analytic = analyticGrads(out, r, inputs);
        double h = 1e-6;
        for (int i = 0; i < inputs.length; i++) {
            if (!inputs[i].requiresGrad()) {
                continue;
            }
            for (int j = 0; j < x[i].length; j++) {
                double keep = x[i][j];
                x[i][j] = keep + h;
                double plus = dot(ref.apply(copy(x)), r);
                x[i][j] = keep - h;
                double minus = dot(ref.apply(copy(x)), r);
                x[i][j] = keep;
                compare(name, i, j, analytic[i][j], (plus - minus) / (2 * h), rtol, atol);
            }
        }
    }

    static void againstReference(String name, Op f, RefOp ref, Tensor... inputs) {
        againstReference(name, f, ref, 1e-5, 2e-3, 1e-4, inputs);
    }

    /** Random floats in [-scale, scale) from a fixed seed. */
    static float[] random(long seed, int n, double scale) {
        Random rnd = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static double[][] analyticGrads(Tensor out, double[] r, Tensor[] inputs) {
        for (Tensor t : inputs) {
            t.zeroGrad();
        }
        float[] rf = new float[r.length];
        for (int i = 0; i < r.length; i++) {
            rf[i] = (float) r[i];
        }
        out.backward(Tensor.of(out.kernels(), rf, out.shape()));
        double[][] g = new double[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            Tensor grad = inputs[i].grad();
            g[i] = grad == null ? new double[inputs[i].numel()] : toDouble(grad.toArray());
        }
        return g;
    }

    private static double evalEngine(Op f, Tensor[] inputs, int which, float[] x, double[] r) {
        inputs[which].copyFrom(x);
        try (var scope = Autograd.noGrad()) {
            return dot(toDouble(f.apply(inputs).toArray()), r);
        }
    }

    private static void compare(String name, int input, int index, double analytic, double numeric,
                                double rtol, double atol) {
        double tol = atol + rtol * Math.max(Math.abs(analytic), Math.abs(numeric));
        if (!(Math.abs(analytic - numeric) <= tol)) {
            fail(name + ": d/d(input " + input + ")[" + index + "] autograd " + analytic + " vs finite difference "
                    + numeric + " (tol " + tol + ")");
        }
    }

    private static double[] weights(int n, long seed) {
        Random rnd = new Random(seed);
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = (float) (rnd.nextDouble() * 2 - 1); // representable in float32: same R on both sides
        }
        return r;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double[][] copy(double[][] x) {
        return Arrays.stream(x).map(double[]::clone).toArray(double[][]::new);
    }
}
