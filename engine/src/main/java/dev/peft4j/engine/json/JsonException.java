package dev.peft4j.engine.json;

/** Malformed JSON text, or a well-formed document of the wrong shape. */
public final class JsonException extends RuntimeException {

    public JsonException(String message) {
        super(message);
    }
}
