package dev.peft4j.peft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.kernels.opencl.OpenClDevice;
import dev.peft4j.kernels.opencl.OpenClDevices;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code peft4j devices} lists the CPU and every OpenCL device; {@code --device} parses and opens. */
class DevicesCommandTest {

    @Test
    void listsTheCpuAndEveryOpenClDevice() {
        StringWriter text = new StringWriter();
        int exit = new CommandLine(new DevicesCommand()).setOut(new PrintWriter(text)).execute();
        String out = text.toString();
        assertEquals(0, exit, out);
        assertTrue(out.startsWith("cpu       cpu ("), out);
        List<OpenClDevice> devices = OpenClDevices.list(); // PoCL is installed wherever these tests run
        for (OpenClDevice d : devices) {
            assertTrue(out.contains(d.describe()), "missing " + d.describe() + " in\n" + out);
            assertTrue(out.contains("opencl:" + d.index() + "  " + d.name()) && out.contains(d.platform())
                    && out.contains(d.computeUnits() + " compute units"), out);
        }
        if (devices.isEmpty()) {
            assertTrue(out.contains("no OpenCL platform"), out);
        }
    }

    @Command(name = "probe")
    static final class Probe implements Runnable {
        @Mixin
        DeviceOption device;

        @Override
        public void run() {
        }
    }

    @Test
    void deviceOptionDefaultsToCpuAndOpensIt() {
        Probe probe = new Probe();
        new CommandLine(probe).parseArgs();
        assertEquals("cpu", probe.device.spec());
        try (Kernels k = probe.device.open()) {
            assertInstanceOf(CpuKernels.class, k);
        }
    }

    @Test
    void deviceOptionTakesAnOpenClIndexAndReportsBadSpecs() {
        Probe probe = new Probe();
        new CommandLine(probe).parseArgs("--device", "opencl:7");
        assertEquals("opencl:7", probe.device.spec());
        new CommandLine(probe).parseArgs("--device", "tpu");
        String message = assertThrows(IllegalArgumentException.class, () -> probe.device.open()).getMessage();
        assertTrue(message.contains("'tpu'") && message.contains("cpu, opencl or opencl:N"), message);
    }
}
