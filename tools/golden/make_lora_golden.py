#!/usr/bin/python3
"""Golden fixtures for peft4j's LoRA: the tiny GPT-2 of make_gpt2_golden.py with LoRA on c_attn, in plain PyTorch.

    /usr/bin/python3 tools/golden/make_lora_golden.py [out_dir]   (default peft/src/test/resources/lora-golden)

The base model is rebuilt from make_gpt2_golden.make_params with its seed and checked against the committed
models/src/test/resources/gpt2-tiny/model.safetensors, so both fixtures describe the same weights.

Writes
  adapter/adapter_config.json        HF PEFT LoraConfig (r=4, lora_alpha=8, target c_attn, fan_in_fan_out)
  adapter/adapter_model.safetensors  base_model.model.transformer.h.N.attn.c_attn.lora_A.weight [r, in] and
                                     lora_B.weight [out, r], both nonzero
  golden.safetensors                 input_ids / labels (I64), loss [1] of the adapted model,
                                     grad.<key> for every lora_A/lora_B, merged.h.N.attn.c_attn.weight (Conv1D
                                     layout [in, out]: W + s (B A)^T), sgd.<key> after one SGD step (lr SGD_LR),
                                     adamw.<key> after one AdamW step (lr, betas, eps, weight decay below)

LoRA's forward x W + b + s (x A^T) B^T equals x (W + s (B A)^T) + b; the reference uses the second form so
the torch GPT-2 definition is reused unchanged. Arithmetic is float64 on float32-rounded values.
"""
import json
import math
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_gpt2_golden as g  # noqa: E402

R, ALPHA = 4, 8
SCALING = ALPHA / R
B, T = 2, 10
SGD_LR = 0.1
ADAMW_LR, BETAS, EPS, WD = 1e-2, (0.9, 0.999), 1e-8, 0.01
PREFIX = "base_model.model.transformer."


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        begin, end = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(info["shape"])
    return out


def lora_keys(i):
    base = f"{PREFIX}h.{i}.attn.c_attn."
    return base + "lora_A.weight", base + "lora_B.weight"


def adapted_params(base, lora, cfg):
    p = dict(base)
    for i in range(cfg["n_layer"]):
        ka, kb = lora_keys(i)
        w = f"h.{i}.attn.c_attn.weight"
        p[w] = base[w] + SCALING * (lora[kb] @ lora[ka]).T  # Conv1D stores [in, out]
    return p


def loss_of(base, lora, cfg, ids, labels):
    return g.causal_lm_loss(g.forward(adapted_params(base, lora, cfg), cfg, ids), labels)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "peft/src/test/resources/lora-golden"
    os.makedirs(os.path.join(out, "adapter"), exist_ok=True)
    cfg = g.CONFIG
    params32 = g.make_params(cfg, torch.Generator().manual_seed(1234))
    committed = read_safetensors("models/src/test/resources/gpt2-tiny/model.safetensors")
    assert committed.keys() == params32.keys() and all(torch.equal(committed[k], params32[k]) for k in committed), \
        "make_params no longer reproduces the committed tiny GPT-2"

    gen = torch.Generator().manual_seed(4321)
    C = cfg["n_embd"]
    lora32 = {}
    for i in range(cfg["n_layer"]):
        ka, kb = lora_keys(i)
        lora32[ka] = torch.randn(R, C, generator=gen) * 0.2
        lora32[kb] = torch.randn(3 * C, R, generator=gen) * 0.2
    ids = torch.randint(0, cfg["vocab_size"], (B, T), generator=gen, dtype=torch.int64)
    labels = ids.clone()
    labels[1, 3] = -100

    base = {k: v.double() for k, v in params32.items()}
    lora = {k: v.double().requires_grad_(True) for k, v in lora32.items()}
    loss = loss_of(base, lora, cfg, ids, labels)
    loss.backward()
    golden = {"input_ids": ids, "labels": labels, "loss": loss.detach().float().reshape(1)}
    for k, v in lora.items():
        golden["grad." + k] = v.grad.float()
        golden["sgd." + k] = (v - SGD_LR * v.grad).detach().float()
    with torch.no_grad():
        merged = adapted_params(base, lora, cfg)
        for i in range(cfg["n_layer"]):
            w = f"h.{i}.attn.c_attn.weight"
            golden["merged." + w] = merged[w].float()

    opt = torch.optim.AdamW(lora.values(), lr=ADAMW_LR, betas=BETAS, eps=EPS, weight_decay=WD)
    opt.step()  # the gradients from the backward above
    for k, v in lora.items():
        golden["adamw." + k] = v.detach().float()

    config = {
        "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": "gpt2-tiny",
        "r": R, "lora_alpha": ALPHA, "lora_dropout": 0.0, "target_modules": ["c_attn"], "fan_in_fan_out": True,
        "bias": "none", "use_rslora": False, "use_dora": False, "modules_to_save": None, "init_lora_weights": True,
        "inference_mode": True,
    }
    with open(os.path.join(out, "adapter", "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    g.write_safetensors(os.path.join(out, "adapter", "adapter_model.safetensors"), lora32)
    g.write_safetensors(os.path.join(out, "golden.safetensors"), golden)
    print(f"loss {loss.item():.6f}  |grad|max "
          f"{max(v.grad.abs().max().item() for v in lora.values()):.4f}")


if __name__ == "__main__":
    main()
