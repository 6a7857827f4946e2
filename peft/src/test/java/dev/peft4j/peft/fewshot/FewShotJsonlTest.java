package dev.peft4j.peft.fewshot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JSONL loader: the three row kinds, errors naming file and line, and --skip-bad-rows. */
class FewShotJsonlTest {

    @TempDir
    Path dir;

    private Path file(String... lines) throws Exception {
        Path f = dir.resolve("d.jsonl");
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    @Test
    void readsEachKind() throws Exception {
        List<DataRow> c = FewShotJsonl.read(file("{\"text\": \"good\", \"label\": \"pos\"}", "",
                "{\"text\": \"bad\", \"label\": 0}"), false).rows();
        assertEquals(new DataRow.Classification("good", "pos", 1), c.get(0));
        assertEquals(new DataRow.Classification("bad", "0", 3), c.get(1));
        DataRow g = FewShotJsonl.read(file("{\"prompt\": \"Q: 1+1\", \"completion\": \" 2\"}"), false).rows().getFirst();
        assertEquals(new DataRow.Generation("Q: 1+1", " 2", 1), g);
        DataRow.Tokens t = (DataRow.Tokens) FewShotJsonl.read(file("{\"input_ids\": [5, 6, 7], \"labels\": [-100, 6, 7]}"),
                false).rows().getFirst();
        assertArrayEquals(new int[]{5, 6, 7}, t.inputIds());
        assertArrayEquals(new int[]{-100, 6, 7}, t.labels());
    }

    @Test
    void badRowNamesFileAndLine() throws Exception {
        Path f = file("{\"text\": \"a\", \"label\": \"x\"}", "{\"text\": \"b\"}", "{not json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FewShotJsonl.read(f, false));
        assertTrue(e.getMessage().startsWith(f + ":2:"), e.getMessage());
        assertTrue(e.getMessage().contains("label"), e.getMessage());
    }

    @Test
    void mixedKindsAreAnError() throws Exception {
        Path f = file("{\"text\": \"a\", \"label\": \"x\"}", "{\"prompt\": \"p\", \"completion\": \"c\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FewShotJsonl.read(f, false));
        assertTrue(e.getMessage().contains(f + ":2:") && e.getMessage().contains("one kind per file"), e.getMessage());
    }

    @Test
    void skipBadRowsCountsAndDescribes() throws Exception {
        Path f = file("{\"text\": \"a\", \"label\": \"x\"}", "{\"text\": \"\", \"label\": \"x\"}",
                "{\"input_ids\": [1, 2], \"labels\": [1]}", "[1, 2]", "{\"text\": \"b\", \"label\": \"y\"}");
        FewShotJsonl.Loaded l = FewShotJsonl.read(f, true);
        assertEquals(2, l.rows().size());
        assertEquals(3, l.skipped().size());
        assertTrue(l.skipped().get(0).startsWith(f + ":2:"), l.skipped().get(0));
        assertTrue(l.skipped().get(1).startsWith(f + ":3:"), l.skipped().get(1));
        assertTrue(l.skipped().get(2).startsWith(f + ":4:"), l.skipped().get(2));
    }

    @Test
    void allBadIsAnErrorEvenWhenSkipping() throws Exception {
        Path f = file("{\"foo\": 1}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FewShotJsonl.read(f, true));
        assertTrue(e.getMessage().contains("no usable rows") && e.getMessage().contains(":1:"), e.getMessage());
    }
}
