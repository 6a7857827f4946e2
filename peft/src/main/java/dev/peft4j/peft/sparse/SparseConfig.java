package dev.peft4j.peft.sparse;

import dev.peft4j.engine.json.Json;
import dev.peft4j.peft.core.AdapterConfig;

import java.util.List;
import java.util.Map;

/**
 * Sparse fine-tuning ({@code peft_type} "SPARSE", ours): a trainable delta on chosen entries of each target
 * weight, {@code W + scatter(indices, values)}. Fields in {@code adapter_config.json}:
 * <ul>
 *   <li>{@code density}: the fraction of entries trained, per target, or over all targets together for
 *       the global selections (gradient, fisher); for {@code sct} the fraction of input channels, for
 *       {@code hft} the fraction of output rows;</li>
 *   <li>{@code selection}: how entries were chosen ({@link Selection} names, e.g. "magnitude");</li>
 *   <li>{@code random_seed}: the seed of the random and hft selections;</li>
 *   <li>{@code lift_rank}: the rank of LIFT's low-rank approximation;</li>
 *   <li>{@code target_modules}, {@code fan_in_fan_out} and the other common fields, as HF PEFT.</li>
 * </ul>
 * The chosen entries are saved, so a loaded adapter never re-selects: {@code adapter_model.safetensors}
 * holds per target {@code base_model.model.<path>.sparse_indices} (I32 [nnz], ascending flat positions in
 * the weight viewed [out, in] row-major, whatever its storage) and {@code ...sparse_values} (F32 [nnz]).
 *
 * <p>Two fields are not saved: the {@link SelectionData} a data-dependent selection runs on (like SHiRA's
 * {@code mask_fn} in HF PEFT, code rather than configuration), and whether the indices come from a file
 * (set on every config read from {@code adapter_config.json}: its layers start empty and take their
 * entries from the adapter file).
 */
public final class SparseConfig extends AdapterConfig {

    public static final String PEFT_TYPE = "SPARSE";

    private double density = 0.01;
    private Selection selection = Selection.RANDOM;
    private long randomSeed = 42;
    private int liftRank = 16;
    private SelectionData selectionData;
    private boolean indicesFromFile;

    @Override
    public String peftType() {
        return PEFT_TYPE;
    }

    @Override
    protected List<String> biasChoices() {
        return List.of("none", "all", "sparse_only");
    }

    public double density() {
        return density;
    }

    public SparseConfig density(double v) {
        if (!(v > 0 && v <= 1)) {
            throw new IllegalArgumentException("SPARSE config: density must be in (0, 1], got " + v);
        }
        density = v;
        return this;
    }

    public Selection selection() {
        return selection;
    }

    public SparseConfig selection(Selection v) {
        selection = java.util.Objects.requireNonNull(v, "selection");
        return this;
    }

    public long randomSeed() {
        return randomSeed;
    }

    public SparseConfig randomSeed(long v) {
        randomSeed = v;
        return this;
    }

    public int liftRank() {
        return liftRank;
    }

    public SparseConfig liftRank(int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("SPARSE config: lift_rank must be a positive integer, got " + v);
        }
        liftRank = v;
        return this;
    }

    /** The data a gradient, fisher or sct selection runs on; null when none was given. */
    public SelectionData selectionData() {
        return selectionData;
    }

    public SparseConfig selectionData(SelectionData v) {
        selectionData = v;
        return this;
    }

    /** Whether layers start empty and take their entries from an adapter file (configs read from JSON). */
    public boolean indicesFromFile() {
        return indicesFromFile;
    }

    public SparseConfig indicesFromFile(boolean v) {
        indicesFromFile = v;
        return this;
    }

    @Override
    protected void writeMethodFields(Map<String, Object> o) {
        o.put("density", density);
        o.put("selection", selection.cliName());
        o.put("random_seed", randomSeed);
        o.put("lift_rank", (long) liftRank);
    }

    public static SparseConfig fromJson(Map<String, Object> o, String source) {
        SparseConfig c = new SparseConfig();
        c.readCommonFields(o, source);
        if (o.get("density") != null) {
            double d = Json.number(o.get("density"), source + " density");
            if (!(d > 0 && d <= 1)) {
                throw new IllegalArgumentException(source + ": density must be in (0, 1], got " + d);
            }
            c.density(d);
        }
        if (o.get("selection") != null) {
            c.selection(Selection.parse(Json.string(o.get("selection"), source + " selection"), source + " selection"));
        }
        if (o.get("random_seed") != null) {
            c.randomSeed(Json.integer(o.get("random_seed"), source + " random_seed"));
        }
        if (o.get("lift_rank") != null) {
            c.liftRank(Math.toIntExact(Json.integer(o.get("lift_rank"), source + " lift_rank")));
        }
        c.indicesFromFile(true);
        return c;
    }

    @Override
    public SparseConfig copy() {
        SparseConfig c = copyCommonInto(new SparseConfig());
        c.density = density;
        c.selection = selection;
        c.randomSeed = randomSeed;
        c.liftRank = liftRank;
        c.selectionData = selectionData;
        c.indicesFromFile = indicesFromFile;
        return c;
    }
}
