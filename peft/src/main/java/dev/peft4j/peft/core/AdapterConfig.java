package dev.peft4j.peft.core;

import dev.peft4j.engine.json.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The fields every Hugging Face PEFT tuner config shares ({@code PeftConfig} plus the injection fields of
 * {@code LoraConfig}), under HF's JSON names. A method's config extends it with its own fields and
 * writes them in {@link #writeMethodFields}.
 */
public abstract class AdapterConfig {

    private String taskType = "CAUSAL_LM";
    private String baseModelNameOrPath;
    private String revision;
    private boolean inferenceMode;
    private TargetModules targetModules;
    private TargetModules excludeModules;
    private List<Integer> layersToTransform;
    private List<String> layersPattern;
    private List<String> modulesToSave;
    private boolean fanInFanOut;
    private String bias = "none";

    /** HF's {@code peft_type}, e.g. "LORA". */
    public abstract String peftType();

    /** The bias values this method accepts ("none", "all" and a method-specific "x_only"). */
    protected abstract List<String> biasChoices();

    /** Adds the method's own fields to the {@code adapter_config.json} object. */
    protected abstract void writeMethodFields(Map<String, Object> json);

    /** A deep enough copy that changing its fields leaves this one as it was. */
    public abstract AdapterConfig copy();

    public String taskType() {
        return taskType;
    }

    @SuppressWarnings("unchecked")
    public <C extends AdapterConfig> C taskType(String v) {
        taskType = v;
        return (C) this;
    }

    public String baseModelNameOrPath() {
        return baseModelNameOrPath;
    }

    @SuppressWarnings("unchecked")
    public <C extends AdapterConfig> C baseModelNameOrPath(String v) {
        baseModelNameOrPath = v;
        return (C) this;
    }

    public boolean inferenceMode() {
        return inferenceMode;
    }

    @SuppressWarnings("unchecked")
    public <C extends AdapterConfig> C inferenceMode(boolean v) {
        inferenceMode = v;
        return (C) this;
    }

    /** Null means "the model family's default" (GPT-2: c_attn). */
    public TargetModules targetModules() {
        return targetModules;
    }

    @SuppressWarnings("unchecked")
    public <C extends AdapterConfig> C targetModules(TargetModules v) {
        targetModules = v;
        return (C) this;
    }

    public TargetModules excludeModules() {
        return excludeModules;
    }

    @SuppressWarnings("unchecked")
    public <C extends AdapterConfig> C excludeModules(TargetModules v) {
        excludeModules = v;
        return (C) this;
    }

    public List<Integer> layersToTransform() {
        return layersToTransform;
    }

    @SuppressWarnings("unchecked")
    public <C extends AdapterConfig> C layersToTransform(List<Integer> v) {
        layersToTransform = v == null ? null : List.copyOf(v);
        return (C) this;
    }

    public List<String> layersPattern() {
        return layersPattern;
    }

    @SuppressWarnings("unchecked")
    public <C extends AdapterConfig> C layersPattern(List<String> v) {
        layersPattern = v == null ? null : List.copyOf(v);
        return (C) this;
    }

    public List<String> modulesToSave() {
        return modulesToSave;
    }

    @SuppressWarnings("unchecked")
    public <C extends AdapterConfig> C modulesToSave(List<String> v) {
        modulesToSave = v == null ? null : List.copyOf(v);
        return (C) this;
    }

    public boolean fanInFanOut() {
        return fanInFanOut;
    }

    @SuppressWarnings("unchecked")
    public <C extends AdapterConfig> C fanInFanOut(boolean v) {
        fanInFanOut = v;
        return (C) this;
    }

    public String bias() {
        return bias;
    }

    @SuppressWarnings("unchecked")
    public <C extends AdapterConfig> C bias(String v) {
        if (!biasChoices().contains(v)) {
            throw new IllegalArgumentException(peftType() + " config: bias must be one of " + biasChoices()
                    + ", got \"" + v + "\"");
        }
        bias = v;
        return (C) this;
    }

    /** The {@code adapter_config.json} object, HF field names. */
    public Map<String, Object> toJson() {
        Map<String, Object> o = Json.newObject();
        o.put("peft_type", peftType());
        o.put("task_type", taskType);
        o.put("base_model_name_or_path", baseModelNameOrPath);
        o.put("revision", revision);
        o.put("inference_mode", inferenceMode);
        o.put("target_modules", targetModules == null ? null : targetModules.toJson());
        o.put("exclude_modules", excludeModules == null ? null : excludeModules.toJson());
        o.put("layers_to_transform", layersToTransform == null ? null : longs(layersToTransform));
        o.put("layers_pattern", layersPattern == null ? null : new ArrayList<Object>(layersPattern));
        o.put("modules_to_save", modulesToSave == null ? null : new ArrayList<Object>(modulesToSave));
        o.put("fan_in_fan_out", fanInFanOut);
        o.put("bias", bias);
        writeMethodFields(o);
        return o;
    }

    /** Reads the shared fields from {@code o}; {@code source} names the file in errors. */
    protected void readCommonFields(Map<String, Object> o, String source) {
        if (o.get("task_type") != null) {
            taskType = Json.string(o.get("task_type"), source + " task_type");
        }
        if (o.get("base_model_name_or_path") != null) {
            baseModelNameOrPath = Json.string(o.get("base_model_name_or_path"), source + " base_model_name_or_path");
        }
        if (o.get("revision") != null) {
            revision = Json.string(o.get("revision"), source + " revision");
        }
        if (o.get("inference_mode") != null) {
            inferenceMode = Json.bool(o.get("inference_mode"), source + " inference_mode");
        }
        targetModules = TargetModules.fromJson(o.get("target_modules"), source + " target_modules");
        excludeModules = TargetModules.fromJson(o.get("exclude_modules"), source + " exclude_modules");
        Object layers = o.get("layers_to_transform");
        if (layers instanceof Long single) {
            layersToTransform = List.of(Math.toIntExact(single));
        } else if (layers != null) {
            List<Integer> l = new ArrayList<>();
            for (Object v : Json.array(layers, source + " layers_to_transform")) {
                l.add(Math.toIntExact(Json.integer(v, source + " layers_to_transform")));
            }
            layersToTransform = List.copyOf(l);
        }
        layersPattern = strings(o.get("layers_pattern"), source + " layers_pattern");
        modulesToSave = strings(o.get("modules_to_save"), source + " modules_to_save");
        if (o.get("fan_in_fan_out") != null) {
            fanInFanOut = Json.bool(o.get("fan_in_fan_out"), source + " fan_in_fan_out");
        }
        if (o.get("bias") != null) {
            bias(Json.string(o.get("bias"), source + " bias"));
        }
    }

    /** Copies the shared fields of this config into {@code to}; returns it. */
    protected <C extends AdapterConfig> C copyCommonInto(C to) {
        AdapterConfig t = to;
        t.taskType = taskType;
        t.baseModelNameOrPath = baseModelNameOrPath;
        t.revision = revision;
        t.inferenceMode = inferenceMode;
        t.targetModules = targetModules;
        t.excludeModules = excludeModules;
        t.layersToTransform = layersToTransform;
        t.layersPattern = layersPattern;
        t.modulesToSave = modulesToSave;
        t.fanInFanOut = fanInFanOut;
        t.bias = bias;
        return to;
    }

    private static List<String> strings(Object v, String what) {
        if (v == null) {
            return null;
        }
        if (v instanceof String s) {
            return List.of(s);
        }
        List<String> out = new ArrayList<>();
        for (Object e : Json.array(v, what)) {
            out.add(Json.string(e, what));
        }
        return List.copyOf(out);
    }

    private static List<Object> longs(List<Integer> ints) {
        List<Object> out = new ArrayList<>();
        for (int i : ints) {
            out.add((long) i);
        }
        return out;
    }

    @Override
    public String toString() {
        return Json.write(toJson());
    }
}
