package dev.peft4j.models.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * GPT-2's byte-level BPE tokenizer: text -> UTF-8 bytes -> GPT-2 pre-tokenisation -> BPE merges by rank.
 * Every byte sequence is representable, so encode/decode round-trips any string. Added tokens (such as
 * {@code <|endoftext|>}) are matched in the raw text before pre-tokenisation by {@link #encode}; use
 * {@link #encodeOrdinary} to treat them as plain text (as OpenAI's reference encoder does).
 *
 * <p>Load with {@link BpeFiles}: {@code vocab.json} + {@code merges.txt}, or a BPE {@code tokenizer.json}.
 */
public final class ByteLevelBpeTokenizer {

    /** A token matched verbatim in the text, never split or merged. */
    public record AddedToken(String content, int id) {
    }

    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final BpeMerger merger;
    private final List<AddedToken> added; // longest content first, so a longer token wins at one position
    private final Map<Integer, AddedToken> addedById = new HashMap<>();
    private final boolean ignoreMerges;
    private final int[] byteIds = new int[256];

    /**
     * @param vocab        token string (byte-level characters) -> id
     * @param merges       merge pairs in rank order
     * @param addedTokens  tokens matched verbatim; their ids may lie inside or beyond the vocabulary
     * @param ignoreMerges HF's {@code ignore_merges}: a word that is itself a token is emitted without merging
     * @param source       file name(s) named in errors
     */
    public ByteLevelBpeTokenizer(Map<String, Integer> vocab, List<String[]> merges, List<AddedToken> addedTokens,
                                 boolean ignoreMerges, String source) {
        this.vocab = Map.copyOf(vocab);
        this.ignoreMerges = ignoreMerges;
        int size = 0;
        for (int id : vocab.values()) {
            if (id < 0) {
                throw new IllegalArgumentException(source + ": negative token id " + id);
            }
            size = Math.max(size, id + 1);
        }
        for (AddedToken t : addedTokens) {
            size = Math.max(size, t.id() + 1);
        }
        idToToken = new String[size];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            if (idToToken[e.getValue()] != null) {
                throw new IllegalArgumentException(source + ": id " + e.getValue() + " is used by both \""
                        + idToToken[e.getValue()] + "\" and \"" + e.getKey() + "\"");
            }
            idToToken[e.getValue()] = e.getKey();
        }
        for (AddedToken t : addedTokens) {
            if (t.content().isEmpty()) {
                throw new IllegalArgumentException(source + ": added token with id " + t.id() + " is empty");
            }
            addedById.put(t.id(), t);
        }
        added = new ArrayList<>(addedTokens);
        added.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed());
        merger = new BpeMerger(vocab, merges, source);
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.valueOf(ByteUnicode.charOf(b)));
            byteIds[b] = id == null ? -1 : id;
        }
    }

    public static ByteLevelBpeTokenizer fromDirectory(Path dir) throws IOException {
        return BpeFiles.fromDirectory(dir);
    }

    /** Number of ids: one more than the largest id in the vocabulary or among the added tokens. */
    public int vocabSize() {
        return idToToken.length;
    }

    public int mergeCount() {
        return merger.mergeCount();
    }

    public List<AddedToken> addedTokens() {
        return List.copyOf(added);
    }

    /** The id of a vocabulary or added token, or -1. */
    public int tokenToId(String token) {
        for (AddedToken t : added) {
            if (t.content().equals(token)) {
                return t.id();
            }
        }
        Integer id = vocab.get(token);
        return id == null ? -1 : id;
    }

    /** The token string of an id (byte-level characters for vocabulary tokens), or null if unused. */
    public String idToToken(int id) {
        AddedToken t = addedById.get(id);
        if (t != null) {
            return t.content();
        }
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    /** Encodes text, matching added tokens verbatim first. */
    public int[] encode(String text) {
        IntList out = new IntList();
        int start = 0;
        while (start < text.length()) {
            int bestAt = text.length();
            AddedToken best = null;
            for (AddedToken t : added) { // longest first: ties at one position go to the longer token
                int at = text.indexOf(t.content(), start);
                if (at >= 0 && at < bestAt) {
                    bestAt = at;
                    best = t;
                }
            }
            encodeOrdinary(text.substring(start, bestAt), out);
            if (best == null) {
                break;
            }
            out.add(best.id());
            start = bestAt + best.content().length();
        }
        return out.toArray();
    }

    /** Encodes text with no special treatment of added tokens. */
    public int[] encodeOrdinary(String text) {
        IntList out = new IntList();
        encodeOrdinary(text, out);
        return out.toArray();
    }

    private void encodeOrdinary(String text, IntList out) {
        for (String word : PreTokenizer.split(text)) {
            byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
            String mapped = ByteUnicode.encode(bytes);
            if (ignoreMerges) {
                Integer whole = vocab.get(mapped);
                if (whole != null) {
                    out.add(whole);
                    continue;
                }
            }
            int[] symbols = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                int id = byteIds[bytes[i] & 0xFF];
                if (id < 0) {
                    throw new IllegalStateException(String.format(
                            "byte 0x%02X (token \"%s\") has no id in the vocabulary, so \"%s\" cannot be encoded",
                            bytes[i] & 0xFF, ByteUnicode.charOf(bytes[i]), word));
                }
                symbols[i] = id;
            }
            for (int id : merger.merge(mapped, symbols)) {
                out.add(id);
            }
        }
    }

    /** Decodes ids to text; byte sequences that are not valid UTF-8 become U+FFFD, as HF and Python do. */
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            AddedToken t = addedById.get(id);
            if (t != null) {
                bytes.writeBytes(t.content().getBytes(StandardCharsets.UTF_8));
                continue;
            }
            String token = idToToken(id);
            if (token == null) {
                throw new IllegalArgumentException("token id " + id + " is not in the vocabulary (size "
                        + idToToken.length + ")");
            }
            for (int i = 0; i < token.length(); i++) {
                int b = ByteUnicode.byteOf(token.charAt(i));
                if (b < 0) {
                    throw new IllegalArgumentException("token id " + id + " (\"" + token + "\") has character U+"
                            + String.format("%04X", (int) token.charAt(i)) + " that is not a byte-level symbol");
                }
                bytes.write(b);
            }
        }
        return utf8Lenient(bytes.toByteArray());
    }

    private static String utf8Lenient(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("UTF-8 decoding with REPLACE cannot fail", e);
        }
    }

    /** A growable int array, to avoid boxing every token id. */
    private static final class IntList {
        private int[] data = new int[16];
        private int size;

        void add(int v) {
            if (size == data.length) {
                data = java.util.Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(data, size);
        }
    }
}
