package dev.peft4j.peft.fewshot;

import dev.peft4j.peft.train.Evaluation;
import dev.peft4j.peft.train.RunResult;

import java.nio.file.Path;

/** A finished run: training record, held-out score, what trained and what it weighs on disk. */
public record RunOutcome(String method, long seed, RunResult result, Evaluation test, long trainableParams,
                         long totalParams, long savedBytes, Path savedTo) {
}
