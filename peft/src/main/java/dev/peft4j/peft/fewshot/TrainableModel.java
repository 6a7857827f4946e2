package dev.peft4j.peft.fewshot;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsWriter;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterFiles;
import dev.peft4j.peft.core.ModelLayout;
import dev.peft4j.peft.core.PeftModel;
import dev.peft4j.peft.core.TargetModules;
import dev.peft4j.peft.sparse.Selection;
import dev.peft4j.peft.sparse.SelectionData;
import dev.peft4j.peft.sparse.SparseConfig;
import dev.peft4j.peft.train.AdapterMethod;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A model made ready to train by a method name: {@code full} unfreezes every parameter; any name of
 * {@link AdapterMethod} injects that adapter, or continues a saved one (plus the classifier's head as
 * {@code modules_to_save}). Knows
 * what trains and how to save it.
 */
public final class TrainableModel {

    public static final String FULL = "full";

    private final Module model;
    private final PeftModel peft;
    private final String method;

    private TrainableModel(Module model, PeftModel peft, String method) {
        this.model = model;
        this.peft = peft;
        this.method = method;
    }

    /**
     * @param headModule the module a classifier adds ({@code score}, {@code label_embeddings}), trained in
     *                   full alongside the adapter; null when there is none
     * @param targets    target modules, null = the method's default for GPT-2
     */
    public static TrainableModel prepare(Module model, String method, int r, double alpha, TargetModules targets,
                                         String headModule, String taskType, String baseModel, Kernels k, Rng rng)
            throws IOException {
        return prepare(model, method, MethodOptions.of(r, alpha, targets), headModule, taskType, baseModel, null, k, rng);
    }

    /**
     * @param selectionData the training data for method sparse's data-dependent selections (asked only then)
     */
    public static TrainableModel prepare(Module model, String method, MethodOptions o, String headModule,
                                         String taskType, String baseModel, Supplier<SelectionData> selectionData,
                                         Kernels k, Rng rng) throws IOException {
        if (method.equals(FULL)) {
            if (o.adapter() != null) {
                throw new IllegalArgumentException("--adapter continues an adapter; method full trains every weight");
            }
            model.unfreeze();
            return new TrainableModel(model, null, method);
        }
        AdapterMethod m = AdapterMethod.parse(method);
        if (o.adapter() != null) {
            PeftModel peft = new PeftModel(model, k);
            peft.loadAdapter(o.adapter(), PeftModel.DEFAULT_ADAPTER, true, m::adjustLoaded);
            return new TrainableModel(model, peft, method);
        }
        AdapterConfig config = m.config(o.r(), o.alpha(), o.dropout(), o.targets());
        boolean virtualTokens = m == AdapterMethod.PROMPT || m == AdapterMethod.PREFIX;
        if (!virtualTokens && config.targetModules() == null && ModelLayout.of(model) == ModelLayout.PLAIN) {
            // The classifier wraps GPT-2, so the family default has to be spelled out.
            config.targetModules(ModelLayout.GPT2.defaultTargets());
        }
        if (config instanceof SparseConfig sparse) {
            sparse.selection(Selection.parse(o.sparseSelect(), "--sparse-select")).density(o.density());
            if (selectionData != null) {
                sparse.selectionData(selectionData.get());
            }
        }
        if (headModule != null) {
            config.modulesToSave(List.of(headModule));
        }
        config.taskType(taskType);
        config.baseModelNameOrPath(baseModel);
        return new TrainableModel(model, PeftModel.create(model, k, config, rng), method);
    }

    public String method() {
        return method;
    }

    public Module model() {
        return model;
    }

    /** The adapter machinery, or null for full fine-tuning. */
    public PeftModel peft() {
        return peft;
    }

    /** The tensors that train, by name. */
    public Map<String, Tensor> trainable() {
        return model.namedTrainableParameters();
    }

    public long trainableCount() {
        long n = 0;
        for (Tensor t : trainable().values()) {
            n += t.numel();
        }
        return n;
    }

    /**
     * Saves what was trained into {@code dir}: the adapter in HF PEFT format, or for full fine-tuning every
     * parameter as {@code model.safetensors}. Returns the bytes written.
     */
    public long save(Path dir, String configJson) throws IOException {
        Files.createDirectories(dir);
        if (peft != null) {
            peft.save(dir);
        } else {
            List<HostTensor> tensors = new ArrayList<>();
            model.namedParameters().forEach((name, t) -> tensors.add(HostTensor.of(name, t)));
            SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
            if (configJson != null) {
                AdapterFiles.writeAtomically(dir.resolve("config.json"), configJson);
            }
        }
        return sizeOf(dir);
    }

    static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            long n = 0;
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                n += Files.size(p);
            }
            return n;
        }
    }
}
