package dev.peft4j.models.gpt2;

import dev.peft4j.engine.Tensor;
import dev.peft4j.models.generate.KvCache;

/** Per-layer keys and values [batch, heads, length, headDim] of the positions GPT-2 has processed. */
public final class Gpt2KvCache implements KvCache {

    private final Tensor[] keys;
    private final Tensor[] values;
    private final int batch;
    private final int capacity;
    private int length;

    Gpt2KvCache(int layers, int batch, int capacity) {
        this.keys = new Tensor[layers];
        this.values = new Tensor[layers];
        this.batch = batch;
        this.capacity = capacity;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    int batch() {
        return batch;
    }

    /** The cached keys of {@code layer}, [batch, heads, length, headDim] (null before the first forward). */
    public Tensor keys(int layer) {
        return keys[layer];
    }

    /** The cached values of {@code layer}, [batch, heads, length, headDim] (null before the first forward). */
    public Tensor values(int layer) {
        return values[layer];
    }

    /** Appends {@code k}, {@code v} of layer {@code layer} and returns the full keys and values so far. */
    Tensor[] append(int layer, Tensor k, Tensor v) {
        Tensor kk = keys[layer] == null ? k.contiguous() : Tensor.cat(2, keys[layer], k);
        Tensor vv = values[layer] == null ? v.contiguous() : Tensor.cat(2, values[layer], v);
        // Stored detached: a cached graph would keep every step's activations alive.
        keys[layer] = kk.detach();
        values[layer] = vv.detach();
        return new Tensor[]{kk, vv};
    }

    /** Called once per forward, after every layer has appended {@code seq} positions. */
    void advance(int seq) {
        length += seq;
    }
}
