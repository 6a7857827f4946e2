package dev.peft4j.kernels;

/**
 * The counter-based hash behind {@link Kernels#dropoutMask}: every backend must reproduce it bit for bit,
 * so a mask drawn on the CPU equals the one drawn by OpenCL for the same seed.
 *
 * <p>Exact arithmetic. All values are 64-bit two's-complement integers ({@code ulong} in OpenCL C);
 * additions and multiplications wrap modulo 2<sup>64</sup>; {@code >>>} is a logical right shift
 * ({@code >>} on {@code ulong}):
 * <pre>
 *   mix(z):  z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9
 *            z = (z ^ (z >>> 27)) * 0x94D049BB133111EB
 *            return z ^ (z >>> 31)                      // splitmix64's finaliser
 *
 *   bits    = mix(mix(seed) + (index + 1) * 0x9E3779B97F4A7C15)
 *   uniform = (float) (bits >>> 40) * 0x1.0p-24f        // exact: a 24-bit integer times 2^-24, in [0, 1)
 *   keep    = uniform >= p
 *   mask    = keep ? 1.0f / (1.0f - p) : 0.0f           // float32 division
 * </pre>
 * {@code index} counts from the start of the masked range (0 ≤ index &lt; n), not from the buffer start,
 * so the offset of the range does not change the mask. The seed goes through {@code mix} first so nearby
 * seeds give unrelated streams rather than shifted copies of one stream.
 */
public final class DropoutHash {

    /** The splitmix64 increment (2^64 / golden ratio): consecutive indices land far apart before mixing. */
    public static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private DropoutHash() {
    }

    /** splitmix64's bijective finaliser. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The per-seed key; hoist it out of loops and pass it to {@link #uniformFromKey}. */
    public static long key(long seed) {
        return mix(seed);
    }

    /** A uniform float in [0, 1) for element {@code index} of the stream keyed by {@link #key}. */
    public static float uniformFromKey(long key, long index) {
        long bits = mix(key + (index + 1) * GOLDEN_GAMMA);
        return (bits >>> 40) * 0x1.0p-24f;
    }

    /** A uniform float in [0, 1) for element {@code index} of the stream of {@code seed}. */
    public static float uniform(long seed, long index) {
        return uniformFromKey(key(seed), index);
    }

    /** The value of the inverted-dropout mask at {@code index}: {@code 1/(1-p)} when kept, else 0. */
    public static float maskValue(long seed, long index, float p) {
        return uniform(seed, index) >= p ? 1.0f / (1.0f - p) : 0.0f;
    }
}
