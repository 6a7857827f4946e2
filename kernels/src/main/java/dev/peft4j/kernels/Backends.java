package dev.peft4j.kernels;

import dev.peft4j.kernels.cpu.CpuKernels;
import java.util.Locale;

/**
 * Opens a backend from a device spec as users type it: {@code cpu}, {@code opencl} (device 0) or
 * {@code opencl:N} (N indexes {@code OpenClDevices.list()}, as {@code peft4j devices} prints it).
 *
 * <p>The OpenCL classes (and through them JOCL and the native OpenCL loader) are reached only through
 * {@link OpenClOpener}, which the JVM loads on the first OpenCL request: {@code cpu} works on machines
 * with no OpenCL library, and even with JOCL missing from the classpath.
 */
public final class Backends {

    /** The accepted spellings, for help texts and error messages. */
    public static final String SPECS = "cpu, opencl or opencl:N";

    private Backends() {
    }

    /** A new backend for {@code spec}; the caller closes it. */
    public static Kernels create(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("cpu")) {
            return new CpuKernels();
        }
        if (s.equals("opencl")) {
            return OpenClOpener.open(0);
        }
        if (s.startsWith("opencl:")) {
            return OpenClOpener.open(deviceIndex(spec, s.substring("opencl:".length())));
        }
        throw new IllegalArgumentException("unknown device '" + spec + "': expected " + SPECS
                + " (see `peft4j devices`)");
    }

    private static int deviceIndex(String spec, String digits) {
        try {
            int n = Integer.parseInt(digits);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException("device '" + spec + "': N in opencl:N must be a device index >= 0"
                + " (see `peft4j devices`), got '" + digits + "'");
    }

    /** The only place this class touches OpenCL types; its own class file keeps them from loading early. */
    private static final class OpenClOpener {

        static Kernels open(int index) {
            try {
                return dev.peft4j.kernels.opencl.OpenClKernels.create(index);
            } catch (NoClassDefFoundError e) {
                throw new IllegalStateException("OpenCL is not available: the JOCL library (org.jocl:jocl) is not on"
                        + " the classpath (" + e.getMessage() + "); use --device cpu", e);
            }
        }
    }
}
