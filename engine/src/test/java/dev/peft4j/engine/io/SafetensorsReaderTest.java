package dev.peft4j.engine.io;

import dev.peft4j.engine.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reads files written by tools/fixtures/make_safetensors.py (an independent Python encoder). */
class SafetensorsReaderTest {

    @TempDir
    Path tmp;

    static Path fixture(String name) throws URISyntaxException {
        return Path.of(SafetensorsReaderTest.class.getResource("/safetensors/" + name).toURI());
    }

    @Test
    void readsEveryDtypeAsPyTorchConvertsIt() throws Exception {
        Map<String, Object> expected = Json.object(Json.parse(
                Files.readString(fixture("mixed_dtypes.expected.json")), "expected"), "expected");
        Map<String, Object> tensors = Json.object(expected.get("tensors"), "tensors");
        try (SafetensorsReader reader = SafetensorsReader.open(fixture("mixed_dtypes.safetensors"))) {
            assertEquals(expected.get("order"), reader.names(), "names in file order");
            assertEquals(expected.get("metadata"), reader.metadata());
            for (String name : reader.names()) {
                Map<String, Object> want = Json.object(tensors.get(name), name);
                SafetensorsEntry entry = reader.entry(name);
                assertEquals(want.get("dtype"), entry.dtype().name(), name);
                int[] shape = Json.array(want.get("shape"), name).stream().mapToInt(o -> (int) (long) (Long) o).toArray();
                HostTensor t = reader.read(name);
                assertEquals(name, t.name());
                assertArrayEquals(shape, t.shape(), name);
                List<Object> values = Json.array(want.get("values"), name);
                assertEquals(values.size(), t.data().length, name);
                for (int i = 0; i < values.size(); i++) {
                    float w = (float) Json.number(values.get(i), name);
                    // bit-exact: also tells -0.0 from 0.0 and checks the f16 subnormal
                    assertEquals(Float.floatToRawIntBits(w), Float.floatToRawIntBits(t.data()[i]),
                            name + "[" + i + "]: expected " + w + " got " + t.data()[i]);
                }
            }
        }
    }

    @Test
    void readIntoPlacesValuesAtTheOffset() throws Exception {
        try (SafetensorsReader reader = SafetensorsReader.open(fixture("mixed_dtypes.safetensors"))) {
            float[] dst = new float[9];
            Arrays.fill(dst, 42f);
            reader.readInto("a.half_f16", dst, 2);
            assertEquals(42f, dst[1]);
            assertEquals(0.5f, dst[2]);
            assertEquals(-1.25f, dst[3]);
            assertEquals(65504f, dst[4]);
            assertEquals(42f, dst[8]);
            SafetensorsException e = assertThrows(SafetensorsException.class,
                    () -> reader.readInto("a.half_f16", new float[6], 1));
            assertTrue(e.getMessage().contains("a.half_f16"), e.getMessage());
        }
    }

    @Test
    void missingTensorNamesFileAndTensor() throws Exception {
        Path file = fixture("mixed_dtypes.safetensors");
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertFalse(reader.contains("lm_head.weight"));
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> reader.read("lm_head.weight"));
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("\"lm_head.weight\""), e.getMessage());
        }
    }

    @Test
    void readAfterCloseFailsClearly() throws Exception {
        SafetensorsReader reader = SafetensorsReader.open(fixture("mixed_dtypes.safetensors"));
        reader.close();
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> reader.read("s.scalar"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void truncatedDataNamesFileAndTensor() throws Exception {
        byte[] good = Files.readAllBytes(fixture("mixed_dtypes.safetensors"));
        Path cut = tmp.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(good, good.length - 10));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(cut));
        assertTrue(e.getMessage().contains(cut.toString()), e.getMessage());
        // the last 10 bytes held s.scalar (4) and the tail of i.mask_i32
        assertTrue(e.getMessage().contains("\"i.mask_i32\"") || e.getMessage().contains("\"s.scalar\""), e.getMessage());
        assertTrue(e.getMessage().contains("past the end"), e.getMessage());

        Path stub = tmp.resolve("stub.safetensors");
        Files.write(stub, new byte[] {1, 2, 3});
        e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(stub));
        assertTrue(e.getMessage().contains(stub.toString()) && e.getMessage().contains("truncated"), e.getMessage());

        Path headerCut = tmp.resolve("header_cut.safetensors");
        Files.write(headerCut, Arrays.copyOf(good, 40));
        e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(headerCut));
        assertTrue(e.getMessage().contains("header length"), e.getMessage());
    }

    @Test
    void corruptHeaderLengthIsRejected() throws Exception {
        byte[] bytes = Files.readAllBytes(fixture("mixed_dtypes.safetensors"));
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        Path bad = tmp.resolve("huge_header.safetensors");
        Files.write(bad, bytes);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(bad));
        assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains("header length 1099511627776"),
                e.getMessage());

        // a length that lands inside the JSON leaves a malformed header
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 100);
        Files.write(bad, bytes);
        e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(bad));
        assertTrue(e.getMessage().contains("malformed JSON header") && e.getMessage().contains("offset"), e.getMessage());
    }

    @Test
    void offsetsPastTheEndNameTheTensor() throws Exception {
        Path bad = craft("past_end", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 16);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(bad));
        assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains("tensor \"w\"")
                && e.getMessage().contains("[8, 24]") && e.getMessage().contains("16 bytes"), e.getMessage());
    }

    @Test
    void unknownDtypeNamesTensorAndDtype() throws Exception {
        Path bad = craft("f8e9", "{\"w\":{\"dtype\":\"F8_E9\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(bad));
        assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains("tensor \"w\"")
                && e.getMessage().contains("unknown dtype \"F8_E9\""), e.getMessage());
    }

    @Test
    void sizeMismatchOverlapAndBadShapeAreRejected() throws Exception {
        Path size = craft("size", "{\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", 24);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(size));
        assertTrue(e.getMessage().contains("needs 12 bytes") && e.getMessage().contains("span 24"), e.getMessage());

        Path overlap = craft("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(overlap));
        assertTrue(e.getMessage().contains("\"a\"") && e.getMessage().contains("\"b\"")
                && e.getMessage().contains("overlap"), e.getMessage());

        Path negative = craft("negative", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0);
        e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(negative));
        assertTrue(e.getMessage().contains("tensor \"a\"") && e.getMessage().contains("dimension 0"), e.getMessage());

        Path noOffsets = craft("no_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4);
        e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(noOffsets));
        assertTrue(e.getMessage().contains("tensor \"a\"") && e.getMessage().contains("data_offsets"), e.getMessage());

        Path notObject = craft("array_header", "[1,2]", 0);
        e = assertThrows(SafetensorsException.class, () -> SafetensorsReader.open(notObject));
        assertTrue(e.getMessage().contains("start with '{'"), e.getMessage());
    }

    @Test
    void eightBitFloatsValidateButDoNotConvert() throws Exception {
        Path f8 = craft("f8", "{\"q\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4);
        try (SafetensorsReader reader = SafetensorsReader.open(f8)) {
            assertEquals(SafetensorsDtype.F8_E4M3, reader.entry("q").dtype());
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> reader.read("q"));
            assertTrue(e.getMessage().contains("\"q\"") && e.getMessage().contains("F8_E4M3"), e.getMessage());
        }
    }

    @Test
    void readsTensorsBeyondTheTwoGigabyteMark() throws Exception {
        // A sparse file: the data region has a hole of 2^31 bytes, then one F32 tensor. One int-indexed
        // ByteBuffer mapping could not reach it; the MemorySegment mapping can.
        long far = 1L << 31;
        String json = "{\"far\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + far + "," + (far + 16) + "]}}";
        Path file = craft("sparse", json, 0);
        long dataStart = Files.size(file);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.WRITE)) {
            ByteBuffer values = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            values.putFloat(1.5f).putFloat(-2f).putFloat(3.25f).putFloat(1e-3f).flip();
            ch.write(values, dataStart + far);
        }
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 1e-3f}, reader.read("far").data(), 0f);
        } finally {
            Files.delete(file);
        }
    }

    /** A file with the given header JSON (padded as the Rust writer does) and dataBytes of data. */
    private Path craft(String name, String headerJson, int dataBytes) throws IOException {
        byte[] json = headerJson.getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer buf = ByteBuffer.allocate(8 + padded + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(padded).put(json);
        while (buf.position() < 8 + padded) {
            buf.put((byte) ' ');
        }
        Path file = tmp.resolve(name + ".safetensors");
        Files.write(file, buf.array());
        return file;
    }
}
