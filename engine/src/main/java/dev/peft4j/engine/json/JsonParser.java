package dev.peft4j.engine.json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Recursive-descent parser for one JSON document; errors carry the source, line, column and offset. */
final class JsonParser {

    /** Deep nesting is a sign of a corrupt or hostile file; stop before the Java stack does. */
    private static final int MAX_DEPTH = 512;

    private final String text;
    private final String source;
    private int pos;
    private int depth;

    JsonParser(String text, String source) {
        this.text = text;
        this.source = source;
    }

    Object parseDocument() {
        skipWhitespace();
        if (pos >= text.length()) {
            throw error("empty document, expected a JSON value");
        }
        Object value = parseValue();
        skipWhitespace();
        if (pos < text.length()) {
            throw error("unexpected " + quoteChar(text.charAt(pos)) + " after the end of the JSON value");
        }
        return value;
    }

    private Object parseValue() {
        skipWhitespace();
        if (pos >= text.length()) {
            throw error("unexpected end of input, expected a value");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> parseObject();
            case '[' -> parseArray();
            case '"' -> parseString();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield parseNumber();
                }
                throw error("unexpected " + quoteChar(c) + ", expected a value");
            }
        };
    }

    private Map<String, Object> parseObject() {
        enter();
        int start = pos;
        pos++; // '{'
        Map<String, Object> obj = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            depth--;
            return obj;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key in the object opened at offset " + start);
            }
            int keyPos = pos;
            String key = parseString();
            if (obj.containsKey(key)) {
                pos = keyPos;
                throw error("duplicate key \"" + key + "\"");
            }
            skipWhitespace();
            expect(':', "after the object key \"" + key + "\"");
            obj.put(key, parseValue());
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == '}') {
                pos++;
                depth--;
                return obj;
            } else {
                throw error("expected ',' or '}' in the object opened at offset " + start);
            }
        }
    }

    private List<Object> parseArray() {
        enter();
        int start = pos;
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            depth--;
            return list;
        }
        while (true) {
            list.add(parseValue());
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                depth--;
                return list;
            } else {
                throw error("expected ',' or ']' in the array opened at offset " + start);
            }
        }
    }

    private String parseString() {
        int start = pos;
        pos++; // opening quote
        StringBuilder sb = null;
        int runStart = pos;
        while (true) {
            if (pos >= text.length()) {
                pos = start;
                throw error("unterminated string");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                String s = sb == null ? text.substring(runStart, pos) : sb.append(text, runStart, pos).toString();
                pos++;
                return s;
            }
            if (c < 0x20) {
                throw error("unescaped control character " + String.format("U+%04X", (int) c) + " in a string");
            }
            if (c == '\\') {
                if (sb == null) {
                    sb = new StringBuilder();
                }
                sb.append(text, runStart, pos);
                pos++;
                if (pos >= text.length()) {
                    throw error("unterminated escape sequence");
                }
                char e = text.charAt(pos);
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        sb.append(hex4(pos + 1));
                        pos += 4;
                    }
                    default -> throw error("invalid escape \\" + e);
                }
                pos++;
                runStart = pos;
            } else {
                pos++;
            }
        }
    }

    private char hex4(int at) {
        if (at + 4 > text.length()) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = at; i < at + 4; i++) {
            int d = Character.digit(text.charAt(i), 16);
            if (d < 0) {
                pos = i;
                throw error("invalid hex digit " + quoteChar(text.charAt(i)) + " in \\u escape");
            }
            v = v * 16 + d;
        }
        return (char) v;
    }

    private Object parseNumber() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw error("leading zeros are not allowed in numbers");
            }
        } else if (isDigit(peek())) {
            skipDigits();
        } else {
            throw error("expected a digit in the number starting at offset " + start);
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("expected a digit after the decimal point");
            }
            skipDigits();
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("expected a digit in the exponent");
            }
            skipDigits();
        }
        String token = text.substring(start, pos);
        if (integral) {
            try {
                return Long.parseLong(token);
            } catch (NumberFormatException tooBig) {
                return Double.parseDouble(token); // beyond 64 bits: keep the magnitude, lose exactness
            }
        }
        return Double.parseDouble(token);
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) {
            throw error("invalid literal, expected '" + word + "'");
        }
        pos += word.length();
        return value;
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
    }

    private void expect(char c, String context) {
        if (peek() != c) {
            throw error("expected '" + c + "' " + context);
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void skipDigits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private String quoteChar(char c) {
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private JsonException error(String message) {
        int line = 1;
        int col = 1;
        for (int i = 0; i < Math.min(pos, text.length()); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        if (pos >= text.length() && !message.contains("end of input")) {
            message += " (at end of input)";
        }
        return new JsonException(source + ": line " + line + ", column " + col + " (offset " + pos + "): " + message);
    }
}
