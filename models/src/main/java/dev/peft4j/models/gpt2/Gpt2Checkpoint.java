package dev.peft4j.models.gpt2;

import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsEntry;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.engine.io.SafetensorsWriter;
import dev.peft4j.engine.json.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * GPT-2 checkpoints in Hugging Face layout: {@code config.json} plus {@code model.safetensors} or shards
 * listed by {@code model.safetensors.index.json}. Keys may carry GPT2LMHeadModel's {@code transformer.}
 * prefix or not (the hub's gpt2 has none); an absent {@code lm_head.weight} means the head is tied to
 * {@code wte}. The whole key set is checked against the config before any tensor data is read.
 */
public final class Gpt2Checkpoint {

    public static final String CONFIG_FILE = "config.json";
    public static final String WEIGHTS_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    public static final String PREFIX = "transformer.";
    public static final String LM_HEAD = "lm_head.weight";

    // Causal-mask buffers that older HF versions saved beside the weights; they hold no parameters.
    private static final Pattern MASK_BUFFER = Pattern.compile("h\\.\\d+\\.attn\\.(bias|masked_bias)");

    private Gpt2Checkpoint() {
    }

    /** Every parameter of a GPT-2 with this config, HF names in HF order, with its shape. */
    public static Map<String, int[]> expectedShapes(Gpt2Config c) {
        Map<String, int[]> s = new LinkedHashMap<>();
        int d = c.nEmbd();
        s.put("wte.weight", new int[]{c.vocabSize(), d});
        s.put("wpe.weight", new int[]{c.nPositions(), d});
        for (int i = 0; i < c.nLayer(); i++) {
            String h = "h." + i + ".";
            s.put(h + "ln_1.weight", new int[]{d});
            s.put(h + "ln_1.bias", new int[]{d});
            s.put(h + "attn.c_attn.weight", new int[]{d, 3 * d});
            s.put(h + "attn.c_attn.bias", new int[]{3 * d});
            s.put(h + "attn.c_proj.weight", new int[]{d, d});
            s.put(h + "attn.c_proj.bias", new int[]{d});
            s.put(h + "ln_2.weight", new int[]{d});
            s.put(h + "ln_2.bias", new int[]{d});
            s.put(h + "mlp.c_fc.weight", new int[]{d, c.nInner()});
            s.put(h + "mlp.c_fc.bias", new int[]{c.nInner()});
            s.put(h + "mlp.c_proj.weight", new int[]{c.nInner(), d});
            s.put(h + "mlp.c_proj.bias", new int[]{d});
        }
        s.put("ln_f.weight", new int[]{d});
        s.put("ln_f.bias", new int[]{d});
        if (!c.tieWordEmbeddings()) {
            s.put(LM_HEAD, new int[]{c.vocabSize(), d});
        }
        return s;
    }

    public static Gpt2Config readConfig(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.exists(file)) {
            throw new IOException(dir + ": no " + CONFIG_FILE);
        }
        return Gpt2Config.load(file);
    }

    /**
     * Checks that the checkpoint in {@code dir} holds exactly the tensors {@code config} implies, with the
     * implied shapes, then hands each one (under its canonical name, no prefix) to {@code sink}.
     *
     * @return the key prefix the checkpoint used ("" or {@link #PREFIX}), so a save can keep the layout
     */
    public static String readWeights(Path dir, Gpt2Config config, BiConsumer<String, HostTensor> sink)
            throws IOException {
        List<SafetensorsReader> readers = new ArrayList<>();
        try {
            Map<String, Located> found = locate(dir, readers);
            String prefix = validate(found, config, dir);
            for (Map.Entry<String, int[]> e : expectedShapes(config).entrySet()) {
                Located at = found.get(e.getKey());
                HostTensor stored = at.reader.read(at.storedKey);
                sink.accept(e.getKey(), new HostTensor(e.getKey(), stored.shape(), stored.data()));
            }
            return prefix;
        } finally {
            for (SafetensorsReader r : readers) {
                r.close();
            }
        }
    }

    /** Writes {@code config.json} and one {@code model.safetensors}, keys given {@code prefix}. */
    public static void write(Path dir, Gpt2Config config, Collection<HostTensor> tensors, String prefix)
            throws IOException {
        Map<String, int[]> expected = expectedShapes(config);
        List<HostTensor> out = new ArrayList<>();
        for (HostTensor t : tensors) {
            int[] shape = expected.get(t.name());
            if (shape == null) {
                throw new IllegalArgumentException("cannot save tensor \"" + t.name() + "\": not a GPT-2 parameter");
            }
            requireShape(t.name(), shape, t.shape(), "the model");
            out.add(new HostTensor(prefix + t.name(), t.shape(), t.data()));
        }
        if (out.size() != expected.size()) {
            throw new IllegalArgumentException("cannot save: " + out.size() + " tensors given but the config implies "
                    + expected.size());
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(CONFIG_FILE), config.toJson());
        SafetensorsWriter.write(dir.resolve(WEIGHTS_FILE), out, Map.of("format", "pt"));
    }

    /** Where a tensor lives: the reader of its file and the key as stored there. */
    private record Located(SafetensorsReader reader, String storedKey, int[] shape) {
    }

    private static Map<String, Located> locate(Path dir, List<SafetensorsReader> readers) throws IOException {
        Path single = dir.resolve(WEIGHTS_FILE);
        Path index = dir.resolve(INDEX_FILE);
        Map<String, Located> found = new TreeMap<>();
        if (Files.exists(single)) {
            SafetensorsReader r = SafetensorsReader.open(single);
            readers.add(r);
            for (SafetensorsEntry e : r.entries()) {
                put(found, e.name(), new Located(r, e.name(), e.shape()), single.toString());
            }
            return found;
        }
        if (!Files.exists(index)) {
            throw new IOException(dir + ": neither " + WEIGHTS_FILE + " nor " + INDEX_FILE);
        }
        Map<String, Object> weightMap = Json.object(Json.require(
                Json.object(Json.parse(Files.readString(index), index.toString()), index.toString()),
                "weight_map", index.toString()), index + " weight_map");
        Map<String, SafetensorsReader> shards = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : weightMap.entrySet()) {
            String shardName = Json.string(e.getValue(), index + " weight_map \"" + e.getKey() + "\"");
            SafetensorsReader r = shards.get(shardName);
            if (r == null) {
                Path shard = dir.resolve(shardName);
                if (!Files.exists(shard)) {
                    throw new IOException(index + ": tensor \"" + e.getKey() + "\" is mapped to " + shardName
                            + ", which does not exist");
                }
                r = SafetensorsReader.open(shard);
                readers.add(r);
                shards.put(shardName, r);
            }
            if (!r.contains(e.getKey())) {
                throw new IOException(index + ": tensor \"" + e.getKey() + "\" is mapped to " + shardName
                        + ", which does not hold it");
            }
            put(found, e.getKey(), new Located(r, e.getKey(), r.entry(e.getKey()).shape()), index.toString());
        }
        return found;
    }

    private static void put(Map<String, Located> found, String storedKey, Located at, String file) {
        String name = storedKey.startsWith(PREFIX) ? storedKey.substring(PREFIX.length()) : storedKey;
        Located previous = found.put(name, at);
        if (previous != null) {
            throw new IllegalArgumentException(file + ": tensor \"" + name + "\" appears twice (as \""
                    + previous.storedKey + "\" and \"" + storedKey + "\")");
        }
    }

    /** Checks names and shapes against the config; returns the prefix used by the stored keys. */
    private static String validate(Map<String, Located> found, Gpt2Config config, Path dir) {
        Map<String, int[]> expected = expectedShapes(config);
        found.keySet().removeIf(name -> MASK_BUFFER.matcher(name).matches()
                || (name.equals(LM_HEAD) && config.tieWordEmbeddings()));
        List<String> missing = new ArrayList<>();
        for (String name : expected.keySet()) {
            if (!found.containsKey(name)) {
                missing.add(name);
            }
        }
        String where = "checkpoint " + dir;
        String configSays = " (" + CONFIG_FILE + ": n_layer=" + config.nLayer() + ", n_embd=" + config.nEmbd()
                + ", vocab_size=" + config.vocabSize() + ", n_positions=" + config.nPositions()
                + ", tie_word_embeddings=" + config.tieWordEmbeddings() + ")";
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(where + ": missing " + missing.size() + " tensor(s) "
                    + abbreviate(missing) + configSays);
        }
        List<String> unexpected = new ArrayList<>(found.keySet());
        unexpected.removeAll(expected.keySet());
        if (!unexpected.isEmpty()) {
            throw new IllegalArgumentException(where + ": unexpected tensor(s) " + abbreviate(unexpected)
                    + " that a GPT-2 with this config does not have" + configSays);
        }
        String prefix = null;
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            Located at = found.get(e.getKey());
            requireShape(at.storedKey, e.getValue(), at.shape, at.reader.path() + configSays);
            if (prefix == null) {
                prefix = at.storedKey.startsWith(PREFIX) ? PREFIX : "";
            }
        }
        return prefix;
    }

    private static void requireShape(String name, int[] expected, int[] foundShape, String where) {
        if (!Arrays.equals(expected, foundShape)) {
            throw new IllegalArgumentException("tensor \"" + name + "\": expected shape " + Arrays.toString(expected)
                    + " but found " + Arrays.toString(foundShape) + " in " + where);
        }
    }

    private static String abbreviate(List<String> names) {
        return names.size() <= 8 ? names.toString()
                : names.subList(0, 8) + " and " + (names.size() - 8) + " more";
    }
}
