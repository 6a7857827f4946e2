package dev.peft4j.engine.io;

import dev.peft4j.engine.json.Json;
import dev.peft4j.engine.json.JsonException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated JSON header of a safetensors file: tensor entries in file order plus the
 * optional {@code __metadata__} string map. Validation follows the Rust reference: known dtype,
 * non-negative shape, {@code numel * width == end - begin}, offsets inside the data region, no overlaps.
 */
record SafetensorsHeader(List<SafetensorsEntry> entries, Map<String, String> metadata) {

    static final String METADATA_KEY = "__metadata__";

    static SafetensorsHeader parse(String json, String file, long dataLength) {
        Object root;
        try {
            root = Json.parse(json, file + " (header)");
        } catch (JsonException e) {
            throw new SafetensorsException("malformed JSON header in " + file + ": " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?>)) {
            throw new SafetensorsException(file + ": the header must be a JSON object, found " + kind(root));
        }
        Map<String, Object> fields = Json.object(root, file + " header");
        List<SafetensorsEntry> entries = new ArrayList<>();
        Map<String, String> metadata = Map.of();
        for (Map.Entry<String, Object> field : fields.entrySet()) {
            if (field.getKey().equals(METADATA_KEY)) {
                metadata = parseMetadata(field.getValue(), file);
            } else {
                entries.add(parseEntry(field.getKey(), field.getValue(), file, dataLength));
            }
        }
        checkNoOverlap(entries, file);
        return new SafetensorsHeader(Collections.unmodifiableList(entries), metadata);
    }

    private static Map<String, String> parseMetadata(Object value, String file) {
        if (value == null) {
            return Map.of();
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Object> e : Json.object(value, file + ": " + METADATA_KEY).entrySet()) {
                metadata.put(e.getKey(), Json.string(e.getValue(), file + ": " + METADATA_KEY + "." + e.getKey()));
            }
        } catch (JsonException e) {
            throw new SafetensorsException(e.getMessage(), e);
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static SafetensorsEntry parseEntry(String name, Object value, String file, long dataLength) {
        String where = file + ": tensor \"" + name + "\"";
        try {
            Map<String, Object> info = Json.object(value, where);
            String dtypeName = Json.string(Json.require(info, "dtype", where), where + " field dtype");
            SafetensorsDtype dtype = SafetensorsDtype.parse(dtypeName);
            if (dtype == null) {
                throw new SafetensorsException(where + " has unknown dtype \"" + dtypeName + "\" (known: "
                        + Arrays.toString(SafetensorsDtype.values()) + ")");
            }
            List<Object> dims = Json.array(Json.require(info, "shape", where), where + " field shape");
            int[] shape = new int[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                long d = Json.integer(dims.get(i), where + " shape[" + i + "]");
                if (d < 0 || d > Integer.MAX_VALUE) {
                    throw new SafetensorsException(where + " has shape " + dims + " with dimension " + i
                            + " = " + d + " outside [0, " + Integer.MAX_VALUE + "]");
                }
                shape[i] = (int) d;
            }
            List<Object> offsets = Json.array(Json.require(info, "data_offsets", where), where + " field data_offsets");
            if (offsets.size() != 2) {
                throw new SafetensorsException(where + " has data_offsets " + offsets + ", expected [begin, end]");
            }
            long begin = Json.integer(offsets.get(0), where + " data_offsets[0]");
            long end = Json.integer(offsets.get(1), where + " data_offsets[1]");
            if (begin < 0 || end < begin) {
                throw new SafetensorsException(where + " has invalid data_offsets [" + begin + ", " + end + "]");
            }
            if (end > dataLength) {
                throw new SafetensorsException(where + " has data_offsets [" + begin + ", " + end
                        + "] past the end of the data region (" + dataLength
                        + " bytes after the header): the file is truncated or the header is corrupt");
            }
            long expected = Math.multiplyExact(HostTensor.numel(shape), (long) dtype.bytes());
            if (end - begin != expected) {
                throw new SafetensorsException(where + ": " + dtype + Arrays.toString(shape) + " needs " + expected
                        + " bytes but data_offsets [" + begin + ", " + end + "] span " + (end - begin));
            }
            return new SafetensorsEntry(name, dtype, shape, begin, end);
        } catch (JsonException e) {
            throw new SafetensorsException(e.getMessage(), e);
        }
    }

    private static void checkNoOverlap(List<SafetensorsEntry> entries, String file) {
        List<SafetensorsEntry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(SafetensorsEntry::begin).thenComparingLong(SafetensorsEntry::end));
        SafetensorsEntry prev = null; // the non-empty entry reaching furthest so far
        for (SafetensorsEntry cur : byOffset) {
            if (cur.byteLength() == 0) {
                continue; // empty tensors occupy no bytes and may share an offset with anything
            }
            if (prev != null && cur.begin() < prev.end()) {
                throw new SafetensorsException(file + ": tensors \"" + prev.name() + "\" [" + prev.begin() + ", "
                        + prev.end() + ") and \"" + cur.name() + "\" [" + cur.begin() + ", " + cur.end()
                        + ") overlap in the data region");
            }
            if (prev == null || cur.end() > prev.end()) {
                prev = cur;
            }
        }
    }

    private static String kind(Object v) {
        return v == null ? "null" : v instanceof List ? "an array" : v.getClass().getSimpleName();
    }
}
