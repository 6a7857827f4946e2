package dev.peft4j.peft.quickstart;

import dev.peft4j.engine.Rng;

import java.util.Arrays;

/**
 * The pretraining text of the quickstart model: short lines of list and string operations over digits
 * and letters ({@code sort}, {@code rev}, {@code max}, {@code min}, {@code add}, {@code count}, {@code copy}),
 * each with its answer, so a small model learns about digits, order and counting. The few-shot task
 * ({@link SortedTask}) asks something none of these lines ask.
 */
public final class ProceduralCorpus {

    private ProceduralCorpus() {
    }

    /** One random line, without its newline. */
    public static String line(Rng rng) {
        return switch (rng.nextInt(7)) {
            case 0 -> {
                int[] xs = digits(rng, 3 + rng.nextInt(5));
                int[] sorted = xs.clone();
                Arrays.sort(sorted);
                yield "sort " + join(xs) + " = " + join(sorted);
            }
            case 1 -> {
                String s = letters(rng, 3 + rng.nextInt(6));
                yield "rev " + s + " = " + new StringBuilder(s).reverse();
            }
            case 2 -> {
                int[] xs = digits(rng, 3 + rng.nextInt(5));
                yield "max " + join(xs) + " = " + Arrays.stream(xs).max().orElseThrow();
            }
            case 3 -> {
                int[] xs = digits(rng, 3 + rng.nextInt(5));
                yield "min " + join(xs) + " = " + Arrays.stream(xs).min().orElseThrow();
            }
            case 4 -> {
                int a = rng.nextInt(50);
                int b = rng.nextInt(50);
                yield "add " + a + " " + b + " = " + (a + b);
            }
            case 5 -> {
                String s = letters(rng, 4 + rng.nextInt(6));
                char c = s.charAt(rng.nextInt(s.length()));
                yield "count " + c + " in " + s + " = " + s.chars().filter(x -> x == c).count();
            }
            default -> {
                int[] xs = digits(rng, 3 + rng.nextInt(5));
                yield "copy " + join(xs) + " = " + join(xs);
            }
        };
    }

    static int[] digits(Rng rng, int n) {
        int[] xs = new int[n];
        for (int i = 0; i < n; i++) {
            xs[i] = rng.nextInt(10);
        }
        return xs;
    }

    static String letters(Rng rng, int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append((char) ('a' + rng.nextInt(6)));
        }
        return sb.toString();
    }

    static String join(int[] xs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < xs.length; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(xs[i]);
        }
        return sb.toString();
    }

    /** A window of {@code length} byte ids cut from a stream of newline-separated lines. */
    public static int[] window(Rng rng, int length) {
        int[] out = new int[length];
        int n = 0;
        while (n < length) {
            byte[] bytes = (line(rng) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            for (int i = 0; i < bytes.length && n < length; i++) {
                out[n++] = bytes[i] & 0xFF;
            }
        }
        return out;
    }
}
