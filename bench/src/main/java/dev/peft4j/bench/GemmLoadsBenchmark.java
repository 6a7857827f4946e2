package dev.peft4j.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** JMH: Vector API dot and axpy over heap {@code float[]} against native {@code MemorySegment}. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector",
        "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0"})
public class GemmLoadsBenchmark {

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
