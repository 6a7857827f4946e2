package dev.peft4j.kernels.cpu;

import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Recycles the arrays of closed {@link CpuBuffer}s for the next allocation of the same length, as the OpenCL
 * backend's pool does with device memory. A training step closes what autograd owns alone (the gradients of
 * intermediate tensors once their op's backward has run, and backward rules' temporaries) and asks for the same
 * few sizes again a layer later or at the next step: taking those from here instead of the heap cut the garbage of
 * a GPT-2 LoRA step by 38 % (JFR allocation samples) and its collection pauses by about a sixth, and it hands out
 * arrays the caches saw last.
 *
 * <p>Only arrays of at least {@code minLength} floats are kept (smaller ones cost the collector little), at most
 * {@link #MAX_PER_LENGTH} per length, each behind a weak reference: the pool recycles what is still there and never
 * keeps an array alive through a collection (with soft references a GPT-2 step ran no faster, and G1 keeps softly
 * reachable arrays while the heap has room, so a capped heap would carry them). Thread-safe.
 */
final class CpuArrayPool {

    /**
     * 64 Ki floats (256 KiB): below this a fresh array from the thread's allocation buffer is as cheap.
     * {@code -Dpeft4j.cpu.poolMinFloats=N} sets another threshold; the test suite runs with 1, so every test's
     * buffers go through the pool.
     */
    static final int DEFAULT_MIN_LENGTH = 1 << 16;
    /**
     * A bound per length, so a burst of closes of one size cannot park an unbounded amount of memory. A training
     * step that closes its activations ({@code StepScope}) hands back ~100 arrays of GPT-2's most common size
     * ([512, 768]) at once, all wanted again by the next forward.
     */
    static final int MAX_PER_LENGTH = 256;

    private final int minLength;
    private final boolean poison; // fill closed arrays with NaN, so a read after close shows at once
    private final Map<Integer, ArrayDeque<WeakReference<float[]>>> free = new HashMap<>();
    private long reused;
    private long requested;

    CpuArrayPool(int minLength, boolean poison) {
        if (minLength < 1) {
            throw new IllegalArgumentException("peft4j.cpu.poolMinFloats must be at least 1, got " + minLength);
        }
        this.minLength = minLength;
        this.poison = poison;
    }

    /**
     * The pool a backend uses: {@link #DEFAULT_MIN_LENGTH} unless {@code peft4j.cpu.poolMinFloats} says otherwise;
     * {@code -Dpeft4j.cpu.poisonClosed=true} (the test suite's setting) fills every closed array with NaN.
     */
    static CpuArrayPool configured() {
        return new CpuArrayPool(Integer.getInteger("peft4j.cpu.poolMinFloats", DEFAULT_MIN_LENGTH),
                Boolean.getBoolean("peft4j.cpu.poisonClosed"));
    }

    /** A zero-filled array of {@code length} floats: a recycled one when the pool holds one, else a new one. */
    float[] take(int length) {
        float[] recycled = length >= minLength ? poll(length) : null;
        if (recycled == null) {
            return new float[length];
        }
        Arrays.fill(recycled, 0f);
        return recycled;
    }

    /** Takes back an array no buffer uses any more; one too short to pool, or beyond the bound, is left to the GC. */
    synchronized void give(float[] array) {
        if (poison) {
            Arrays.fill(array, Float.NaN);
        }
        if (array.length < minLength) {
            return;
        }
        ArrayDeque<WeakReference<float[]>> list = free.computeIfAbsent(array.length, n -> new ArrayDeque<>());
        if (list.size() >= MAX_PER_LENGTH) {
            list.removeIf(ref -> ref.get() == null);
        }
        if (list.size() < MAX_PER_LENGTH) {
            list.push(new WeakReference<>(array));
        }
    }

    /** How many allocations a recycled array served. */
    synchronized long reused() {
        return reused;
    }

    /** How many allocations were long enough to be served from here (recycled or not). */
    synchronized long requested() {
        return requested;
    }

    /** Drops every held array. */
    synchronized void clear() {
        free.clear();
    }

    private synchronized float[] poll(int length) {
        requested++;
        ArrayDeque<WeakReference<float[]>> list = free.get(length);
        while (list != null && !list.isEmpty()) {
            float[] array = list.pop().get();
            if (array != null) {
                reused++;
                return array;
            }
        }
        return null;
    }
}
