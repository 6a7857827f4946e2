package dev.peft4j.engine.io;

/** A safetensors file that breaks the format, or a request the file cannot serve; names the file. */
public final class SafetensorsException extends RuntimeException {

    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
