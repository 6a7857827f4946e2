package dev.peft4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The same Vector API dot product and axpy over heap {@code float[]} and over native {@link MemorySegment}s:
 * the evidence for keeping CPU tensors on the heap. Shared by {@link GemmBench} and {@link GemmLoadsBenchmark}.
 */
public final class GemmLoads {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    final int n;
    final float[] x;
    final float[] y;
    final MemorySegment xs;
    final MemorySegment ys;

    /** n floats per operand, both on the heap and in a 64-byte aligned native segment (an auto arena). */
    public GemmLoads(int n) {
        if (n % S.length() != 0) {
            throw new IllegalArgumentException("GemmLoads: n=" + n + " must be a multiple of " + S.length());
        }
        this.n = n;
        x = new float[n];
        y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (i % 7) * 0.25f;
            y[i] = (i % 5) * 0.5f;
        }
        Arena arena = Arena.ofAuto();
        xs = arena.allocate(4L * n, 64);
        ys = arena.allocate(4L * n, 64);
        MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, n);
        MemorySegment.copy(y, 0, ys, ValueLayout.JAVA_FLOAT, 0, n);
    }

    public float dotHeap() {
        FloatVector acc0 = FloatVector.zero(S);
        FloatVector acc1 = FloatVector.zero(S);
        int l = S.length();
        for (int i = 0; i < n; i += 2 * l) {
            acc0 = FloatVector.fromArray(S, x, i).fma(FloatVector.fromArray(S, y, i), acc0);
            acc1 = FloatVector.fromArray(S, x, i + l).fma(FloatVector.fromArray(S, y, i + l), acc1);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    public float dotSegment() {
        FloatVector acc0 = FloatVector.zero(S);
        FloatVector acc1 = FloatVector.zero(S);
        int l = S.length();
        for (long i = 0; i < n; i += 2L * l) {
            acc0 = FloatVector.fromMemorySegment(S, xs, 4 * i, NATIVE)
                    .fma(FloatVector.fromMemorySegment(S, ys, 4 * i, NATIVE), acc0);
            acc1 = FloatVector.fromMemorySegment(S, xs, 4 * (i + l), NATIVE)
                    .fma(FloatVector.fromMemorySegment(S, ys, 4 * (i + l), NATIVE), acc1);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    /** y += a·x on the heap (a is tiny, so repeated calls stay finite). */
    public void axpyHeap(float a) {
        FloatVector av = FloatVector.broadcast(S, a);
        for (int i = 0; i < n; i += S.length()) {
            FloatVector.fromArray(S, x, i).fma(av, FloatVector.fromArray(S, y, i)).intoArray(y, i);
        }
    }

    public void axpySegment(float a) {
        FloatVector av = FloatVector.broadcast(S, a);
        for (long i = 0; i < n; i += S.length()) {
            FloatVector.fromMemorySegment(S, xs, 4 * i, NATIVE).fma(av, FloatVector.fromMemorySegment(S, ys, 4 * i, NATIVE))
                    .intoMemorySegment(ys, 4 * i, NATIVE);
        }
    }
}
