/**
 * Sparse fine-tuning: a trainable delta on chosen entries of frozen linear weights,
 * {@code W + scatter(indices, values)}, HF-PEFT-style injection with our own {@code peft_type} "SPARSE".
 *
 * <h2>Saved format</h2>
 * {@code adapter_config.json}: {@code peft_type: "SPARSE"}, {@code density}, {@code selection},
 * {@code random_seed}, {@code lift_rank}, {@code target_modules}, {@code fan_in_fan_out} and the other common
 * fields. {@code adapter_model.safetensors}, per target: {@code base_model.model.<path>.sparse_indices}
 * (I32 [nnz]: strictly ascending flat positions {@code o·in + i} in the weight viewed [out, in], whatever its
 * storage; for a Conv1D stored [in, out] the entry sits at {@code i·out + o}) and
 * {@code base_model.model.<path>.sparse_values} (F32 [nnz], the deltas in the same order). The indices are
 * data: loading takes them from the file and never re-selects.
 *
 * <h2>Selections ({@code --sparse-select})</h2>
 * random (SHiRA), magnitude (Supertuning), small-magnitude (SaRA), lift (LIFT's principal weights of the
 * rank-r approximation), hft (HFT: whole random output rows), sct (SCT: whole input columns of the most
 * active channels), gradient (SAFT: global top-k of |Σ ∂L/∂W|) and fisher (FISH mask: global top-k of
 * Σ (∂L/∂W)²). The data-dependent ones run over a {@link dev.peft4j.peft.sparse.SelectionData}.
 *
 * <h2>Cost</h2>
 * The forward scatters the values into a scratch copy of W and runs the layer's one GEMM; the values'
 * gradient is a sampled GEMM at the indices (cost ∝ nnz·rows), never a dense dW
 * ({@link dev.peft4j.engine.SparseDeltaOp}).
 */
package dev.peft4j.peft.sparse;
