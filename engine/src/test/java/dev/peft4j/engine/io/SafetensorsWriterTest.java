package dev.peft4j.engine.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsWriterTest {

    @TempDir
    Path tmp;

    @Test
    void roundTripIsBitExactAndKeepsOrderAndMetadata() throws Exception {
        float[] special = {0f, -0f, Float.NaN, Float.intBitsToFloat(0x7fc01234), Float.MIN_VALUE,
                Float.MAX_VALUE, Float.NEGATIVE_INFINITY, 1f / 3f};
        float[] big = new float[300_000]; // spans two write chunks
        for (int i = 0; i < big.length; i++) {
            big[i] = (float) Math.sin(i * 0.001) * i;
        }
        List<HostTensor> tensors = List.of(
                new HostTensor("z.special", special, 2, 4),
                new HostTensor("a.big", big, big.length),
                new HostTensor("m.scalar", new float[] {7.5f}),
                new HostTensor("e.empty", new float[0], 0, 5));
        Map<String, String> meta = Map.of("format", "pt");
        Path file = tmp.resolve("sub/dir/adapter_model.safetensors");
        SafetensorsWriter.write(file, tensors, meta);

        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertEquals(List.of("z.special", "a.big", "m.scalar", "e.empty"), reader.names());
            assertEquals(meta, reader.metadata());
            for (HostTensor t : tensors) {
                HostTensor back = reader.read(t.name());
                assertArrayEquals(t.shape(), back.shape(), t.name());
                assertEquals(t.data().length, back.data().length);
                for (int i = 0; i < t.data().length; i++) {
                    assertEquals(Float.floatToRawIntBits(t.data()[i]), Float.floatToRawIntBits(back.data()[i]),
                            t.name() + "[" + i + "]");
                }
            }
        }
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header padded to 8 bytes");
        assertEquals(8 + headerLength + 4L * (8 + big.length + 1), Files.size(file));
        try (Stream<Path> left = Files.list(file.getParent())) {
            assertEquals(List.of(file.getFileName()), left.map(Path::getFileName).toList(), "no temp file left");
        }
    }

    @Test
    void overwritesAnExistingFile() throws Exception {
        Path file = tmp.resolve("w.safetensors");
        SafetensorsWriter.write(file, List.of(new HostTensor("old", new float[] {1, 2}, 2)));
        SafetensorsWriter.write(file, List.of(new HostTensor("new", new float[] {3}, 1)));
        Map<String, HostTensor> all = SafetensorsReader.readAll(file);
        assertEquals(List.of("new"), List.copyOf(all.keySet()));
        assertArrayEquals(new float[] {3}, all.get("new").data());
    }

    @Test
    void rejectsDuplicateAndReservedNamesWithoutTouchingTheTarget() throws Exception {
        Path file = tmp.resolve("dup.safetensors");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(file,
                List.of(new HostTensor("w", new float[1], 1), new HostTensor("w", new float[1], 1))));
        assertTrue(e.getMessage().contains("\"w\"") && e.getMessage().contains(file.toString()), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(file,
                List.of(new HostTensor("__metadata__", new float[1], 1))));
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(0, left.count());
        }
    }

    @Test
    void hostTensorChecksShapeAgainstData() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new HostTensor("w", new float[5], 2, 3));
        assertTrue(e.getMessage().contains("w") && e.getMessage().contains("[2, 3]"), e.getMessage());
    }
}
