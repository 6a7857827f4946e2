package dev.peft4j.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Define-by-run reverse-mode differentiation. Ops record a {@link Node} on their result when grad mode
 * is on and some input requires grad; {@link #backward} orders the recorded graph topologically from the
 * root and runs the backward rules in reverse, accumulating into leaf grads.
 */
public final class Autograd {

    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private Autograd() {
    }

    /** Whether ops on this thread currently record the tape. */
    public static boolean isGradEnabled() {
        return ENABLED.get()[0];
    }

    /**
     * Enters a scope in which ops record nothing (inference, optimizer updates, weight surgery):
     * {@code try (var scope = Autograd.noGrad()) { ... }}. Scopes nest; closing restores the previous mode.
     */
    public static Scope noGrad() {
        return setEnabled(false);
    }

    /** Re-enables recording inside an enclosing {@link #noGrad()} scope. */
    public static Scope enableGrad() {
        return setEnabled(true);
    }

    private static Scope setEnabled(boolean on) {
        boolean[] flag = ENABLED.get();
        boolean previous = flag[0];
        flag[0] = on;
        return new Scope(flag, previous);
    }

    /** A grad-mode scope; closing it restores the mode that was in force when it was entered. */
    public static final class Scope implements AutoCloseable {
        private final boolean[] flag;
        private final boolean previous;

        private Scope(boolean[] flag, boolean previous) {
            this.flag = flag;
            this.previous = previous;
        }

        @Override
        public void close() {
            flag[0] = previous;
        }
    }

    /** Whether an op over these inputs must be recorded. */
    static boolean needsRecording(Tensor... inputs) {
        if (!isGradEnabled()) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Attaches a backward rule to {@code out} when recording is due; returns {@code out}. The rule is taken to
     * read the data of every input and of the output, so none of them goes back to the pool before the step
     * ends ({@link StepScope#release}); an op that knows better names what it reads with {@link #recordReading}.
     */
    static Tensor record(Tensor out, String op, BackwardFn fn, Tensor... inputs) {
        if (attach(out, op, fn, inputs)) {
            StepScope.keep(inputs);
            StepScope.keep(out);
        }
        return out;
    }

    /** For {@link #recordReading}: a rule that reads no tensor's data, only the incoming gradient. */
    static final Tensor[] NOTHING = {};

    /**
     * {@link #record} for an op whose rule reads the data of {@code read} (null entries allowed) and of no other
     * input, nor of the output: those may be released early, once the code that made them is done with them.
     */
    static Tensor recordReading(Tensor[] read, Tensor out, String op, BackwardFn fn, Tensor... inputs) {
        if (attach(out, op, fn, inputs)) {
            StepScope.keep(read);
        }
        return out;
    }

    /**
     * Sets {@code out}'s node when recording is due; says whether it did. With grad mode on the output joins the
     * open scope either way: a frozen prefix's activations (a LoRA model's embeddings, its first norm) are the
     * step's as much as the recorded ones, and go back to the pool with them instead of to the collector. Under
     * noGrad only an inference scope takes it ({@link StepScope#openForInference()}).
     */
    private static boolean attach(Tensor out, String op, BackwardFn fn, Tensor... inputs) {
        if (OpTimes.ON) {
            OpTimes.forward(op);
        }
        StepScope.ownOutput(out, inputs);
        if (!needsRecording(inputs)) {
            return false;
        }
        // Keep only the inputs gradients flow to, so frozen operands are not held by the tape.
        GradSlot[] live = java.util.Arrays.stream(inputs).filter(t -> t != null && t.requiresGrad())
                .map(Tensor::slot).toArray(GradSlot[]::new);
        out.setGradFn(new Node(op, live, fn));
        return true;
    }

    /**
     * Back-propagates {@code seed} (the gradient of some scalar with respect to {@code root}) through the
     * recorded graph. Intermediate gradients are released once their node has run; leaf gradients
     * accumulate across calls. The graph is kept, so backward may run again on the same root.
     */
    static void backward(Tensor root, Tensor seed) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward: tensor " + Shapes.str(root.shape())
                    + " does not require grad (no input of its graph requires grad, or it was made under noGrad)");
        }
        if (OpTimes.ON) {
            OpTimes.backwardPass();
        }
        List<GradSlot> order = topologicalOrder(root.slot());
        try (Scope ignored = noGrad()) {
            Tensor rootGrad = root.gradSink();
            seed = seed.contiguous();
            root.kernels().axpy(1f, seed.buffer(), seed.offset(), rootGrad.buffer(), rootGrad.offset(), root.numel());
            for (int i = order.size() - 1; i >= 0; i--) {
                GradSlot t = order.get(i);
                order.set(i, null); // done with it: the slot may go once no backward rule holds it
                Tensor g = t.gradOrNull();
                if (g == null) {
                    continue; // no path from the root carries a gradient here
                }
                long t0 = OpTimes.ON ? System.nanoTime() : 0;
                t.lendGrad(true);
                t.gradFn().backward().backward(g);
                t.lendGrad(false);
                if (OpTimes.ON) {
                    OpTimes.backward(t.gradFn().op(), System.nanoTime() - t0);
                }
                if (!t.retainsGrad()) {
                    t.releaseGrad();
                }
            }
        }
    }

    /** Post-order of the non-leaf tensors' slots reachable from root (inputs before the ops that consume them). */
    private static List<GradSlot> topologicalOrder(GradSlot root) {
        List<GradSlot> order = new ArrayList<>();
        Set<GradSlot> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        // Iterative DFS: transformer graphs are deep enough to make recursion risky.
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        visited.add(root);
        stack.push(new Object[] {root, 0});
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            GradSlot t = (GradSlot) frame[0];
            int next = (Integer) frame[1];
            GradSlot[] inputs = t.gradFn().inputs();
            if (next < inputs.length) {
                frame[1] = next + 1;
                GradSlot in = inputs[next];
                if (in != null && in.gradFn() != null && visited.add(in)) {
                    stack.push(new Object[] {in, 0});
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }
}
