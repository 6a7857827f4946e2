package dev.peft4j.peft.merge;

import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsWriter;
import dev.peft4j.engine.json.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A LoRA adapter extracted from a full fine-tune: the HF-PEFT tensors and {@code adapter_config.json}, a
 * per-layer report of how well B·A reproduces each ΔW, and the changed tensors a LoRA cannot carry.
 *
 * @param tensors    {@code base_model.model.<module>.lora_A.weight} [r, in] and {@code lora_B.weight} [out, r]
 * @param uncaptured names of tensors that differ between base and fine-tune but are not LoRA targets
 *                   (biases, norms, embeddings): the adapter leaves them at their base values
 */
public record LoraExtraction(int rank, List<Layer> layers, List<HostTensor> tensors, Map<String, Object> adapterConfig,
                             List<String> uncaptured) {

    /**
     * One wrapped module.
     *
     * @param relativeError ‖ΔW − B·A‖_F / ‖ΔW‖_F with the saved (float) factors; 0 for an unchanged weight
     */
    public record Layer(String tensor, String module, int outFeatures, int inFeatures, boolean fanInFanOut,
                        double deltaNorm, double relativeError) {
    }

    /** Writes {@code adapter_model.safetensors} and {@code adapter_config.json} into {@code dir}. */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        SafetensorsWriter.write(dir.resolve(WeightsDirectory.ADAPTER_FILE), tensors, Map.of("format", "pt"));
        Files.writeString(dir.resolve(WeightsDirectory.ADAPTER_CONFIG_FILE), Json.writePretty(adapterConfig) + "\n");
    }
}
