package dev.peft4j.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Peak memory of this process: resident set high-water mark ({@code VmHWM} in /proc/self/status, the figure
 * torch_bench.py reads too) and the Java heap's peak use.
 */
public final class PeakMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private PeakMemory() {
    }

    /** Peak resident set size in bytes, or -1 where /proc is not available (not Linux). */
    public static long peakRssBytes() {
        try {
            return parseVmHwm(Files.readString(STATUS));
        } catch (IOException e) {
            return -1;
        }
    }

    /** The {@code VmHWM:   123 kB} line of a /proc/PID/status text, in bytes; -1 when it has none. */
    static long parseVmHwm(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("VmHWM:")) {
                String[] f = line.substring(6).trim().split("\\s+");
                if (f.length != 2 || !f[1].equals("kB")) {
                    throw new IllegalArgumentException(STATUS + ": unexpected VmHWM line '" + line + "'");
                }
                return Long.parseLong(f[0]) * 1024;
            }
        }
        return -1;
    }

    /**
     * Sum of the heap pools' peak use since the JVM started (or the last {@link #resetHeapPeak}); the pools
     * peak at different moments and garbage counts until collected, so this is an upper bound on live data.
     */
    public static long heapPeakBytes() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    public static void resetHeapPeak() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                p.resetPeakUsage();
            }
        }
    }

    /** The JVM's garbage collectors, e.g. "G1 Young Generation + G1 Old Generation" (heap sizing depends on them). */
    public static String collectors() {
        return String.join(" + ", ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(java.lang.management.GarbageCollectorMXBean::getName).toList());
    }

    public static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
