package dev.peft4j.models.gpt2;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Gpt2ConfigTest {

    static Path tinyDir() throws Exception {
        return Path.of(Gpt2ConfigTest.class.getResource("/gpt2-tiny/config.json").toURI()).getParent();
    }

    @Test
    void readsTheFixtureConfig() throws Exception {
        Gpt2Config c = Gpt2Checkpoint.readConfig(tinyDir());
        assertEquals(97, c.vocabSize());
        assertEquals(32, c.nPositions());
        assertEquals(32, c.nEmbd());
        assertEquals(2, c.nLayer());
        assertEquals(4, c.nHead());
        assertEquals(128, c.nInner(), "n_inner null means 4 * n_embd");
        assertEquals(8, c.headDim());
        assertEquals(1e-5f, c.layerNormEpsilon());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(0f, c.residPdrop());
    }

    @Test
    void absentFieldsTakeHfDefaults() {
        Gpt2Config c = Gpt2Config.parse("{\"model_type\":\"gpt2\"}", "config.json");
        assertEquals(50257, c.vocabSize());
        assertEquals(1024, c.nPositions());
        assertEquals(768, c.nEmbd());
        assertEquals(12, c.nLayer());
        assertEquals(3072, c.nInner());
        assertEquals("gelu_new", c.activationFunction());
        assertEquals(0.1f, c.attnPdrop());
    }

    @Test
    void toJsonRoundTrips() {
        Gpt2Config c = new Gpt2Config(101, 16, 24, 3, 3, 40, "gelu_pytorch_tanh", 1e-6f, false, 0.05f, 0f, 0.2f);
        Gpt2Config back = Gpt2Config.parse(c.toJson(), "saved");
        assertEquals(c, back);
        assertTrue(c.toJson().contains("\"layer_norm_epsilon\": 1.0E-6"), c.toJson());
        assertFalse(back.tieWordEmbeddings());
    }

    @Test
    void rejectsOtherModelTypesAndBadValues() {
        IllegalArgumentException llama = assertThrows(IllegalArgumentException.class,
                () -> Gpt2Config.parse("{\"model_type\":\"llama\"}", "x/config.json"));
        assertTrue(llama.getMessage().contains("\"llama\"") && llama.getMessage().contains("x/config.json"),
                llama.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> Gpt2Config.parse("{\"n_embd\":8}", "config.json"));
        assertTrue(none.getMessage().contains("missing"), none.getMessage());
        IllegalArgumentException heads = assertThrows(IllegalArgumentException.class,
                () -> Gpt2Config.parse("{\"model_type\":\"gpt2\",\"n_embd\":30,\"n_head\":4}", "config.json"));
        assertTrue(heads.getMessage().contains("n_head 4"), heads.getMessage());
        IllegalArgumentException act = assertThrows(IllegalArgumentException.class,
                () -> Gpt2Config.parse("{\"model_type\":\"gpt2\",\"activation_function\":\"relu\"}", "config.json"));
        assertTrue(act.getMessage().contains("relu"), act.getMessage());
        assertThrows(RuntimeException.class,
                () -> Gpt2Config.parse("{\"model_type\":\"gpt2\",\"n_layer\":2.5}", "config.json"));
    }
}
