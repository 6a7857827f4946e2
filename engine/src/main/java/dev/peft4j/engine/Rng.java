package dev.peft4j.engine;

/**
 * A seeded random source, deterministic across runs, JVMs and platforms: xoshiro256** seeded by
 * SplitMix64 (both specified bit-for-bit, unlike {@code java.util.Random} subclasses we do not control).
 * Not thread-safe; give each thread its own via {@link #fork()}.
 *
 * <p>Values differ from PyTorch's generator; what matches PyTorch are the distributions and bounds
 * (e.g. {@link #kaimingUniform}).
 */
public final class Rng {

    private long s0;
    private long s1;
    private long s2;
    private long s3;
    private double spareNormal;
    private boolean hasSpareNormal;

    public Rng(long seed) {
        long x = seed;
        x += 0x9E3779B97F4A7C15L;
        s0 = mix(x);
        x += 0x9E3779B97F4A7C15L;
        s1 = mix(x);
        x += 0x9E3779B97F4A7C15L;
        s2 = mix(x);
        x += 0x9E3779B97F4A7C15L;
        s3 = mix(x);
    }

    /** SplitMix64's output function: spreads a counter over all 64 bits so nearby seeds diverge. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The next 64 uniformly random bits (xoshiro256**). */
    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** A new generator seeded from this one's stream: independent, reproducible sub-streams. */
    public Rng fork() {
        return new Rng(nextLong());
    }

    /** Uniform in [0, 1) with 24 random bits (every float in the grid k/2^24 is equally likely). */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound), unbiased (Lemire's multiply-and-reject). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        long m = (nextLong() >>> 32) * bound;
        long low = m & 0xFFFFFFFFL;
        if (low < bound) {
            long threshold = (0x1_0000_0000L - bound) % bound;
            while (low < threshold) {
                m = (nextLong() >>> 32) * bound;
                low = m & 0xFFFFFFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    /** A standard-normal-scaled draw: Box–Muller in double, the second value of each pair kept for the next call. */
    public double normal(double mean, double std) {
        if (hasSpareNormal) {
            hasSpareNormal = false;
            return mean + std * spareNormal;
        }
        double u1;
        do {
            u1 = nextDouble();
        } while (u1 == 0.0); // log(0) is -inf
        double u2 = nextDouble();
        double r = Math.sqrt(-2.0 * Math.log(u1));
        double theta = 2.0 * Math.PI * u2;
        spareNormal = r * Math.sin(theta);
        hasSpareNormal = true;
        return mean + std * r * Math.cos(theta);
    }

    /** {@code n} draws from N(mean, std²). */
    public float[] normal(int n, double mean, double std) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) normal(mean, std);
        }
        return out;
    }

    /** {@code n} draws uniform in [lo, hi). */
    public float[] uniform(int n, double lo, double hi) {
        if (!(hi >= lo)) {
            throw new IllegalArgumentException("uniform bounds need lo <= hi, got [" + lo + ", " + hi + ")");
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (lo + (hi - lo) * nextDouble());
        }
        return out;
    }

    /**
     * PyTorch's {@code kaiming_uniform_(a, mode='fan_in', nonlinearity='leaky_relu')}: uniform in
     * [-bound, bound] with {@code bound = gain * sqrt(3 / fanIn)}, {@code gain = sqrt(2 / (1 + a²))}.
     * With a = √5 (nn.Linear's default) the bound is 1/√fanIn.
     */
    public float[] kaimingUniform(int fanIn, double a, int n) {
        return uniform(n, -kaimingBound(fanIn, a), kaimingBound(fanIn, a));
    }

    /** The bound {@link #kaimingUniform} draws within. */
    public static double kaimingBound(int fanIn, double a) {
        if (fanIn <= 0) {
            throw new IllegalArgumentException("kaiming init needs fanIn > 0, got " + fanIn);
        }
        double gain = Math.sqrt(2.0 / (1.0 + a * a));
        return gain * Math.sqrt(3.0 / fanIn);
    }

    /** A uniformly random permutation of 0..n-1 (Fisher–Yates), e.g. the example order of one epoch. */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        shuffle(p);
        return p;
    }

    /** Shuffles {@code a} in place, uniformly (Fisher–Yates). */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
