package dev.peft4j.peft.core;

import dev.peft4j.engine.nn.Module;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Chooses the modules a config adapts, as HF PEFT's {@code check_target_module_exists}: match
 * {@code target_modules} against the HF path, drop {@code exclude_modules}, keep only the layer indices in
 * {@code layers_to_transform} (the number after {@code layers_pattern}, or after any "name." step when no
 * pattern is given).
 */
public final class TargetSelector {

    private static final Pattern ANY_LAYER = Pattern.compile(".*\\.[^.]*\\.(\\d+)\\..*");

    private final TargetModules targets;
    private final AdapterConfig config;
    private final ModelLayout layout;

    public TargetSelector(AdapterConfig config, ModelLayout layout) {
        this.config = config;
        this.layout = layout;
        TargetModules t = config.targetModules() != null ? config.targetModules() : layout.defaultTargets();
        if (t == null) {
            throw new IllegalArgumentException(config.peftType() + " config: target_modules is not set and the model"
                    + " family has no default; name the modules to adapt");
        }
        this.targets = t;
    }

    /** The paths (our spelling) of the modules to adapt, in model order; an empty result is an error. */
    public List<String> select(Module model) {
        List<String> chosen = new ArrayList<>();
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            String path = e.getKey();
            if (!path.isEmpty() && isTarget(path, e.getValue())) {
                chosen.add(path);
            }
        }
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException(config.peftType() + " config: target_modules " + targets.toJson()
                    + (config.excludeModules() != null ? " minus exclude_modules " + config.excludeModules().toJson() : "")
                    + (config.layersToTransform() != null ? " in layers " + config.layersToTransform() : "")
                    + " matched no module of " + model.getClass().getSimpleName());
        }
        return chosen;
    }

    /** Whether the module {@code m} at {@code path} (our spelling) is adapted. */
    public boolean isTarget(String path, Module m) {
        if (m instanceof AdapterLayer) {
            return false; // adapters are found through their base layer's path
        }
        if (targets instanceof TargetModules.AllLinear
                && (!LinearLayers.isLinear(m) || path.equals(layout.outputHead()))) {
            return false;
        }
        return matchesPath(path);
    }

    /**
     * The name-only part of the decision for the module at {@code path} (our spelling): target match,
     * exclusion and layer index. {@code all-linear} says yes here; its type check needs the module.
     */
    public boolean matchesPath(String path) {
        String hf = layout.hfPath(path);
        if (!(targets instanceof TargetModules.AllLinear) && !targets.matches(hf)) {
            return false;
        }
        if (config.excludeModules() != null && config.excludeModules().matches(hf)) {
            return false;
        }
        return inSelectedLayer(hf);
    }

    private boolean inSelectedLayer(String hf) {
        List<Integer> layers = config.layersToTransform();
        if (layers == null || layers.isEmpty()) {
            return true;
        }
        Integer index = null;
        List<String> patterns = config.layersPattern();
        String probe = hf + "."; // so a path ending in the index still has its trailing dot
        if (patterns == null || patterns.isEmpty()) {
            Matcher m = ANY_LAYER.matcher(probe);
            if (m.matches()) {
                index = Integer.parseInt(m.group(1));
            }
        } else {
            for (String p : patterns) {
                Matcher m = Pattern.compile(".*\\." + p + "\\.(\\d+)\\..*").matcher("." + probe);
                if (m.matches()) {
                    index = Integer.parseInt(m.group(1));
                    break;
                }
            }
        }
        return index != null && layers.contains(index);
    }
}
