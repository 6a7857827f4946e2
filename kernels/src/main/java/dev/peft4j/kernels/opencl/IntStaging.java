package dev.peft4j.kernels.opencl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Off-heap copies of integer inputs (token ids, targets) whose uploads are enqueued without blocking, so a
 * step's inputs do not drain the queue mid-step. A copy must outlive its write: copies are kept until the
 * backend next waits on the in-order queue (a read, a blocking write, {@code finish}), after which every
 * earlier command has completed.
 */
final class IntStaging {

    /** Pending copies after which the backend waits once, bounding held memory when nothing else waits. */
    static final int MAX_PENDING = 256;

    private final List<ByteBuffer> pending = new ArrayList<>();

    /** A native-order copy of {@code values[0, count)}, held until {@link #completed()}. */
    ByteBuffer stage(int[] values, int count) {
        ByteBuffer copy = ByteBuffer.allocateDirect(4 * count).order(ByteOrder.nativeOrder());
        copy.asIntBuffer().put(values, 0, count);
        pending.add(copy);
        return copy;
    }

    boolean full() {
        return pending.size() >= MAX_PENDING;
    }

    /** The queue has drained: every staged write has finished reading its copy. */
    void completed() {
        pending.clear();
    }
}
