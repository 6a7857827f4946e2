package dev.peft4j.models.tokenizer;

import dev.peft4j.engine.json.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GPT-2's real vocabulary against ids from an independent implementation (npm gpt-3-encoder, see
 * tools/golden/tokenizer_reference.js), plus round trips and the tokenizer.json form.
 */
class ByteLevelBpeTokenizerTest {

    private static ByteLevelBpeTokenizer gpt2;

    @BeforeAll
    static void loadGpt2() throws Exception {
        gpt2 = BpeFiles.fromVocabAndMerges(resource("gpt2-encoder.json.gz"), resource("gpt2-vocab.bpe.gz"));
    }

    static Path resource(String name) throws URISyntaxException {
        return Path.of(ByteLevelBpeTokenizerTest.class.getResource("/tokenizer/" + name).toURI());
    }

    @Test
    void gpt2VocabularyHasItsKnownSize() {
        assertEquals(50257, gpt2.vocabSize());
        assertEquals(50000, gpt2.mergeCount());
        assertEquals(50256, gpt2.tokenToId("<|endoftext|>"));
        assertEquals(220, gpt2.tokenToId("Ġ"));
    }

    @Test
    void matchesIndependentReferenceIds() throws Exception {
        String json = Files.readString(resource("gpt2_reference_ids.json"), StandardCharsets.UTF_8);
        List<Object> cases = Json.array(Json.object(Json.parse(json, "gpt2_reference_ids.json"), "root").get("cases"), "cases");
        assertTrue(cases.size() >= 20, "fixture has too few cases");
        for (Object c : cases) {
            Map<String, Object> m = Json.object(c, "case");
            String text = (String) m.get("text");
            int[] expected = Json.array(m.get("ids"), "ids").stream().mapToInt(o -> (int) Json.integer(o, "id")).toArray();
            // The reference treats "<|endoftext|>" as plain text, so compare with encodeOrdinary.
            assertArrayEquals(expected, gpt2.encodeOrdinary(text), () -> "ids for " + Json.write(text));
            assertEquals(text, gpt2.decode(expected), () -> "decode of " + Json.write(text));
        }
    }

    @Test
    void addedTokenIsMatchedVerbatimByEncode() {
        int[] ids = gpt2.encode("Hi<|endoftext|> there<|endoftext|>");
        assertArrayEquals(new int[]{17250, 50256, 612, 50256}, ids);
        assertEquals("Hi<|endoftext|> there<|endoftext|>", gpt2.decode(ids));
        // As plain text the same marker is several ordinary tokens.
        assertTrue(gpt2.encodeOrdinary("<|endoftext|>").length > 1);
    }

    @Test
    void randomUnicodeRoundTrips() {
        SplittableRandom rnd = new SplittableRandom(7);
        String pool = " \t\n\r  aZ09'.,!?-_😀🤗👨‍👩‍👧日本語한국어é\u0301ñ\u0303\u00A0\u3000ـاב";
        int[] poolCps = pool.codePoints().toArray();
        for (int trial = 0; trial < 300; trial++) {
            StringBuilder sb = new StringBuilder();
            int len = rnd.nextInt(40);
            for (int i = 0; i < len; i++) {
                if (rnd.nextInt(4) == 0) {
                    int cp;
                    do {
                        cp = rnd.nextInt(0x110000);
                    } while (cp >= 0xD800 && cp <= 0xDFFF); // lone surrogates are not encodable UTF-8
                    sb.appendCodePoint(cp);
                } else {
                    sb.appendCodePoint(poolCps[rnd.nextInt(poolCps.length)]);
                }
            }
            String s = sb.toString();
            assertEquals(s, gpt2.decode(gpt2.encode(s)), () -> "round trip of " + Json.write(s));
        }
    }

    @Test
    void invalidUtf8DecodesToReplacementCharacter() {
        int[] ids = gpt2.encodeOrdinary("日");
        assertTrue(ids.length > 1, "'日' (3 UTF-8 bytes) is split over several GPT-2 tokens");
        assertEquals("\uFFFD", gpt2.decode(new int[]{ids[0]}));
        assertThrows(IllegalArgumentException.class, () -> gpt2.decode(new int[]{60000}));
    }

    @Test
    void tokenizerJsonFormGivesSameIdsWithEitherMergeSpelling() {
        for (boolean pairs : new boolean[]{false, true}) {
            String json = gpt2AsTokenizerJson(pairs);
            ByteLevelBpeTokenizer t = BpeFiles.fromTokenizerJson(json, "tokenizer.json");
            for (String s : List.of("Hello, world!", " tabs\tand  spaces ", "日本語 🤗 naïve", "1,000,000 isn't")) {
                assertArrayEquals(gpt2.encode(s), t.encode(s), s);
            }
            assertArrayEquals(new int[]{50256}, t.encode("<|endoftext|>"));
        }
    }

    @Test
    void smallTokenizerJsonMergesByRankAndAddsTokensBeyondVocab() {
        // Vocabulary: all 256 byte symbols plus merges "a b" (rank 0) and "ab c" (rank 1), "b c" (rank 2).
        Map<String, Object> vocab = Json.newObject();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteUnicode.charOf(b)), (long) b);
        }
        vocab.put("ab", 256L);
        vocab.put("abc", 257L);
        vocab.put("bc", 258L);
        String json = "{\"model\":{\"type\":\"BPE\",\"vocab\":" + Json.write(vocab)
                + ",\"merges\":[\"a b\",[\"ab\",\"c\"],\"b c\"]},"
                + "\"added_tokens\":[{\"id\":300,\"content\":\"<pad>\",\"special\":true}]}";
        ByteLevelBpeTokenizer t = BpeFiles.fromTokenizerJson(json, "small.json");
        assertArrayEquals(new int[]{257}, t.encode("abc"));           // a+b first (rank 0), then ab+c
        assertArrayEquals(new int[]{'x', 258}, t.encode("xbc"));       // only "b c" applies
        assertArrayEquals(new int[]{257, 300, 256}, t.encode("abc<pad>ab"));
        assertEquals(301, t.vocabSize());
        assertEquals("abc<pad>ab", t.decode(new int[]{257, 300, 256}));
    }

    @Test
    void fromDirectoryPrefersTokenizerJsonOverVocabAndMerges(@TempDir Path dir) throws IOException {
        Map<String, Object> vocab = Json.newObject();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteUnicode.charOf(b)), (long) b);
        }
        vocab.put("ĠH", 256L);
        vocab.put("<|endoftext|>", 257L);
        Files.writeString(dir.resolve("vocab.json"), Json.write(vocab));
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\nĠ H\n");
        ByteLevelBpeTokenizer plain = ByteLevelBpeTokenizer.fromDirectory(dir);
        assertArrayEquals(new int[]{'a', 256, 257}, plain.encode("a H<|endoftext|>"));
        // A tokenizer.json without that merge takes precedence.
        Files.writeString(dir.resolve("tokenizer.json"),
                "{\"model\":{\"type\":\"BPE\",\"vocab\":" + Json.write(vocab) + ",\"merges\":[]}}");
        assertArrayEquals(new int[]{'a', ' ', 'H'}, // byte b has id b in this vocabulary
                ByteLevelBpeTokenizer.fromDirectory(dir).encode("a H"));
    }

    @Test
    void badTokenizerFilesAreRejectedWithClearErrors() {
        IllegalArgumentException wrongType = assertThrows(IllegalArgumentException.class, () ->
                BpeFiles.fromTokenizerJson("{\"model\":{\"type\":\"WordPiece\",\"vocab\":{},\"merges\":[]}}", "wp.json"));
        assertTrue(wrongType.getMessage().contains("WordPiece"), wrongType.getMessage());
        IllegalArgumentException badMerge = assertThrows(IllegalArgumentException.class, () ->
                BpeFiles.fromVocabAndMerges("{\"a\":0,\"b\":1}", "vocab.json", "#version: 0.2\na b\n", "merges.txt"));
        assertTrue(badMerge.getMessage().contains("\"ab\""), badMerge.getMessage());
        IllegalArgumentException badLine = assertThrows(IllegalArgumentException.class, () ->
                BpeFiles.fromVocabAndMerges("{\"a\":0}", "vocab.json", "a\n", "merges.txt"));
        assertTrue(badLine.getMessage().contains("merges.txt line 1"), badLine.getMessage());
        ByteLevelBpeTokenizer noBytes = BpeFiles.fromVocabAndMerges("{\"a\":0}", "vocab.json", "", "merges.txt");
        IllegalStateException missingByte = assertThrows(IllegalStateException.class, () -> noBytes.encode("ab"));
        assertTrue(missingByte.getMessage().contains("0x62"), missingByte.getMessage());
    }

    private static String gpt2AsTokenizerJson(boolean mergesAsPairs) {
        Map<String, Object> vocab = Json.newObject();
        for (int id = 0; id < gpt2.vocabSize(); id++) {
            vocab.put(gpt2.idToToken(id), (long) id);
        }
        List<Object> merges = new ArrayList<>();
        try {
            String text = new String(new java.util.zip.GZIPInputStream(Files.newInputStream(resource("gpt2-vocab.bpe.gz")))
                    .readAllBytes(), StandardCharsets.UTF_8);
            for (String line : text.split("\n")) {
                if (line.isEmpty() || line.startsWith("#version")) {
                    continue;
                }
                merges.add(mergesAsPairs ? List.of((Object[]) line.split(" ")) : line);
            }
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        Map<String, Object> model = Json.newObject();
        model.put("type", "BPE");
        model.put("vocab", vocab);
        model.put("merges", merges);
        Map<String, Object> root = Json.newObject();
        root.put("added_tokens", List.of(Map.of("id", 50256L, "content", "<|endoftext|>", "special", true)));
        root.put("model", model);
        return Json.write(root);
    }
}
