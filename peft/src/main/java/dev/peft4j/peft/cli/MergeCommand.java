package dev.peft4j.peft.cli;

import dev.peft4j.kernels.Kernels;
import dev.peft4j.models.gpt2.Gpt2Checkpoint;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.core.PeftModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code peft4j merge}: folds an adapter into its base checkpoint and writes a plain checkpoint. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merge an HF PEFT adapter into a GPT-2 checkpoint (merge_and_unload) and save the result.")
final class MergeCommand implements Callable<Integer> {

    @Mixin
    DeviceOption device;

    /** Tokenizer files carried over so the merged directory is a complete checkpoint. */
    private static final List<String> TOKENIZER_FILES = List.of("vocab.json", "merges.txt", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "generation_config.json");

    @Option(names = "--model", required = true, description = "HF GPT-2 checkpoint directory.")
    Path model;

    @Option(names = "--adapter", required = true, description = "Adapter directory (adapter_config.json + adapter_model.safetensors).")
    Path adapter;

    @Option(names = "--out", required = true, description = "Directory for the merged checkpoint.")
    Path out;

    @Override
    public Integer call() throws IOException {
        try (Kernels k = device.open()) {
            Gpt2Model gpt2 = Gpt2Model.fromPretrained(model, k);
            PeftModel peft = PeftModel.load(gpt2, k, adapter, false);
            peft.mergeAndUnload();
            gpt2.save(out);
            for (String name : TOKENIZER_FILES) {
                Path src = model.resolve(name);
                if (Files.exists(src) && !name.equals(Gpt2Checkpoint.CONFIG_FILE)) {
                    Files.copy(src, out.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            System.out.println("merged " + adapter + " into " + model + " -> " + out);
        }
        return 0;
    }
}
