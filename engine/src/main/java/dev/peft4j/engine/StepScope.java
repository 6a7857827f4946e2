package dev.peft4j.engine;

import dev.peft4j.kernels.Buffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * One training step's activations, handed back to the backend's pool when the step ends: the arena per step
 * of a training loop. While a scope is open on a thread, every tensor an op makes there with grad mode on,
 * recorded or not (a frozen prefix's activations too), and each buffer a backward rule keeps for itself (such as
 * a fused activation's pre-activation) belongs to the scope, and {@link #close()} closes those buffers, so the
 * next step's forward takes the same arrays back from the pool instead of the heap, and the collector has almost
 * no garbage to trace or copy. Model code hands back sooner what it is done with ({@link #release}): an
 * activation no backward rule reads need not wait for the step's end.
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
 * every tensor an op made inside the scope with grad mode on, with its views and {@link Tensor#detach() detached}
 * copies — copy one ({@link Tensor#toArray()}) to keep it — and the graph behind them, so backward runs inside.
 * Ops under {@link Autograd#noGrad()} record nothing and own nothing: compute there what must outlive the step.
 * An evaluation or inference pass gets the same recycling from {@link #openForInference()}, which owns what ops
 * make under noGrad too. Scopes nest and close in reverse order on the thread that opened them.
 */
public final class StepScope implements AutoCloseable {

    private static final ThreadLocal<StepScope> OPEN = new ThreadLocal<>();

    private final StepScope enclosing;
    private final boolean ownsNoGrad; // an inference scope: what ops make under noGrad is its too
    private final Thread owner = Thread.currentThread();
    private final Set<Buffer> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Buffer> kept = Collections.newSetFromMap(new IdentityHashMap<>()); // read by a backward rule
    private int released;
    private boolean closed;

    private StepScope(StepScope enclosing, boolean ownsNoGrad) {
        this.enclosing = enclosing;
        this.ownsNoGrad = ownsNoGrad;
    }

    /** Opens a scope on the calling thread; it owns what ops make here with grad mode on until it closes. */
    public static StepScope open() {
        return open(false);
    }

    /**
     * Opens a scope for an inference or evaluation pass (under {@link Autograd#noGrad()}): it owns what ops make
     * here in either grad mode, so a forward pass's activations, released by the model as it goes, come back from
     * the pool for the next layer and the next batch instead of from the heap. Read the results (a loss's
     * {@link Tensor#item()}, logits' {@link Tensor#toArray()}) before it closes.
     */
    public static StepScope openForInference() {
        return open(true);
    }

    private static StepScope open(boolean ownsNoGrad) {
        StepScope scope = new StepScope(OPEN.get(), ownsNoGrad);
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

    /** Buffers {@link #release} has closed early in this scope so far (for tests and diagnostics). */
    public int releasedBuffers() {
        return released;
    }

    /**
     * An op's output joins the open scope, unless it shares an input's storage (a view), or it was made under
     * noGrad and the scope is not an inference scope.
     */
    static void ownOutput(Tensor out, Tensor... inputs) {
        StepScope scope = OPEN.get();
        if (scope == null || !Autograd.isGradEnabled() && !scope.ownsNoGrad) {
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

    /** The storage of these tensors (nulls skipped) is read by a backward rule recorded in the open scope. */
    static void keep(Tensor... read) {
        StepScope scope = OPEN.get();
        if (scope == null) {
            return;
        }
        for (Tensor t : read) {
            if (t != null) {
                scope.kept.add(t.buffer());
            }
        }
    }

    /**
     * Hands back, now instead of when the step ends, the storage of activations the calling code is done with:
     * each tensor's storage goes back to the pool when the open scope owns it (an op made it there) and no
     * backward rule recorded so far reads it. A frozen layer's input, a residual branch's output once added, or
     * an activation that only a frozen projection consumed are such tensors; releasing them lowers the step's
     * peak memory by what they hold. Any other tensor is left as it is, so releasing is always safe for the
     * gradients; what the caller promises is not to read the tensor, nor any view of it, after the call.
     */
    public static void release(Tensor... done) {
        StepScope scope = OPEN.get();
        if (scope == null) {
            return;
        }
        for (Tensor t : done) {
            if (t == null) {
                continue;
            }
            Buffer b = t.buffer();
            if (!scope.kept.contains(b) && scope.owned.remove(b)) {
                b.close();
                scope.released++;
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
        kept.clear();
        for (Buffer b : buffers) {
            b.close();
        }
    }
}
