package dev.peft4j.models.gpt2;

import dev.peft4j.engine.json.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * GPT-2 hyper-parameters under Hugging Face's {@code config.json} field names. Absent fields take
 * {@code GPT2Config}'s defaults (the 124M model); {@code model_type} must be present and be "gpt2".
 *
 * @param nInner hidden width of the MLP; HF's {@code n_inner: null} means {@code 4 * n_embd}
 */
public record Gpt2Config(int vocabSize, int nPositions, int nEmbd, int nLayer, int nHead, int nInner,
                         String activationFunction, float layerNormEpsilon, boolean tieWordEmbeddings,
                         float residPdrop, float embdPdrop, float attnPdrop) {

    public static final String MODEL_TYPE = "gpt2";

    public Gpt2Config {
        requirePositive("vocab_size", vocabSize);
        requirePositive("n_positions", nPositions);
        requirePositive("n_embd", nEmbd);
        requirePositive("n_layer", nLayer);
        requirePositive("n_head", nHead);
        requirePositive("n_inner", nInner);
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException("config: n_embd " + nEmbd + " is not divisible by n_head " + nHead);
        }
        if (!isTanhGelu(activationFunction)) {
            throw new IllegalArgumentException("config: activation_function \"" + activationFunction
                    + "\" is not supported (expected \"gelu_new\" or \"gelu_pytorch_tanh\", GPT-2's tanh GELU)");
        }
        for (float p : new float[]{residPdrop, embdPdrop, attnPdrop}) {
            if (!(p >= 0f && p < 1f)) {
                throw new IllegalArgumentException("config: dropout probability " + p + " is outside [0, 1)");
            }
        }
        if (!(layerNormEpsilon > 0f)) {
            throw new IllegalArgumentException("config: layer_norm_epsilon must be > 0, found " + layerNormEpsilon);
        }
    }

    /** A config with HF's defaults for everything but the sizes given (dropout as HF: 0.1). */
    public static Gpt2Config of(int vocabSize, int nPositions, int nEmbd, int nLayer, int nHead) {
        return new Gpt2Config(vocabSize, nPositions, nEmbd, nLayer, nHead, 4 * nEmbd, "gelu_new", 1e-5f, true,
                0.1f, 0.1f, 0.1f);
    }

    public int headDim() {
        return nEmbd / nHead;
    }

    /** The same config with every dropout probability set to {@code p}. */
    public Gpt2Config withDropout(float p) {
        return new Gpt2Config(vocabSize, nPositions, nEmbd, nLayer, nHead, nInner, activationFunction,
                layerNormEpsilon, tieWordEmbeddings, p, p, p);
    }

    public static Gpt2Config load(Path configJson) throws IOException {
        return parse(Files.readString(configJson), configJson.toString());
    }

    public static Gpt2Config parse(String text, String source) {
        Map<String, Object> o = Json.object(Json.parse(text, source), source);
        Object type = o.get("model_type");
        if (!MODEL_TYPE.equals(type)) {
            throw new IllegalArgumentException(source + ": model_type is " + (type == null ? "missing"
                    : "\"" + type + "\"") + " but this loader reads \"" + MODEL_TYPE + "\" checkpoints");
        }
        int nEmbd = intField(o, "n_embd", 768, source);
        Object inner = o.get("n_inner");
        return new Gpt2Config(
                intField(o, "vocab_size", 50257, source),
                intField(o, "n_positions", 1024, source),
                nEmbd,
                intField(o, "n_layer", 12, source),
                intField(o, "n_head", 12, source),
                inner == null ? 4 * nEmbd : Math.toIntExact(Json.integer(inner, source + " n_inner")),
                o.containsKey("activation_function")
                        ? Json.string(o.get("activation_function"), source + " activation_function") : "gelu_new",
                floatField(o, "layer_norm_epsilon", 1e-5f, source),
                !o.containsKey("tie_word_embeddings") || Json.bool(o.get("tie_word_embeddings"), source + " tie_word_embeddings"),
                floatField(o, "resid_pdrop", 0.1f, source),
                floatField(o, "embd_pdrop", 0.1f, source),
                floatField(o, "attn_pdrop", 0.1f, source));
    }

    /** HF-compatible {@code config.json} text. */
    public String toJson() {
        Map<String, Object> o = Json.newObject();
        o.put("model_type", MODEL_TYPE);
        o.put("architectures", java.util.List.of("GPT2LMHeadModel"));
        o.put("vocab_size", (long) vocabSize);
        o.put("n_positions", (long) nPositions);
        o.put("n_embd", (long) nEmbd);
        o.put("n_layer", (long) nLayer);
        o.put("n_head", (long) nHead);
        o.put("n_inner", nInner == 4 * nEmbd ? null : (long) nInner);
        o.put("activation_function", activationFunction);
        o.put("layer_norm_epsilon", shortest(layerNormEpsilon));
        o.put("tie_word_embeddings", tieWordEmbeddings);
        o.put("resid_pdrop", shortest(residPdrop));
        o.put("embd_pdrop", shortest(embdPdrop));
        o.put("attn_pdrop", shortest(attnPdrop));
        return Json.writePretty(o) + "\n";
    }

    /** The float's shortest decimal as a double, so 1e-5f is written "1.0E-5" and not 9.99999974737875E-6. */
    private static double shortest(float f) {
        return Double.parseDouble(Float.toString(f));
    }

    private static boolean isTanhGelu(String name) {
        return "gelu_new".equals(name) || "gelu_pytorch_tanh".equals(name);
    }

    private static int intField(Map<String, Object> o, String key, int fallback, String source) {
        return o.containsKey(key) ? Math.toIntExact(Json.integer(o.get(key), source + " " + key)) : fallback;
    }

    private static float floatField(Map<String, Object> o, String key, float fallback, String source) {
        return o.containsKey(key) ? (float) Json.number(o.get(key), source + " " + key) : fallback;
    }

    private static void requirePositive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("config: " + field + " must be positive, found " + value);
        }
    }
}
