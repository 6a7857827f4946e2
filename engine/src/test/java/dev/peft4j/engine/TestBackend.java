package dev.peft4j.engine;

import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.kernels.opencl.OpenClDevices;
import dev.peft4j.kernels.opencl.OpenClException;
import dev.peft4j.kernels.opencl.OpenClKernels;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The backend the engine tests run on, plus a call-counting wrapper to prove work is skipped. */
final class TestBackend {

    static final Kernels CPU = new CpuKernels();

    private TestBackend() {
    }

    static Tensor tensor(float[] data, int... shape) {
        return Tensor.of(CPU, data, shape);
    }

    static Tensor param(float[] data, int... shape) {
        return Tensor.of(CPU, data, shape).requiresGrad(true);
    }

    /** A random O(scale) trainable tensor. */
    static Tensor randomParam(long seed, double scale, int... shape) {
        return param(GradCheck.random(seed, Shapes.numel(shape), scale), shape);
    }

    /**
     * The first OpenCL device (or {@code -Dpeft4j.opencl.device}), or a skipped test where OpenCL is missing;
     * the caller closes it.
     */
    static Kernels openClOrSkip() {
        Kernels cl = null;
        try {
            if (!OpenClDevices.list().isEmpty()) {
                cl = OpenClKernels.create(Integer.getInteger("peft4j.opencl.device", 0));
            }
        } catch (OpenClException e) {
            if (!e.getMessage().startsWith("OpenCL is not available")) {
                throw e;
            }
        }
        assumeTrue(cl != null, "no OpenCL device");
        return cl;
    }

    /** Kernels that count calls per method name and delegate to the CPU backend. */
    static final class Counting {
        final Map<String, Integer> calls = new ConcurrentHashMap<>();
        final Kernels kernels = (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(),
                new Class<?>[] {Kernels.class}, (proxy, method, args) -> {
                    calls.merge(method.getName(), 1, Integer::sum);
                    try {
                        return method.invoke(CPU, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });

        int count(String method) {
            return calls.getOrDefault(method, 0);
        }

        void reset() {
            calls.clear();
        }
    }
}
