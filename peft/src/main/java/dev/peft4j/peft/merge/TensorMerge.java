package dev.peft4j.peft.merge;

import java.util.List;

/**
 * One merge rule applied tensor by tensor: the merged values of tensor {@code name} from the base's values
 * (null when the method uses no base) and each model's values, all of one shape, flattened row-major.
 */
@FunctionalInterface
public interface TensorMerge {

    float[] merge(String name, float[] base, List<float[]> models);
}
