package dev.peft4j.peft.train;

import java.nio.file.Path;

/** A training loss became NaN or infinite: the run stops, naming the step and the last good checkpoint. */
public final class NonFiniteLossException extends ArithmeticException {

    private final int step;
    private final transient Path lastCheckpoint;

    public NonFiniteLossException(int step, float loss, Path lastCheckpoint) {
        this(step, "the loss is " + loss, lastCheckpoint, null);
    }

    /** {@code what} went non-finite at {@code step} (e.g. the loss op's own check, passed as {@code cause}). */
    public NonFiniteLossException(int step, String what, Path lastCheckpoint, Throwable cause) {
        super("training stopped at step " + step + ": " + what + "; "
                + (lastCheckpoint == null ? "no checkpoint was written yet (see --checkpoint-every)"
                : "the last good checkpoint is " + lastCheckpoint + " (lower the learning rate and rerun with --resume)"));
        this.step = step;
        this.lastCheckpoint = lastCheckpoint;
        if (cause != null) {
            initCause(cause);
        }
    }

    /** The 1-based update whose loss was not finite. */
    public int step() {
        return step;
    }

    public Path lastCheckpoint() {
        return lastCheckpoint;
    }
}
