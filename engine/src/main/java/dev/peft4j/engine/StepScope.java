package dev.peft4j.engine;

import dev.peft4j.kernels.Buffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * One training step's activations, handed back to the backend's pool when the step ends: the arena per step
 * of a training loop. While a scope is open on a thread, every tensor a recorded op makes there (and each
 * buffer a backward rule keeps for itself, such as a fused activation's pre-activation) belongs to the scope,
 * and {@link #close()} closes those buffers, so the next step's forward takes the same arrays back from the
 * pool instead of the heap, and the collector has almost no garbage to trace or copy.
 *
 * <pre>{@code
 * try (StepScope step = StepScope.open()) {
 *     Tensor loss = model.loss(batch);
 *     loss.backward();
 *     optimizer.step();
 *     value = loss.item();      // read what you keep before the scope closes
 * }
 * }</pre>
 *
 * <p>What it never closes: leaves (parameters, inputs), their gradients, optimizer state, and an op's output
 * whose storage is one of the op's inputs' (a view of a parameter stays the parameter). What becomes invalid:
 * every tensor a recorded op made inside the scope, with its views and {@link Tensor#detach() detached} copies
 * — copy one ({@link Tensor#toArray()}) to keep it — and the graph behind them, so backward runs inside.
 * Ops under {@link Autograd#noGrad()} record nothing and own nothing. Scopes nest and close in reverse order
 * on the thread that opened them.
 */
public final class StepScope implements AutoCloseable {

    private static final ThreadLocal<StepScope> OPEN = new ThreadLocal<>();

    private final StepScope enclosing;
    private final Thread owner = Thread.currentThread();
    private final Set<Buffer> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;

    private StepScope(StepScope enclosing) {
        this.enclosing = enclosing;
    }

    /** Opens a scope on the calling thread; it owns what recorded ops make here until it closes. */
    public static StepScope open() {
        StepScope scope = new StepScope(OPEN.get());
        OPEN.set(scope);
        return scope;
    }

    /** Whether a scope is open on the calling thread. */
    public static boolean isOpen() {
        return OPEN.get() != null;
    }

    /** Buffers this scope will close (for tests and diagnostics). */
    public int ownedBuffers() {
        return owned.size();
    }

    /** A recorded op's output joins the open scope, unless it shares an input's storage (a view). */
    static void ownOutput(Tensor out, Tensor... inputs) {
        StepScope scope = OPEN.get();
        if (scope == null) {
            return;
        }
        Buffer b = out.buffer();
        for (Tensor in : inputs) {
            if (in != null && in.buffer() == b) {
                return;
            }
        }
        scope.owned.add(b);
    }

    /** A buffer an op made for its own backward rule (never an input's) joins the open scope. */
    static void ownSaved(Buffer saved) {
        StepScope scope = OPEN.get();
        if (scope != null) {
            scope.owned.add(saved);
        }
    }

    /**
     * Buffers an op made for its own backward rule: they join the open scope when the op was recorded, and are
     * closed at once when it was not (no backward will read them).
     */
    static void ownSaved(boolean recorded, Buffer... saved) {
        for (Buffer b : saved) {
            if (recorded) {
                ownSaved(b);
            } else {
                b.close();
            }
        }
    }

    /** Closes every owned buffer (each hands its memory to the backend's pool) and restores the enclosing scope. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("StepScope: closed on thread " + Thread.currentThread().getName()
                    + ", opened on " + owner.getName());
        }
        if (OPEN.get() != this) {
            throw new IllegalStateException("StepScope: closed while a scope opened inside it is still open");
        }
        closed = true;
        OPEN.set(enclosing);
        List<Buffer> buffers = new ArrayList<>(owned);
        owned.clear();
        for (Buffer b : buffers) {
            b.close();
        }
    }
}
