package dev.peft4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.cpu.CpuKernels;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Device specs and their errors; and, in a child JVM without JOCL on its classpath, that {@code cpu}
 * works and {@code opencl} fails with advice. (Opening a real OpenCL device through this class is
 * exercised by the models module's GPT-2 parity test, which keeps this JVM to one program build.)
 */
class BackendsTest {

    @Test
    void cpuSpecOpensTheCpuBackendInAnySpelling() {
        try (Kernels k = Backends.create(" CPU ")) {
            assertInstanceOf(CpuKernels.class, k);
        }
    }

    @Test
    void malformedSpecsNameTheSpecAndTheAcceptedForms() {
        String unknown = assertThrows(IllegalArgumentException.class, () -> Backends.create("gpu")).getMessage();
        assertTrue(unknown.contains("'gpu'") && unknown.contains("opencl:N"), unknown);
        String index = assertThrows(IllegalArgumentException.class, () -> Backends.create("opencl:x")).getMessage();
        assertTrue(index.contains("'x'"), index);
        assertThrows(IllegalArgumentException.class, () -> Backends.create("opencl:-1"));
        assertThrows(IllegalArgumentException.class, () -> Backends.create(null));
    }

    @Test
    void cpuNeverTouchesJoclAndOpenClExplainsItsAbsence() throws Exception {
        String classpath = String.join(File.pathSeparator, location(Backends.class), location(BackendsWithoutJocl.class));
        assertTrue(!classpath.contains("jocl"), classpath);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "--add-modules", "jdk.incubator.vector", "-cp", classpath,
                BackendsWithoutJocl.class.getName())).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("cpu ok: cpu ("), output);
        assertTrue(output.contains("opencl failed: OpenCL is not available") && output.contains("use --device cpu"),
                output);
    }

    private static String location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
