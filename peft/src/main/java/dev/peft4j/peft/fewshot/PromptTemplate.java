package dev.peft4j.peft.fewshot;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * An LM-BFF style prompt: a template with one {@code {text}} slot, and one label word per class that the
 * LM should predict as the next token after it. Each label word must be exactly one token.
 */
public record PromptTemplate(String template, List<String> labels, int[] labelWordIds) {

    public static final String SLOT = "{text}";

    public PromptTemplate {
        if (!template.contains(SLOT)) {
            throw new IllegalArgumentException("template \"" + template + "\" has no " + SLOT + " slot");
        }
        labels = List.copyOf(labels);
        labelWordIds = labelWordIds == null ? null : labelWordIds.clone();
    }

    public String apply(String text) {
        return template.replace(SLOT, text);
    }

    /**
     * Parses {@code label=word,label=word}; a null spec means each label is its own word. Every class must
     * get a word that encodes to one token, and no two classes the same token.
     */
    public static PromptTemplate withLabelWords(String template, List<String> labels, String spec,
                                                Function<String, int[]> encode) {
        Map<String, String> words = new LinkedHashMap<>();
        if (spec == null) {
            labels.forEach(l -> words.put(l, l));
        } else {
            for (String pair : spec.split(",")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--label-words: \"" + pair + "\" is not label=word");
                }
                String label = pair.substring(0, eq).trim();
                if (!labels.contains(label)) {
                    throw new IllegalArgumentException("--label-words: label \"" + label + "\" is not in the data (labels: "
                            + labels + ")");
                }
                words.put(label, pair.substring(eq + 1));
            }
        }
        int[] ids = new int[labels.size()];
        List<Integer> seen = new ArrayList<>();
        for (int c = 0; c < labels.size(); c++) {
            String word = words.get(labels.get(c));
            if (word == null) {
                throw new IllegalArgumentException("--label-words gives no word for label \"" + labels.get(c) + "\"");
            }
            int[] tok = encode.apply(word);
            if (tok.length != 1) {
                throw new IllegalArgumentException("label word \"" + word + "\" for label \"" + labels.get(c) + "\" is "
                        + tok.length + " tokens; each label word must be one token (pick another with --label-words)");
            }
            if (seen.contains(tok[0])) {
                throw new IllegalArgumentException("label word \"" + word + "\" is used for two labels");
            }
            seen.add(tok[0]);
            ids[c] = tok[0];
        }
        return new PromptTemplate(template, labels, ids);
    }
}
