package dev.peft4j.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/** JMH: Vector API dot and axpy over heap {@code float[]} against native {@code MemorySegment}. */
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GemmLoadsBenchmark extends JmhDefaults {

    @Param({"4096", "1048576"})
    public int n;

    private GemmLoads loads;

    @Setup
    public void setup() {
        loads = new GemmLoads(n);
    }

    @Benchmark
    public float dotHeap() {
        return loads.dotHeap();
    }

    @Benchmark
    public float dotSegment() {
        return loads.dotSegment();
    }

    @Benchmark
    public void axpyHeap() {
        loads.axpyHeap(1e-9f);
    }

    @Benchmark
    public void axpySegment() {
        loads.axpySegment(1e-9f);
    }
}
