package dev.peft4j.engine.json;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Serialises plain Java values (see {@link Json}) to JSON text. */
final class JsonWriter {

    private JsonWriter() {
    }

    /** {@code indent < 0} writes compactly; otherwise each nesting level indents by {@code indent} spaces. */
    static void write(Object value, StringBuilder out, int indent, int level) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String s) {
            writeString(s, out);
        } else if (value instanceof Boolean b) {
            out.append(b);
        } else if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (!Double.isFinite(d)) {
                throw new JsonException("cannot write the non-finite number " + d + " as JSON");
            }
            // Floats print with their shortest float repr (0.1f -> 0.1, not 0.10000000149...).
            out.append(value instanceof Float f ? Float.toString(f) : Double.toString(d));
        } else if (value instanceof Number n) {
            out.append(n.longValue());
        } else if (value instanceof Map<?, ?> map) {
            writeObject(map, out, indent, level);
        } else if (value instanceof List<?> list) {
            writeArray(list, out, indent, level);
        } else if (value instanceof int[] ints) {
            writeArray(java.util.Arrays.stream(ints).boxed().toList(), out, indent, level);
        } else if (value instanceof long[] longs) {
            writeArray(java.util.Arrays.stream(longs).boxed().toList(), out, indent, level);
        } else {
            throw new JsonException("cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    private static void writeObject(Map<?, ?> map, StringBuilder out, int indent, int level) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        out.append('{');
        Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<?, ?> e = it.next();
            if (!(e.getKey() instanceof String key)) {
                throw new JsonException("JSON object keys must be strings, found " + e.getKey());
            }
            newline(out, indent, level + 1);
            writeString(key, out);
            out.append(indent < 0 ? ":" : ": ");
            write(e.getValue(), out, indent, level + 1);
            if (it.hasNext()) {
                out.append(',');
            }
        }
        newline(out, indent, level);
        out.append('}');
    }

    private static void writeArray(List<?> list, StringBuilder out, int indent, int level) {
        if (list.isEmpty()) {
            out.append("[]");
            return;
        }
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
            newline(out, indent, level + 1);
            write(list.get(i), out, indent, level + 1);
            if (i + 1 < list.size()) {
                out.append(',');
            }
        }
        newline(out, indent, level);
        out.append(']');
    }

    private static void newline(StringBuilder out, int indent, int level) {
        if (indent >= 0) {
            out.append('\n').append(" ".repeat(indent * level));
        }
    }

    private static void writeString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
