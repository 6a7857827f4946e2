package dev.peft4j.engine.io;

import dev.peft4j.engine.json.Json;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes float32 (and int32) tensors as a safetensors file. The file appears atomically: bytes go to a temporary
 * file in the target's directory, are forced to disk, then renamed over the target, so a crash never
 * leaves a half-written adapter behind.
 *
 * <p>Like the Rust writer, the JSON header is padded with spaces to a multiple of 8 bytes so the data
 * region starts aligned. Tensors are laid out back to back in the order given.
 */
public final class SafetensorsWriter {

    private static final int CHUNK_FLOATS = 1 << 18; // 1 MiB of float32 per write call

    private SafetensorsWriter() {
    }

    public static void write(Path path, Collection<HostTensor> tensors) throws IOException {
        write(path, tensors, Map.of());
    }

    /** Writes {@code tensors} (F32) and the string {@code metadata} (stored as {@code __metadata__}). */
    public static void write(Path path, Collection<HostTensor> tensors, Map<String, String> metadata)
            throws IOException {
        write(path, tensors, List.of(), metadata);
    }

    /**
     * Writes {@code floats} as F32 and then {@code ints} as I32 (each in the order given; names are unique
     * across both), with the string {@code metadata}.
     */
    public static void write(Path path, Collection<HostTensor> floats, Collection<HostIntTensor> ints,
                             Map<String, String> metadata) throws IOException {
        byte[] header = headerBytes(path, floats, ints, metadata);
        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
                prefix.putLong(header.length).put(header).flip();
                writeFully(out, prefix);
                ByteBuffer chunk = ByteBuffer.allocate(4 * CHUNK_FLOATS).order(ByteOrder.LITTLE_ENDIAN);
                for (HostTensor t : floats) {
                    float[] data = t.data();
                    for (int off = 0; off < data.length; off += CHUNK_FLOATS) {
                        int n = Math.min(CHUNK_FLOATS, data.length - off);
                        chunk.clear();
                        chunk.asFloatBuffer().put(data, off, n);
                        chunk.limit(4 * n);
                        writeFully(out, chunk);
                    }
                }
                for (HostIntTensor t : ints) {
                    int[] data = t.data();
                    for (int off = 0; off < data.length; off += CHUNK_FLOATS) {
                        int n = Math.min(CHUNK_FLOATS, data.length - off);
                        chunk.clear();
                        chunk.asIntBuffer().put(data, off, n);
                        chunk.limit(4 * n);
                        writeFully(out, chunk);
                    }
                }
                out.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** The padded JSON header for {@code tensors}, with offsets assigned back to back. */
    static byte[] headerBytes(Path path, Collection<HostTensor> tensors, Map<String, String> metadata) {
        return headerBytes(path, tensors, List.of(), metadata);
    }

    /** The padded JSON header for F32 {@code floats} then I32 {@code ints}, offsets back to back. */
    static byte[] headerBytes(Path path, Collection<HostTensor> floats, Collection<HostIntTensor> ints,
                              Map<String, String> metadata) {
        Map<String, Object> root = Json.newObject();
        if (metadata != null && !metadata.isEmpty()) {
            root.put(SafetensorsHeader.METADATA_KEY, Json.newObject());
            @SuppressWarnings("unchecked")
            Map<String, Object> meta = (Map<String, Object>) root.get(SafetensorsHeader.METADATA_KEY);
            meta.putAll(metadata);
        }
        Set<String> seen = new HashSet<>();
        long offset = 0;
        for (HostTensor t : floats) {
            offset = entry(path, root, seen, t.name(), SafetensorsDtype.F32, t.shape(), offset, t.data().length);
        }
        for (HostIntTensor t : ints) {
            offset = entry(path, root, seen, t.name(), SafetensorsDtype.I32, t.shape(), offset, t.data().length);
        }
        byte[] json = Json.write(root).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = new byte[padded];
        System.arraycopy(json, 0, header, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            header[i] = ' ';
        }
        return header;
    }

    /** Adds one 4-byte-element tensor's header entry at {@code offset}; returns where the next one starts. */
    private static long entry(Path path, Map<String, Object> root, Set<String> seen, String name,
                              SafetensorsDtype dtype, int[] shape, long offset, int count) {
        if (name.equals(SafetensorsHeader.METADATA_KEY)) {
            throw new IllegalArgumentException(path + ": \"" + SafetensorsHeader.METADATA_KEY
                    + "\" is reserved and cannot name a tensor");
        }
        if (!seen.add(name)) {
            throw new IllegalArgumentException(path + ": tensor \"" + name + "\" is given twice");
        }
        long end = offset + 4L * count;
        Map<String, Object> info = Json.newObject();
        info.put("dtype", dtype.name());
        List<Object> dims = new ArrayList<>();
        for (int d : shape) {
            dims.add((long) d);
        }
        info.put("shape", dims);
        info.put("data_offsets", List.of(offset, end));
        root.put(name, info);
        return end;
    }

    private static void writeFully(FileChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }
}
