package dev.peft4j.models.gpt2;

import dev.peft4j.engine.StepScope;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.Dropout;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.kernels.Unary;

/** GPT-2's MLP: {@code c_fc} (C -> inner), tanh GELU, {@code c_proj} (inner -> C), dropout. */
final class Gpt2Mlp extends Module {

    Gpt2Mlp(Conv1D cFc, Conv1D cProj, float residPdrop, long seed) {
        registerModule("c_fc", cFc);
        registerModule("c_proj", cProj);
        registerModule("dropout", new Dropout(residPdrop, seed));
    }

    @Override
    public Tensor forward(Tensor x) {
        Module fc = child("c_fc", Module.class);
        // A plain c_fc fuses the GELU into its GEMM; an adapter-wrapped one runs its own forward first.
        Tensor h = fc instanceof Conv1D conv ? conv.forward(x, Unary.GELU_TANH) : fc.forward(x).gelu();
        Tensor y = child("c_proj", Module.class).forward(h);
        StepScope.release(h); // the widest activation: only a c_proj that trains reads it again
        return child("dropout", Dropout.class).forwardLast(y);
    }
}
