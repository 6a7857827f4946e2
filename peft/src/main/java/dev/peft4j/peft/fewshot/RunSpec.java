package dev.peft4j.peft.fewshot;

import dev.peft4j.peft.core.TargetModules;

/**
 * One few-shot run's choices besides the data.
 *
 * @param method     {@code full} or an adapter method name
 * @param kind       how classes are scored (ignored for causal-LM data)
 * @param targets    target modules, null = the method's default
 * @param template   prompt template with a {@code {text}} slot
 * @param labelWords {@code label=word,...} for the prompt classifier, null = the labels themselves
 */
public record RunSpec(String method, ClassifierKind kind, int r, double alpha, TargetModules targets,
                      TrainerSettings trainer, String template, String labelWords) {
}
