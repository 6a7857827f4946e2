package dev.peft4j.peft.core;

import dev.peft4j.engine.json.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * HF PEFT's {@code target_modules} / {@code exclude_modules} value: a list of names (a module matches
 * when its path equals a name or ends with "." + name, so {@code c_attn} matches {@code h.3.attn.c_attn}),
 * a regex matched against the whole path, or {@code "all-linear"}.
 */
public sealed interface TargetModules {

    String ALL_LINEAR = "all-linear";

    /** Whether the module at {@code path} (HF spelling) is named by this value. */
    boolean matches(String path);

    /** The JSON value as HF writes it (a list or a string). */
    Object toJson();

    record Names(List<String> names) implements TargetModules {
        public Names {
            names = List.copyOf(names);
            if (names.isEmpty()) {
                throw new IllegalArgumentException("target/exclude modules: the list of names is empty");
            }
        }

        @Override
        public boolean matches(String path) {
            for (String n : names) {
                if (path.equals(n) || path.endsWith("." + n)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public Object toJson() {
            return new ArrayList<Object>(names);
        }
    }

    record Regex(String regex, Pattern pattern) implements TargetModules {
        public Regex(String regex) {
            this(regex, Pattern.compile(regex));
        }

        @Override
        public boolean matches(String path) {
            return pattern.matcher(path).matches(); // re.fullmatch, as HF
        }

        @Override
        public Object toJson() {
            return regex;
        }
    }

    /** Every linear layer except the output head; decided by module type, so {@link #matches} says yes. */
    record AllLinear() implements TargetModules {
        @Override
        public boolean matches(String path) {
            return true;
        }

        @Override
        public Object toJson() {
            return ALL_LINEAR;
        }
    }

    static TargetModules names(String... names) {
        return new Names(List.of(names));
    }

    /** Parses a CLI value: "all-linear", "re:REGEX", or comma-separated names. */
    static TargetModules parse(String text) {
        if (text.equals(ALL_LINEAR)) {
            return new AllLinear();
        }
        if (text.startsWith("re:")) {
            return new Regex(text.substring(3));
        }
        return new Names(List.of(text.split(",")));
    }

    static TargetModules fromJson(Object v, String what) {
        if (v == null) {
            return null;
        }
        if (v instanceof String s) {
            return s.equals(ALL_LINEAR) ? new AllLinear() : new Regex(s);
        }
        List<String> names = new ArrayList<>();
        for (Object e : Json.array(v, what)) {
            names.add(Json.string(e, what));
        }
        return new Names(names);
    }
}
