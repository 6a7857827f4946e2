package dev.peft4j.engine.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** I32 tensors beside F32 ones: exact round trip above 2^24, the header's dtype, and dtype errors. */
class SafetensorsIntTest {

    @TempDir
    Path tmp;

    @Test
    void intsRoundTripExactlyBesideFloats() throws Exception {
        int[] idx = new int[300_000]; // spans two write chunks; values beyond float32's exact integers
        for (int i = 0; i < idx.length; i++) {
            idx[i] = (1 << 24) + 2 * i + 1;
        }
        int[] extremes = {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 16_777_217};
        Path file = tmp.resolve("a.safetensors");
        SafetensorsWriter.write(file, List.of(new HostTensor("v", new float[] {1.5f, -2f}, 2)),
                List.of(new HostIntTensor("idx", new int[] {idx.length}, idx),
                        new HostIntTensor("ext", new int[] {5}, extremes),
                        new HostIntTensor("none", new int[] {0}, new int[0])),
                Map.of("format", "pt"));
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertEquals(List.of("v", "idx", "ext", "none"), r.names());
            assertEquals(SafetensorsDtype.I32, r.entry("idx").dtype());
            assertEquals(SafetensorsDtype.F32, r.entry("v").dtype());
            assertArrayEquals(idx, r.readInts("idx").data());
            assertArrayEquals(extremes, r.readInts("ext").data());
            assertArrayEquals(new int[] {0}, r.readInts("none").shape());
            assertArrayEquals(new float[] {1.5f, -2f}, r.read("v").data());
            var e = assertThrows(SafetensorsException.class, () -> r.readInts("v"));
            assertTrue(e.getMessage().endsWith("tensor \"v\" has dtype F32 but an integer tensor (I32 or I64) was expected"),
                    e.getMessage());
        }
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"idx\":{\"dtype\":\"I32\",\"shape\":[300000],\"data_offsets\":[8,1200008]}"), header);
        assertEquals(8 + n + 4L * (2 + idx.length + 5), bytes.length);
    }

    @Test
    void namesMustBeUniqueAcrossDtypes() {
        var e = assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(tmp.resolve("b.safetensors"),
                List.of(new HostTensor("x", new float[] {1}, 1)), List.of(new HostIntTensor("x", new int[] {1}, new int[] {1})),
                Map.of()));
        assertTrue(e.getMessage().endsWith("tensor \"x\" is given twice"), e.getMessage());
    }
}
