package dev.peft4j.kernels.opencl;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Device copies of host index lists that are passed again and again (a sparse adapter's indices, every
 * step): a small most-recently-used cache keyed by array identity and checked by a content hash, so a
 * reused list costs one pass over the host ints instead of a host-to-device transfer, and a list edited
 * in place is uploaded again.
 */
final class IndexUploads implements AutoCloseable {

    private static final int CAPACITY = 16;

    private record Entry(int[] key, int count, long hash, OpenClBuffer buffer) {
    }

    private final List<Entry> entries = new ArrayList<>(); // most recently used first
    private final BiFunction<int[], Integer, OpenClBuffer> upload;

    /** {@code upload} copies the first {@code count} ints of an array into a new device buffer. */
    IndexUploads(BiFunction<int[], Integer, OpenClBuffer> upload) {
        this.upload = upload;
    }

    /** A device buffer holding {@code values[0, count)}; owned by this cache, do not close it. */
    OpenClBuffer get(int[] values, int count) {
        long hash = hash(values, count);
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (e.key == values && e.count == count && e.hash == hash) {
                if (i > 0) entries.addFirst(entries.remove(i));
                return e.buffer;
            }
        }
        Entry fresh = new Entry(values, count, hash, upload.apply(values, count));
        entries.addFirst(fresh);
        if (entries.size() > CAPACITY) entries.removeLast().buffer.close();
        return fresh.buffer;
    }

    private static long hash(int[] values, int count) {
        long h = 0x9E3779B97F4A7C15L ^ count;
        for (int i = 0; i < count; i++) {
            h = (h ^ values[i]) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 29;
        }
        return h;
    }

    @Override
    public void close() {
        entries.forEach(e -> e.buffer.close());
        entries.clear();
    }
}
