#!/usr/bin/python3
"""Golden fixtures for peft4j's GPT-2: a tiny GPT-2 in plain PyTorch (no transformers), written in HF layout.

    /usr/bin/python3 tools/golden/make_gpt2_golden.py [out_dir]   (default models/src/test/resources/gpt2-tiny)

Writes
  config.json         HF GPT2Config field names, model_type "gpt2"
  model.safetensors   HF GPT2Model keys (wte, wpe, h.N.ln_1, h.N.attn.c_attn [in,out] Conv1D, ..., ln_f), F32
  golden.safetensors  input_ids / labels (I64 [B,T]), logits [B,T,V], loss [1], grad.<param> for every parameter
                      (wte's includes the tied LM head), adamw_losses [10]: the loss at step i, computed with
                      the parameters after i AdamW updates (so adamw_losses[0] == loss).

All reference arithmetic runs in float64 on the float32-rounded weights, so the fixture is the exact
answer for the stored weights and any difference in Java is Java's own float32 rounding.
"""
import json
import math
import os
import struct
import sys

import torch

CONFIG = dict(
    model_type="gpt2",
    architectures=["GPT2LMHeadModel"],
    vocab_size=97,  # odd on purpose: no kernel may assume a multiple of the vector width
    n_positions=32,
    n_embd=32,
    n_layer=2,
    n_head=4,
    n_inner=None,
    activation_function="gelu_new",
    resid_pdrop=0.0,
    embd_pdrop=0.0,
    attn_pdrop=0.0,
    layer_norm_epsilon=1e-5,
    initializer_range=0.02,
    tie_word_embeddings=True,
    bos_token_id=96,
    eos_token_id=96,
)
B, T = 2, 12
STEPS = 10
LR, BETAS, EPS, WD = 1e-3, (0.9, 0.999), 1e-8, 0.01


def make_params(cfg, gen):
    """HF GPT2Model parameter names and shapes; Conv1D weights are [in, out]."""
    C, V, P = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"]
    inner = cfg["n_inner"] or 4 * C

    def normal(*shape, std):
        return torch.randn(*shape, generator=gen, dtype=torch.float32) * std

    p = {"wte.weight": normal(V, C, std=0.3), "wpe.weight": normal(P, C, std=0.1)}
    for i in range(cfg["n_layer"]):
        h = f"h.{i}."
        for ln in ("ln_1", "ln_2"):
            # Non-unit gains and nonzero biases so a LayerNorm that ignores them fails the test.
            p[h + ln + ".weight"] = 1.0 + normal(C, std=0.2)
            p[h + ln + ".bias"] = normal(C, std=0.1)
        p[h + "attn.c_attn.weight"] = normal(C, 3 * C, std=0.25)
        p[h + "attn.c_attn.bias"] = normal(3 * C, std=0.1)
        p[h + "attn.c_proj.weight"] = normal(C, C, std=0.15)
        p[h + "attn.c_proj.bias"] = normal(C, std=0.05)
        p[h + "mlp.c_fc.weight"] = normal(C, inner, std=0.25)
        p[h + "mlp.c_fc.bias"] = normal(inner, std=0.1)
        p[h + "mlp.c_proj.weight"] = normal(inner, C, std=0.1)
        p[h + "mlp.c_proj.bias"] = normal(C, std=0.05)
    p["ln_f.weight"] = 1.0 + normal(C, std=0.2)
    p["ln_f.bias"] = normal(C, std=0.1)
    return p


def gelu_new(x):
    # HF "gelu_new" = the tanh approximation (as in the original GPT-2).
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdim=True)
    var = (x - mean).pow(2).mean(-1, keepdim=True)  # biased variance, as torch.nn.LayerNorm
    return (x - mean) / torch.sqrt(var + eps) * w + b


def forward(p, cfg, ids):
    """Logits [B, T, V] of GPT2LMHeadModel with the LM head tied to wte."""
    Bn, Tn = ids.shape
    C, H, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    D = C // H
    x = p["wte.weight"][ids] + p["wpe.weight"][torch.arange(Tn)]
    causal = torch.tril(torch.ones(Tn, Tn, dtype=torch.bool))
    for i in range(cfg["n_layer"]):
        h = f"h.{i}."
        a = layer_norm(x, p[h + "ln_1.weight"], p[h + "ln_1.bias"], eps)
        qkv = a @ p[h + "attn.c_attn.weight"] + p[h + "attn.c_attn.bias"]
        q, k, v = qkv.split(C, dim=-1)
        q, k, v = (t.view(Bn, Tn, H, D).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(D)
        att = att.masked_fill(~causal, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(Bn, Tn, C)
        x = x + y @ p[h + "attn.c_proj.weight"] + p[h + "attn.c_proj.bias"]
        m = layer_norm(x, p[h + "ln_2.weight"], p[h + "ln_2.bias"], eps)
        m = gelu_new(m @ p[h + "mlp.c_fc.weight"] + p[h + "mlp.c_fc.bias"])
        x = x + m @ p[h + "mlp.c_proj.weight"] + p[h + "mlp.c_proj.bias"]
    x = layer_norm(x, p["ln_f.weight"], p["ln_f.bias"], eps)
    return x @ p["wte.weight"].T


def causal_lm_loss(logits, labels):
    """HF convention: position t predicts labels[t+1]; label -100 is ignored; mean over counted tokens."""
    V = logits.shape[-1]
    return torch.nn.functional.cross_entropy(
        logits[:, :-1, :].reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100)


DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def write_safetensors(path, tensors):
    """The safetensors format by hand (torch 1.13 has no package): u64 LE header length, JSON header, data."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # data starts 8-byte aligned, as the reference writer pads
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "models/src/test/resources/gpt2-tiny"
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(1234)
    cfg = CONFIG
    params32 = make_params(cfg, gen)
    ids = torch.randint(0, cfg["vocab_size"], (B, T), generator=gen, dtype=torch.int64)
    labels = ids.clone()
    labels[0, 4] = -100
    labels[1, 7] = -100

    params = {k: v.double().requires_grad_(True) for k, v in params32.items()}
    logits = forward(params, cfg, ids)
    loss = causal_lm_loss(logits, labels)
    loss.backward()
    golden = {"input_ids": ids, "labels": labels, "logits": logits.float(), "loss": loss.detach().float().reshape(1)}
    for name, t in params.items():
        golden["grad." + name] = t.grad.float()

    # The AdamW trajectory, from the same float32 starting weights, every parameter decayed (torch's default).
    opt = torch.optim.AdamW(params.values(), lr=LR, betas=BETAS, eps=EPS, weight_decay=WD)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        step_loss = causal_lm_loss(forward(params, cfg, ids), labels)
        losses.append(step_loss.item())
        step_loss.backward()
        opt.step()
    golden["adamw_losses"] = torch.tensor(losses, dtype=torch.float64)

    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(out, "model.safetensors"), params32)
    write_safetensors(os.path.join(out, "golden.safetensors"), golden)
    print(f"loss {loss.item():.6f}  adamw {losses[0]:.6f} -> {losses[-1]:.6f}  "
          f"|logits|max {logits.abs().max().item():.3f}  params {sum(v.numel() for v in params32.values())}")


if __name__ == "__main__":
    main()
