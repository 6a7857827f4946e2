package dev.peft4j.kernels.opencl;

/**
 * One OpenCL device as listed by {@link OpenClDevices#list()}; {@code index} is the number that
 * {@link OpenClKernels#create(int)} and {@code --device opencl:N} take.
 */
public record OpenClDevice(int index, String platform, String name, String type, long globalMemBytes,
                           int computeUnits, long maxWorkGroupSize) {

    /** One line for {@code peft4j devices}. */
    public String describe() {
        return String.format("opencl:%d  %s  [%s, %s]  %s global memory, %d compute units, max work-group %d",
                index, name, type, platform, OpenClOutOfMemoryException.human(globalMemBytes), computeUnits,
                maxWorkGroupSize);
    }
}
