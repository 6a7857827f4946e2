package dev.peft4j.peft.fewshot;

import dev.peft4j.peft.train.TrainerSettings;

/**
 * One run's choices besides the data.
 *
 * @param method     {@code full} or an adapter method name
 * @param kind       how classes are scored (ignored for causal-LM data)
 * @param options    the method's options
 * @param template   prompt template with a {@code {text}} slot
 * @param labelWords {@code label=word,...} for the prompt classifier, null = the labels themselves
 */
public record RunSpec(String method, ClassifierKind kind, MethodOptions options, TrainerSettings trainer,
                      String template, String labelWords) {
}
