package dev.peft4j.peft.adapter;

import dev.peft4j.engine.nn.LinearLayer;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.peft.core.LinearLayers;

import java.util.ArrayList;
import java.util.List;

/**
 * The input and output widths of a module an adapter sits beside: a linear layer's own; for a block of
 * layers (an MLP), the first linear layer's input and the last one's output, in registration order.
 */
record ModuleWidths(int in, int out) {

    static ModuleWidths of(Module m, String path) {
        if (LinearLayers.isLinear(m)) {
            LinearLayer l = LinearLayers.of(m, path);
            return new ModuleWidths(l.inFeatures(), l.outFeatures());
        }
        List<LinearLayer> linears = new ArrayList<>();
        m.namedModules().forEach((p, child) -> {
            if (!p.isEmpty() && LinearLayers.isLinear(child)) {
                linears.add(LinearLayers.of(child, path + "." + p));
            }
        });
        if (linears.isEmpty()) {
            throw new IllegalArgumentException("module \"" + path + "\" (" + m.getClass().getSimpleName() + ") is not a"
                    + " linear layer and holds none, so an adapter cannot tell its widths");
        }
        return new ModuleWidths(linears.getFirst().inFeatures(), linears.getLast().outFeatures());
    }
}
