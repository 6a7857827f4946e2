package dev.peft4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.cpu.CpuKernels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A backend's sampled-GEMM crossover, and the property that replaces it with one measured elsewhere. */
class SampledGemmDensityTest {

    @AfterEach
    void clearProperty() {
        System.clearProperty(SampledGemmDensity.PROPERTY);
    }

    @Test
    void theBackendsMeasuredValueStandsUnlessThePropertyIsSet() {
        try (CpuKernels cpu = new CpuKernels()) {
            assertEquals(0.02, cpu.sampledGemmMaxDensity());
            System.setProperty(SampledGemmDensity.PROPERTY, " 0.05 ");
            assertEquals(0.05, cpu.sampledGemmMaxDensity());
        }
    }

    @Test
    void aValueThatIsNotADensityIsRefusedNamingTheProperty() {
        for (String bad : new String[] {"two percent", "1.5", "-0.1", "NaN"}) {
            System.setProperty(SampledGemmDensity.PROPERTY, bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SampledGemmDensity.configured(0.02), bad);
            assertTrue(e.getMessage().contains("-D" + SampledGemmDensity.PROPERTY + "=" + bad), e.getMessage());
        }
    }
}
