package dev.peft4j.engine.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a safetensors file through one memory mapping ({@code FileChannel.map} into a
 * {@link MemorySegment}, so files beyond 2 GB need no splitting). The header is parsed and validated on
 * {@link #open}; tensor bytes are only touched when asked for, and are converted to float32 then.
 *
 * <p>Layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the data region that
 * {@code data_offsets} index into. Close the reader to unmap the file.
 */
public final class SafetensorsReader implements AutoCloseable {

    /** The Rust reference refuses headers above 100 MB; a larger length means a corrupt file. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final long dataStart;
    private final SafetensorsHeader header;
    private final Map<String, SafetensorsEntry> byName = new HashMap<>();
    private boolean closed;

    private SafetensorsReader(Path path, Arena arena, MemorySegment file, long dataStart, SafetensorsHeader header) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.dataStart = dataStart;
        this.header = header;
        for (SafetensorsEntry e : header.entries()) {
            byName.put(e.name(), e);
        }
    }

    /** Maps {@code path} and validates its header; a malformed file throws {@link SafetensorsException}. */
    public static SafetensorsReader open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            String file = path.toString();
            if (size < 8) {
                throw new SafetensorsException(file + " is truncated: " + size
                        + " bytes, but a safetensors file starts with an 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (lengthBytes.hasRemaining() && channel.read(lengthBytes, lengthBytes.position()) >= 0) {
                // read until the 8 bytes are in
            }
            long headerLength = lengthBytes.getLong(0);
            if (headerLength <= 0 || headerLength > size - 8 || headerLength > MAX_HEADER_BYTES) {
                throw new SafetensorsException(file + ": header length " + Long.toUnsignedString(headerLength)
                        + " does not fit the file (" + size + " bytes, so at most " + (size - 8)
                        + "; limit " + MAX_HEADER_BYTES + "): the file is truncated or not safetensors");
            }
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            String json = decodeHeader(mapped, headerLength, file);
            long dataStart = 8 + headerLength;
            SafetensorsHeader header = SafetensorsHeader.parse(json, file, size - dataStart);
            return new SafetensorsReader(path, arena, mapped, dataStart, header);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Reads every tensor of {@code path} as float32, in file order. */
    public static Map<String, HostTensor> readAll(Path path) throws IOException {
        try (SafetensorsReader reader = open(path)) {
            return reader.readAll();
        }
    }

    private static String decodeHeader(MemorySegment mapped, long length, String file) {
        byte[] bytes = mapped.asSlice(8, length).toArray(ValueLayout.JAVA_BYTE);
        String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file + ": the header is not valid UTF-8 (" + e.getMessage() + ")", e);
        }
        if (!json.startsWith("{")) {
            throw new SafetensorsException(file + ": the header must start with '{' but starts with "
                    + (json.isEmpty() ? "nothing" : "'" + json.charAt(0) + "'") + "; not a safetensors file");
        }
        return json;
    }

    /** The file this reader maps. */
    public Path path() {
        return path;
    }

    /** Tensor names in the order the header lists them. */
    public List<String> names() {
        return header.entries().stream().map(SafetensorsEntry::name).toList();
    }

    /** Header entries in file order. */
    public List<SafetensorsEntry> entries() {
        return header.entries();
    }

    /** The {@code __metadata__} map (empty when absent). */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /** The header entry for {@code name}; a missing name throws naming the file and the tensor. */
    public SafetensorsEntry entry(String name) {
        SafetensorsEntry e = byName.get(name);
        if (e == null) {
            throw new SafetensorsException(path + " has no tensor \"" + name + "\" (it holds " + byName.size()
                    + " tensors" + sample() + ")");
        }
        return e;
    }

    /** Loads one tensor converted to float32. */
    public HostTensor read(String name) {
        SafetensorsEntry e = entry(name);
        float[] data = new float[checkedCount(e)];
        readInto(e, data, 0);
        return new HostTensor(name, e.shape(), data);
    }

    /**
     * Loads one integer tensor exactly: {@code I32} as stored, {@code I64} when every value fits an int
     * (PyTorch's default index dtype). Other dtypes are an error naming the tensor.
     */
    public HostIntTensor readInts(String name) {
        SafetensorsEntry e = entry(name);
        if (closed) {
            throw new SafetensorsException(path + " is closed; cannot read tensor \"" + name + "\"");
        }
        int count = checkedCount(e);
        int[] data = new int[count];
        long at = dataStart + e.begin();
        switch (e.dtype()) {
            case I32 -> MemorySegment.copy(file, INT_LE, at, data, 0, count);
            case I64 -> {
                for (int i = 0; i < count; i++) {
                    long v = file.get(LONG_LE, at + 8L * i);
                    if (v != (int) v) {
                        throw new SafetensorsException(path + ": tensor \"" + name + "\" element " + i + " = " + v
                                + " does not fit int32");
                    }
                    data[i] = (int) v;
                }
            }
            default -> throw new SafetensorsException(path + ": tensor \"" + name + "\" has dtype " + e.dtype()
                    + " but an integer tensor (I32 or I64) was expected");
        }
        return new HostIntTensor(name, e.shape(), data);
    }

    /** Loads one tensor's values into {@code dst[dstOff, dstOff + numel)} without allocating. */
    public void readInto(String name, float[] dst, int dstOff) {
        SafetensorsEntry e = entry(name);
        int count = checkedCount(e);
        if (dstOff < 0 || dstOff + (long) count > dst.length) {
            throw new SafetensorsException(path + ": tensor \"" + name + "\" has " + count
                    + " elements, which do not fit a destination of " + dst.length + " at offset " + dstOff);
        }
        readInto(e, dst, dstOff);
    }

    /** Loads every tensor, in file order. */
    public Map<String, HostTensor> readAll() {
        Map<String, HostTensor> all = new LinkedHashMap<>();
        for (SafetensorsEntry e : header.entries()) {
            all.put(e.name(), read(e.name()));
        }
        return all;
    }

    private void readInto(SafetensorsEntry e, float[] dst, int dstOff) {
        if (closed) {
            throw new SafetensorsException(path + " is closed; cannot read tensor \"" + e.name() + "\"");
        }
        if (!e.dtype().convertible()) {
            throw new SafetensorsException(path + ": tensor \"" + e.name() + "\" has dtype " + e.dtype()
                    + ", which has no float32 conversion here");
        }
        e.dtype().toFloat32(file, dataStart + e.begin(), dst, dstOff, (int) e.numel());
    }

    private int checkedCount(SafetensorsEntry e) {
        long n = e.numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new SafetensorsException(path + ": tensor \"" + e.name() + "\" " + Arrays.toString(e.shape())
                    + " has " + n + " elements, too many for one float array");
        }
        return (int) n;
    }

    private String sample() {
        List<String> names = names();
        if (names.isEmpty()) {
            return "";
        }
        return ", e.g. " + names.subList(0, Math.min(5, names.size())) + (names.size() > 5 ? " ..." : "");
    }

    /** Unmaps the file; later reads throw. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
