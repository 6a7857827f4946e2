package dev.peft4j.engine.json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) reader and writer over plain Java values, for safetensors headers,
 * {@code config.json} and {@code adapter_config.json}.
 *
 * <p>Values map to: object -> {@code LinkedHashMap<String,Object>} (key order kept, duplicate keys
 * rejected), array -> {@code ArrayList<Object>}, string -> {@code String}, number -> {@code Long} when
 * written without fraction or exponent and it fits, else {@code Double}, {@code true/false} ->
 * {@code Boolean}, {@code null} -> {@code null}. The typed accessors ({@link #object}, {@link #string}
 * ...) turn a wrong type into an error naming the field.
 */
public final class Json {

    private Json() {
    }

    /** Parses a whole document; {@code source} (a file path or a label) is named in error messages. */
    public static Object parse(String text, String source) {
        return new JsonParser(text, source).parseDocument();
    }

    /** Compact serialisation (no whitespace). */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        JsonWriter.write(value, out, -1, 0);
        return out.toString();
    }

    /** Pretty serialisation with two-space indentation, as Python's {@code json.dumps(indent=2)}. */
    public static String writePretty(Object value) {
        StringBuilder out = new StringBuilder();
        JsonWriter.write(value, out, 2, 0);
        return out.toString();
    }

    // ---------------------------------------------------------------- typed access

    /** {@code value} as an object; {@code what} names it in the error (e.g. "header of model.safetensors"). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(Object value, String what) {
        if (value instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw typeError(what, "an object", value);
    }

    @SuppressWarnings("unchecked")
    public static List<Object> array(Object value, String what) {
        if (value instanceof List<?> list) {
            return (List<Object>) list;
        }
        throw typeError(what, "an array", value);
    }

    public static String string(Object value, String what) {
        if (value instanceof String s) {
            return s;
        }
        throw typeError(what, "a string", value);
    }

    public static boolean bool(Object value, String what) {
        if (value instanceof Boolean b) {
            return b;
        }
        throw typeError(what, "a boolean", value);
    }

    /** An integral number; a Double with a fractional part is an error. */
    public static long integer(Object value, String what) {
        if (value instanceof Long l) {
            return l;
        }
        if (value instanceof Double d && d == Math.rint(d) && Math.abs(d) <= 0x1p53) {
            return d.longValue();
        }
        throw typeError(what, "an integer", value);
    }

    public static double number(Object value, String what) {
        if (value instanceof Number n) {
            return n.doubleValue();
        }
        throw typeError(what, "a number", value);
    }

    /** The member {@code key} of {@code obj}, or an error naming {@code what} and the missing key. */
    public static Object require(Map<String, Object> obj, String key, String what) {
        if (!obj.containsKey(key)) {
            throw new JsonException(what + " has no field \"" + key + "\" (fields: " + obj.keySet() + ")");
        }
        return obj.get(key);
    }

    /** A new empty object keeping insertion order, for building documents to write. */
    public static Map<String, Object> newObject() {
        return new LinkedHashMap<>();
    }

    /** A new empty array, for building documents to write. */
    public static List<Object> newArray() {
        return new ArrayList<>();
    }

    static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        String kind = value instanceof Map ? "object" : value instanceof List ? "array"
                : value instanceof String ? "string" : value instanceof Boolean ? "boolean"
                : value instanceof Number ? "number" : value.getClass().getSimpleName();
        if (value instanceof Map || value instanceof List) {
            return kind;
        }
        String text = value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
        return kind + " " + (text.length() > 40 ? text.substring(0, 40) + "..." : text);
    }

    private static JsonException typeError(String what, String expected, Object value) {
        return new JsonException(what + ": expected " + expected + " but found " + describe(value));
    }
}
