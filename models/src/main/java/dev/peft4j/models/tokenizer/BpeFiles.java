package dev.peft4j.models.tokenizer;

import dev.peft4j.engine.json.Json;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads byte-level BPE tokenizers from Hugging Face files: {@code vocab.json} + {@code merges.txt}
 * (GPT-2's original pair, also {@code encoder.json} + {@code vocab.bpe}), or the BPE model of a
 * {@code tokenizer.json}. Files ending in {@code .gz} are decompressed.
 */
public final class BpeFiles {

    /** Registered as an added token when a plain vocab.json holds it, as HF's GPT2Tokenizer does. */
    static final String GPT2_EOS = "<|endoftext|>";

    private BpeFiles() {
    }

    /** {@code tokenizer.json} if the directory has one, else {@code vocab.json} + {@code merges.txt}. */
    public static ByteLevelBpeTokenizer fromDirectory(Path dir) throws IOException {
        Path tokenizerJson = dir.resolve("tokenizer.json");
        if (Files.exists(tokenizerJson)) {
            return fromTokenizerJson(tokenizerJson);
        }
        Path vocab = dir.resolve("vocab.json");
        Path merges = dir.resolve("merges.txt");
        if (!Files.exists(vocab) || !Files.exists(merges)) {
            throw new IOException(dir + ": no tokenizer.json, and no vocab.json + merges.txt pair");
        }
        return fromVocabAndMerges(vocab, merges);
    }

    public static ByteLevelBpeTokenizer fromVocabAndMerges(Path vocabJson, Path mergesTxt) throws IOException {
        return fromVocabAndMerges(readText(vocabJson), vocabJson.toString(), readText(mergesTxt), mergesTxt.toString());
    }

    public static ByteLevelBpeTokenizer fromVocabAndMerges(String vocabJson, String vocabSource,
                                                           String mergesTxt, String mergesSource) {
        Map<String, Integer> vocab = parseVocab(Json.parse(vocabJson, vocabSource), vocabSource);
        List<String[]> merges = new ArrayList<>();
        String[] lines = mergesTxt.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty() || (i == 0 && line.startsWith("#version"))) {
                continue;
            }
            merges.add(splitMerge(line, mergesSource + " line " + (i + 1)));
        }
        List<ByteLevelBpeTokenizer.AddedToken> added = new ArrayList<>();
        Integer eos = vocab.get(GPT2_EOS);
        if (eos != null) {
            added.add(new ByteLevelBpeTokenizer.AddedToken(GPT2_EOS, eos));
        }
        return new ByteLevelBpeTokenizer(vocab, merges, added, false, vocabSource + " + " + mergesSource);
    }

    public static ByteLevelBpeTokenizer fromTokenizerJson(Path path) throws IOException {
        return fromTokenizerJson(readText(path), path.toString());
    }

    /** The BPE form of a HF {@code tokenizer.json}: model.vocab, model.merges ("a b" or ["a","b"]), added_tokens. */
    public static ByteLevelBpeTokenizer fromTokenizerJson(String text, String source) {
        Map<String, Object> root = Json.object(Json.parse(text, source), source);
        Map<String, Object> model = Json.object(Json.require(root, "model", source), source + " model");
        Object type = model.get("type");
        if (type != null && !"BPE".equals(type)) {
            throw new IllegalArgumentException(source + ": model.type is \"" + type
                    + "\" but only \"BPE\" (byte-level) tokenizers are supported");
        }
        Map<String, Integer> vocab = parseVocab(Json.require(model, "vocab", source + " model"), source + " model.vocab");
        List<String[]> merges = new ArrayList<>();
        List<Object> rawMerges = Json.array(Json.require(model, "merges", source + " model"), source + " model.merges");
        for (int i = 0; i < rawMerges.size(); i++) {
            String what = source + " model.merges[" + i + "]";
            Object m = rawMerges.get(i);
            if (m instanceof String s) {
                merges.add(splitMerge(s, what));
            } else {
                List<Object> pair = Json.array(m, what);
                if (pair.size() != 2) {
                    throw new IllegalArgumentException(what + ": expected a pair but found " + pair.size() + " items");
                }
                merges.add(new String[]{Json.string(pair.get(0), what + "[0]"), Json.string(pair.get(1), what + "[1]")});
            }
        }
        List<ByteLevelBpeTokenizer.AddedToken> added = new ArrayList<>();
        Object rawAdded = root.get("added_tokens");
        if (rawAdded != null) {
            List<Object> list = Json.array(rawAdded, source + " added_tokens");
            for (int i = 0; i < list.size(); i++) {
                String what = source + " added_tokens[" + i + "]";
                Map<String, Object> t = Json.object(list.get(i), what);
                added.add(new ByteLevelBpeTokenizer.AddedToken(
                        Json.string(Json.require(t, "content", what), what + ".content"),
                        Math.toIntExact(Json.integer(Json.require(t, "id", what), what + ".id"))));
            }
        }
        Object ignore = model.get("ignore_merges");
        boolean ignoreMerges = ignore != null && Json.bool(ignore, source + " model.ignore_merges");
        return new ByteLevelBpeTokenizer(vocab, merges, added, ignoreMerges, source);
    }

    private static Map<String, Integer> parseVocab(Object json, String source) {
        Map<String, Object> raw = Json.object(json, source);
        Map<String, Integer> vocab = new HashMap<>(raw.size() * 2);
        for (Map.Entry<String, Object> e : raw.entrySet()) {
            vocab.put(e.getKey(), Math.toIntExact(Json.integer(e.getValue(), source + " \"" + e.getKey() + "\"")));
        }
        return vocab;
    }

    private static String[] splitMerge(String line, String what) {
        // Byte-level tokens never contain a space (it is 'Ġ'), so one space separates the pair.
        int space = line.indexOf(' ');
        if (space <= 0 || space == line.length() - 1 || line.indexOf(' ', space + 1) >= 0) {
            throw new IllegalArgumentException(what + ": expected a merge \"left right\" but found \"" + line + "\"");
        }
        return new String[]{line.substring(0, space), line.substring(space + 1)};
    }

    private static String readText(Path path) throws IOException {
        try (InputStream raw = Files.newInputStream(path);
             InputStream in = path.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
