package dev.peft4j.peft.core;

import dev.peft4j.engine.nn.Module;
import dev.peft4j.models.gpt2.Gpt2Model;

/**
 * How a model's module paths are spelled in Hugging Face: adapters name modules as the HF model class
 * does (GPT2LMHeadModel keeps the blocks under {@code transformer.} and the head at the top), so a saved
 * adapter loads in Python PEFT. Also the model family's default targets and output head.
 */
public interface ModelLayout {

    /** The HF module path of our module {@code path} ("" stays ""). */
    String hfPath(String path);

    /** {@code target_modules} when a config leaves it null, or null when the family has no default. */
    TargetModules defaultTargets();

    /** The output head's path, which {@code all-linear} leaves out (null when there is none). */
    String outputHead();

    /** Identity names and no default targets: any plain module tree. */
    ModelLayout PLAIN = new ModelLayout() {
        public String hfPath(String path) {
            return path;
        }

        public TargetModules defaultTargets() {
            return null;
        }

        public String outputHead() {
            return null;
        }
    };

    /** GPT2LMHeadModel: {@code transformer.h.0...}, {@code lm_head}; HF's default target {@code c_attn}. */
    ModelLayout GPT2 = new ModelLayout() {
        public String hfPath(String path) {
            if (path.isEmpty() || path.equals("lm_head") || path.startsWith("lm_head.")) {
                return path;
            }
            return "transformer." + path;
        }

        public TargetModules defaultTargets() {
            return TargetModules.names("c_attn");
        }

        public String outputHead() {
            return "lm_head";
        }
    };

    static ModelLayout of(Module model) {
        return model instanceof Gpt2Model ? GPT2 : PLAIN;
    }
}
