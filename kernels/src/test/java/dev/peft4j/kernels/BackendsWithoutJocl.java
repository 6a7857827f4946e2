package dev.peft4j.kernels;

/** Child-JVM entry point of {@link BackendsTest}: runs with the kernels classes but without JOCL. */
final class BackendsWithoutJocl {

    private BackendsWithoutJocl() {
    }

    public static void main(String[] args) {
        try (Kernels k = Backends.create("cpu")) {
            Buffer b = k.upload(new float[]{1f, 2f}, 0, 2);
            k.scale(b, 0, 2f, 0f, b, 0, 2);
            float[] out = new float[2];
            k.read(b, 0, out, 0, 2);
            if (out[1] != 4f) throw new AssertionError("cpu backend computed " + out[1]);
            System.out.println("cpu ok: " + k.name());
        }
        try (Kernels k = Backends.create("opencl")) {
            System.out.println("opencl unexpectedly opened: " + k.name());
            System.exit(2);
        } catch (IllegalStateException e) {
            System.out.println("opencl failed: " + e.getMessage());
        }
    }
}
