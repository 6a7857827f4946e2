package dev.peft4j.kernels;

/**
 * Where the rows of one attention operand live, so attention can read q, k and v where a fused projection wrote
 * them and write its output where the next projection reads it, with no copies. For a flat head index
 * {@code b < bh} (batch {@code b / heads}, head {@code b % heads}) and a position t, the row's elements are
 * contiguous from {@code off + (b / heads)·batchStride + (b % heads)·headStride + t·rowStride}.
 *
 * <p>{@link #contiguous} is the packed [bh, rows, width] layout. GPT-2's fused qkv [B, T, 3C] (C = H·D) read in
 * place is {@code new AttentionLayout(H, T·3C, D, 3C)} with offsets 0, C and 2C for q, k and v; its output
 * [B, T, C] is {@code new AttentionLayout(H, T·C, D, C)}.
 */
public record AttentionLayout(int heads, int batchStride, int headStride, int rowStride) {

    public AttentionLayout {
        if (heads < 1 || batchStride < 0 || headStride < 0 || rowStride < 0) {
            throw new IllegalArgumentException("AttentionLayout: heads must be >= 1 and strides >= 0, got heads "
                    + heads + ", batchStride " + batchStride + ", headStride " + headStride + ", rowStride "
                    + rowStride);
        }
    }

    /** Packed [bh, rows, width]: head b's row t at {@code (b·rows + t)·width}. */
    public static AttentionLayout contiguous(int rows, int width) {
        return new AttentionLayout(1, rows * width, 0, width);
    }

    /** Offset (from the operand's start) of head b's row t. */
    public int rowStart(int b, int t) {
        return (b / heads) * batchStride + (b % heads) * headStride + t * rowStride;
    }

    /** One past the last element {@code bh} heads of {@code rows} rows of {@code width} floats touch; 0 if empty. */
    public long extent(int bh, int rows, int width) {
        if (bh == 0 || rows == 0 || width == 0) {
            return 0;
        }
        return (long) ((bh - 1) / heads) * batchStride + (long) Math.min(heads - 1, bh - 1) * headStride
                + (long) (rows - 1) * rowStride + width;
    }

    @Override
    public String toString() {
        return "AttentionLayout(heads " + heads + ", batchStride " + batchStride + ", headStride " + headStride
                + ", rowStride " + rowStride + ")";
    }
}
