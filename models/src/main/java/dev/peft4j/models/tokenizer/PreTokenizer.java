package dev.peft4j.models.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's pre-tokenisation: splits text into words before BPE so merges never cross a word, number,
 * punctuation or whitespace boundary. {@code \s+(?!\S)} leaves the last space of a run to prefix the next
 * word, which is why " world" is one token.
 */
final class PreTokenizer {

    // UNICODE_CHARACTER_CLASS makes \s mean Unicode White_Space (U+00A0, U+3000 ...) as in Python's regex module.
    private static final Pattern GPT2 = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private PreTokenizer() {
    }

    /** The words of {@code text}; together they cover it exactly, in order. */
    static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        Matcher m = GPT2.matcher(text);
        while (m.find()) {
            words.add(m.group());
        }
        return words;
    }
}
