package dev.peft4j.kernels.opencl;

/** A failure of the OpenCL backend with a message that says what went wrong and what to do. */
public class OpenClException extends RuntimeException {

    public OpenClException(String message) {
        super(message);
    }

    public OpenClException(String message, Throwable cause) {
        super(message, cause);
    }

    /** No OpenCL runtime (library, ICD loader or driver) could be loaded or queried. */
    static OpenClException notAvailable(Throwable cause) {
        return new OpenClException("OpenCL is not available: " + cause.getClass().getSimpleName() + ": "
                + cause.getMessage() + "; install an OpenCL driver (e.g. PoCL) or use --device cpu", cause);
    }
}
