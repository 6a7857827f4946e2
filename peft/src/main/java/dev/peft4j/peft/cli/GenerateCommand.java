package dev.peft4j.peft.cli;

import dev.peft4j.kernels.Kernels;
import dev.peft4j.models.generate.GenerationConfig;
import dev.peft4j.models.generate.Generator;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.models.tokenizer.ByteLevelBpeTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** {@code peft4j generate}: continues a prompt with a GPT-2 checkpoint (optionally with an adapter). */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a text prompt with a GPT-2 checkpoint (plus an optional adapter); prints the continuation.")
final class GenerateCommand implements Callable<Integer> {

    /** GPT-2's end-of-text token; generation stops after it when the tokenizer knows it. */
    static final String END_OF_TEXT = "<|endoftext|>";

    @Option(names = "--model", required = true, description = "HF GPT-2 checkpoint directory (with its tokenizer files).")
    Path model;

    @Option(names = "--prompt", required = true, description = "Text to continue.")
    String prompt;

    @Option(names = "--adapter", description = "HF PEFT adapter directory to apply to the model.")
    Path adapter;

    @Option(names = "--max-new-tokens", defaultValue = "50", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0",
            description = "Softmax temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Keep the K most likely tokens, 0 = all (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus mass to keep, 1 = all (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    DeviceOption device;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        ByteLevelBpeTokenizer tokenizer = ByteLevelBpeTokenizer.fromDirectory(model);
        int[] promptIds = tokenizer.encode(prompt);
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("--prompt is empty: nothing to continue");
        }
        int eos = tokenizer.tokenToId(END_OF_TEXT);
        GenerationConfig config = new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, eos);
        int[] continuation;
        try (Kernels k = device.open()) {
            Gpt2Model gpt2 = EvalCommand.loadModel(model, adapter, k);
            int[] all = new Generator(gpt2).generate(promptIds, config, true);
            continuation = Arrays.copyOfRange(all, promptIds.length, all.length);
        }
        if (continuation.length > 0 && continuation[continuation.length - 1] == eos) {
            continuation = Arrays.copyOf(continuation, continuation.length - 1); // the stop marker is not text
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(tokenizer.decode(continuation));
        out.flush();
        return 0;
    }
}
