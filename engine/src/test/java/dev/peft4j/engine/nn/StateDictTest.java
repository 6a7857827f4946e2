package dev.peft4j.engine.nn;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.engine.io.SafetensorsWriter;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateDictTest {

    private static Kernels k;

    @TempDir
    Path tmp;

    @BeforeAll
    static void open() {
        k = new CpuKernels();
    }

    @AfterAll
    static void close() {
        k.close();
    }

    static final class Net extends Module {
        Net(long seed) {
            Rng rng = new Rng(seed);
            registerModule("fc", new Linear(k, 3, 2, true, rng));
            registerModule("ln", new LayerNorm(k, 2, 1e-5f));
        }
    }

    @Test
    void saveThenLoadRestoresValuesInPlace() throws Exception {
        Net a = new Net(1);
        Net b = new Net(2);
        Path file = tmp.resolve("net.safetensors");
        StateDict.save(a, file);
        Tensor bWeight = ((Linear) b.module("fc")).weight();
        StateDict.LoadReport report = StateDict.load(b, file, true);
        assertEquals(4, report.loaded());
        assertTrue(report.missing().isEmpty() && report.unexpected().isEmpty());
        assertSame(bWeight, ((Linear) b.module("fc")).weight(), "loaded in place");
        for (Map.Entry<String, Tensor> e : a.namedParameters().entrySet()) {
            assertArrayEquals(e.getValue().toArray(), b.namedParameters().get(e.getKey()).toArray(), 0f, e.getKey());
        }
    }

    @Test
    void prefixesSubsetsAndMismatchesAreReported() throws Exception {
        Net a = new Net(1);
        Path file = tmp.resolve("prefixed.safetensors");
        StateDict.save(a, file, n -> n.startsWith("fc."), n -> "base_model.model." + n, Map.of("format", "pt"));
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertEquals(List.of("base_model.model.fc.weight", "base_model.model.fc.bias"), r.names());
            assertEquals(Map.of("format", "pt"), r.metadata());
            Net b = new Net(3);
            StateDict.LoadReport report = StateDict.load(b, r, n -> "base_model.model." + n, false);
            assertEquals(2, report.loaded());
            assertEquals(List.of("base_model.model.ln.weight", "base_model.model.ln.bias"), report.missing());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> StateDict.load(new Net(3), r, n -> "base_model.model." + n, true));
            assertTrue(e.getMessage().contains("ln.weight") && e.getMessage().contains(file.toString()), e.getMessage());
            StateDict.LoadReport none = StateDict.load(new Net(3), r, Function.identity(), false);
            assertEquals(0, none.loaded());
            assertEquals(2, none.unexpected().size());
        }
        Path wrong = tmp.resolve("wrong.safetensors");
        SafetensorsWriter.write(wrong, List.of(new HostTensor("fc.weight", new float[6], 3, 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StateDict.load(new Net(1), wrong, false));
        assertTrue(e.getMessage().contains("\"fc.weight\"") && e.getMessage().contains("[3, 2]")
                && e.getMessage().contains("[2, 3]"), e.getMessage());
        assertFalse(e.getMessage().isEmpty());
    }
}
