package dev.peft4j.engine.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The element types a safetensors header may name, with their width in bytes. All are known so a
 * header's sizes can be validated; {@link #convertible()} says which we can turn into float32.
 */
public enum SafetensorsDtype {
    BOOL(1), U8(1), I8(1), F8_E4M3(1), F8_E5M2(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int bytes;

    SafetensorsDtype(int bytes) {
        this.bytes = bytes;
    }

    /** Width of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** The dtype named {@code name} in a header, or null when the name is not a safetensors dtype. */
    public static SafetensorsDtype parse(String name) {
        for (SafetensorsDtype d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    /** Whether {@link #toFloat32} supports this dtype (8-bit floats do not). */
    public boolean convertible() {
        return this != F8_E4M3 && this != F8_E5M2;
    }

    /**
     * Converts {@code count} little-endian elements starting at byte {@code offset} of {@code src} into
     * {@code dst[dstOff, dstOff + count)}. Integers wider than 24 bits round to the nearest float, as torch's
     * {@code .float()} does.
     */
    void toFloat32(MemorySegment src, long offset, float[] dst, int dstOff, int count) {
        switch (this) {
            case F32 -> MemorySegment.copy(src, FLOAT, offset, dst, dstOff, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = Float.float16ToFloat(src.get(SHORT, offset + 2L * i));
                }
            }
            case BF16 -> {
                // bfloat16 is the high half of a float32: shift the bits into place.
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = Float.intBitsToFloat((src.get(SHORT, offset + 2L * i) & 0xFFFF) << 16);
                }
            }
            case F64 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = (float) src.get(DOUBLE, offset + 8L * i);
                }
            }
            case I64 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = (float) src.get(LONG, offset + 8L * i);
                }
            }
            case U64 -> {
                for (int i = 0; i < count; i++) {
                    long v = src.get(LONG, offset + 8L * i);
                    dst[dstOff + i] = v >= 0 ? (float) v : (float) ((double) (v >>> 1) * 2.0 + (v & 1));
                }
            }
            case I32 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = (float) src.get(INT, offset + 4L * i);
                }
            }
            case U32 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = (float) Integer.toUnsignedLong(src.get(INT, offset + 4L * i));
                }
            }
            case I16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = src.get(SHORT, offset + 2L * i);
                }
            }
            case U16 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = src.get(SHORT, offset + 2L * i) & 0xFFFF;
                }
            }
            case I8 -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = src.get(ValueLayout.JAVA_BYTE, offset + i);
                }
            }
            case U8, BOOL -> {
                for (int i = 0; i < count; i++) {
                    dst[dstOff + i] = src.get(ValueLayout.JAVA_BYTE, offset + i) & 0xFF;
                }
            }
            default -> throw new IllegalStateException("no float32 conversion for dtype " + this);
        }
    }
}
