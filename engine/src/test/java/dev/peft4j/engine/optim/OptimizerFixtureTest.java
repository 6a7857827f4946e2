package dev.peft4j.engine.optim;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.json.Json;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Replays tools/fixtures/make_optim.py: the same initial parameters and gradient sequence through our
 * optimizers (and clipping) must land on PyTorch's parameters after every one of the 5 steps.
 */
class OptimizerFixtureTest {

    private static final double REL_TOL = 1e-6;

    private static Kernels k;
    private static Map<String, Object> fixture;

    @BeforeAll
    static void load() throws IOException {
        k = new CpuKernels();
        try (InputStream in = OptimizerFixtureTest.class.getResourceAsStream("/optim/optim_steps.json")) {
            fixture = Json.object(Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8),
                    "optim_steps.json"), "fixture");
        }
    }

    @AfterAll
    static void close() {
        k.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"adamw", "adamw_clipped", "sgd_nesterov", "sgd_dampening", "sgd_plain"})
    void matchesPyTorchStepByStep(String caseName) {
        Map<String, Object> c = Json.object(Json.object(fixture.get("cases"), "cases").get(caseName), caseName);
        Map<String, Object> shapes = Json.object(fixture.get("shapes"), "shapes");
        Map<String, Object> init = Json.object(fixture.get("init"), "init");
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (String name : init.keySet()) {
            params.put(name, Tensor.of(k, floats(init.get(name)), ints(shapes.get(name))).requiresGrad(true));
        }
        List<Tensor> list = new ArrayList<>(params.values());
        Optimizer opt = build(c, list);
        List<Object> grads = Json.array(fixture.get("grads"), "grads");
        List<Object> steps = Json.array(c.get("steps"), "steps");
        Object clip = c.get("clip");
        for (int step = 0; step < grads.size(); step++) {
            opt.zeroGrad();
            Map<String, Object> stepGrads = Json.object(grads.get(step), "grads");
            for (Map.Entry<String, Object> g : stepGrads.entrySet()) {
                setGrad(params.get(g.getKey()), floats(g.getValue()));
            }
            assertNull(params.get("p2").grad(), "p2 never gets a gradient");
            if (clip != null) {
                double norm = GradClip.clipGlobalNorm(list, Json.number(clip, "clip"));
                double want = Json.number(Json.array(c.get("norms"), "norms").get(step), "norm");
                assertEquals(want, norm, REL_TOL * want, caseName + " step " + step + " total norm");
                Map<String, Object> clipped = Json.object(Json.array(c.get("clipped_grads"), "clipped").get(step), "c");
                for (Map.Entry<String, Object> g : clipped.entrySet()) {
                    assertClose(floats(g.getValue()), params.get(g.getKey()).grad().toArray(),
                            caseName + " step " + step + " clipped grad of " + g.getKey());
                }
            }
            opt.step();
            Map<String, Object> expected = Json.object(steps.get(step), "step");
            for (Map.Entry<String, Object> e : expected.entrySet()) {
                assertClose(floats(e.getValue()), params.get(e.getKey()).toArray(),
                        caseName + " step " + step + " param " + e.getKey());
            }
        }
        assertArrayEquals(floats(init.get("p2")), params.get("p2").toArray(), "a parameter without grad is untouched");
    }

    private static Optimizer build(Map<String, Object> c, List<Tensor> params) {
        float lr = (float) Json.number(c.get("lr"), "lr");
        float wd = (float) Json.number(c.get("weight_decay"), "weight_decay");
        return switch (Json.string(c.get("kind"), "kind")) {
            case "adamw" -> {
                List<Object> betas = Json.array(c.get("betas"), "betas");
                yield new AdamW(params, lr, (float) Json.number(betas.get(0), "b1"),
                        (float) Json.number(betas.get(1), "b2"), (float) Json.number(c.get("eps"), "eps"), wd);
            }
            case "sgd" -> new Sgd(params, lr, (float) Json.number(c.get("momentum"), "momentum"),
                    (float) Json.number(c.get("dampening"), "dampening"), wd, Json.bool(c.get("nesterov"), "nesterov"));
            default -> throw new IllegalStateException("unknown optimizer kind in fixture: " + c.get("kind"));
        };
    }

    /** Makes {@code p.grad()} exactly {@code g}: d/dp sum(p * g) = g, with no rounding in between. */
    static void setGrad(Tensor p, float[] g) {
        p.mul(Tensor.of(p.kernels(), g, p.shape())).sum().backward();
    }

    static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + " length");
        for (int i = 0; i < want.length; i++) {
            double tol = REL_TOL * Math.max(Math.abs(want[i]), 1e-2);
            if (!(Math.abs(want[i] - got[i]) <= tol)) {
                fail(what + "[" + i + "]: expected " + want[i] + " but got " + got[i] + " (tolerance " + tol + ")");
            }
        }
    }

    static float[] floats(Object list) {
        List<Object> l = Json.array(list, "values");
        float[] out = new float[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) Json.number(l.get(i), "value");
        }
        return out;
    }

    static int[] ints(Object list) {
        return Json.array(list, "shape").stream().mapToInt(o -> (int) Json.integer(o, "dim")).toArray();
    }

    @org.junit.jupiter.api.Test
    void fixtureHasSomeClippedAndSomeUnclippedSteps() {
        // guards the fixture itself: both branches of clip_grad_norm_ must be exercised
        Map<String, Object> c = Json.object(Json.object(fixture.get("cases"), "cases").get("adamw_clipped"), "c");
        double clip = Json.number(c.get("clip"), "clip");
        List<Object> norms = Json.array(c.get("norms"), "norms");
        assertTrue(norms.stream().anyMatch(n -> Json.number(n, "n") > clip));
        assertTrue(norms.stream().anyMatch(n -> Json.number(n, "n") < clip));
    }
}
