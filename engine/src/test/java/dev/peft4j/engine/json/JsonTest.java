package dev.peft4j.engine.json;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {

    @Test
    void parsesEveryValueKindKeepingKeyOrder() {
        Object v = Json.parse("""
                {"z": 1, "a": [true, false, null, -0.5e2, 12345678901234, "x\\n\\u00e9\\"\\\\/"],
                 "m": {}, "e": []}""", "test");
        Map<String, Object> obj = Json.object(v, "root");
        assertEquals(List.of("z", "a", "m", "e"), List.copyOf(obj.keySet()));
        assertEquals(1L, obj.get("z"));
        List<Object> a = Json.array(obj.get("a"), "a");
        assertEquals(Boolean.TRUE, a.get(0));
        assertEquals(Boolean.FALSE, a.get(1));
        assertNull(a.get(2));
        assertEquals(-50.0, a.get(3));
        assertEquals(12345678901234L, a.get(4));
        assertEquals("x\n\u00e9\"\\/", a.get(5));
        assertTrue(Json.object(obj.get("m"), "m").isEmpty());
        assertTrue(Json.array(obj.get("e"), "e").isEmpty());
    }

    @Test
    void writeThenParseRoundTrips() {
        Map<String, Object> doc = Json.newObject();
        doc.put("r", 8L);
        doc.put("alpha", 0.1f);
        doc.put("lr", 1e-5);
        doc.put("name", "tab\there \"quoted\" \u0001");
        doc.put("targets", List.of("q_proj", "v_proj"));
        doc.put("nested", Map.of("ok", true));
        doc.put("none", null);
        for (String text : new String[] {Json.write(doc), Json.writePretty(doc)}) {
            Map<String, Object> back = Json.object(Json.parse(text, "roundtrip"), "root");
            assertEquals(8L, back.get("r"));
            assertEquals(0.1, back.get("alpha")); // a float prints its shortest repr
            assertEquals(1e-5, back.get("lr"));
            assertEquals(doc.get("name"), back.get("name"));
            assertEquals(List.of("q_proj", "v_proj"), back.get("targets"));
            assertEquals(Map.of("ok", true), back.get("nested"));
            assertTrue(back.containsKey("none"));
        }
        assertEquals("{\n  \"a\": [\n    1\n  ]\n}", Json.writePretty(Map.of("a", List.of(1L))));
    }

    @Test
    void errorsNameSourceLineAndColumn() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("{\n  \"a\": 1,\n  \"b\" 2}", "cfg.json"));
        assertTrue(e.getMessage().startsWith("cfg.json: line 3, column 7"), e.getMessage());
        assertTrue(e.getMessage().contains("expected ':'"), e.getMessage());
    }

    @Test
    void rejectsNonStrictJson() {
        String[] bad = {"", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "'s'", "\"unterminated",
                "{\"a\":1}{", "tru", "NaN", "{\"a\":1,\"a\":2}", "\"\\x\"", "\"a\u0001\"", "[1 2]", "-"};
        for (String text : bad) {
            assertThrows(JsonException.class, () -> Json.parse(text, "bad"), () -> "accepted: " + text);
        }
        String deep = "[".repeat(600) + "]".repeat(600);
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(deep, "deep"));
        assertTrue(e.getMessage().contains("nesting"), e.getMessage());
    }

    @Test
    void duplicateKeyIsNamed() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("{\"r\":1,\"r\":2}", "x"));
        assertTrue(e.getMessage().contains("duplicate key \"r\""), e.getMessage());
    }

    @Test
    void typedAccessorsNameTheField() {
        Map<String, Object> obj = Json.object(Json.parse("{\"r\": \"eight\", \"n\": 2.0, \"f\": 2.5}", "x"), "root");
        JsonException e = assertThrows(JsonException.class, () -> Json.integer(obj.get("r"), "config field r"));
        assertEquals("config field r: expected an integer but found string \"eight\"", e.getMessage());
        assertEquals(2L, Json.integer(obj.get("n"), "n"));
        assertThrows(JsonException.class, () -> Json.integer(obj.get("f"), "f"));
        JsonException missing = assertThrows(JsonException.class, () -> Json.require(obj, "lora_alpha", "adapter_config"));
        assertTrue(missing.getMessage().contains("\"lora_alpha\""), missing.getMessage());
        assertInstanceOf(Double.class, obj.get("n"));
    }

    @Test
    void refusesNonFiniteNumbers() {
        assertThrows(JsonException.class, () -> Json.write(List.of(Double.NaN)));
        assertThrows(JsonException.class, () -> Json.write(List.of(Float.POSITIVE_INFINITY)));
    }
}
