#!/usr/bin/env python3
"""PyTorch peer of `peft4j bench train`: the same GPT-2 shapes, modes, seeds-by-construction and AdamW settings.

Plain torch (no transformers, no peft): GPT-2 as Hugging Face's GPT2LMHeadModel computes it (Conv1D
weights [in, out], tanh GELU, causal softmax attention, tied LM head), float32, dropout off.
    forward  eval-mode forward + loss under no_grad
    lora     LoRA r=8, alpha 16 on c_attn and attn.c_proj (A Kaiming-uniform, B zero, as HF PEFT);
             forward + backward + AdamW over the adapter only
    full     forward + backward + AdamW over every parameter
Run with /usr/bin/python3 (Debian's torch):
    /usr/bin/python3 bench/torch_bench.py --config small|gpt2 --mode forward|lora|full [--steps 3] [--warmup 1]
Prints '# ...' comments and the key/value lines that bench/compare-torch.sh reads: ms_per_step (the median
timed step), tokens_per_s (from it) and peak_rss_mib (VmHWM, the figure peft4j reads).
"""
import argparse
import ctypes
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# Must match dev.peft4j.bench.TrainShape and TrainBench.
SHAPES = {
    "gpt2": dict(layers=12, width=768, heads=12, vocab=50257, batch=4, seq=128),
    "small": dict(layers=4, width=256, heads=4, vocab=50257, batch=4, seq=128),
}
N_POSITIONS = 1024
LR, WEIGHT_DECAY = 1e-3, 0.01
LORA_R, LORA_ALPHA = 8, 16
PHASES = [0.0, 0.0, 0.0]  # seconds in forward+loss, backward, optimizer, summed over the timed steps


class Conv1D(nn.Module):
    """HF's Conv1D: y = x @ W + b with W [in, out]."""

    def __init__(self, n_in, n_out, std):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * std)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(*x.shape[:-1], -1)


class LoraConv1D(nn.Module):
    """base(x) + (alpha / r) * x A^T B^T, the base frozen."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        n_in, n_out = base.weight.shape
        self.lora_A = nn.Parameter(torch.empty(r, n_in))
        self.lora_B = nn.Parameter(torch.zeros(n_out, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling


class Attention(nn.Module):
    def __init__(self, d, heads, std, proj_std):
        super().__init__()
        self.heads = heads
        self.c_attn = Conv1D(d, 3 * d, std)
        self.c_proj = Conv1D(d, d, proj_std)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.heads)
        mask = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
        att = att.masked_fill(~mask, torch.finfo(att.dtype).min).softmax(dim=-1)
        return self.c_proj((att @ v).transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, d, heads, std, proj_std):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=1e-5)
        self.attn = Attention(d, heads, std, proj_std)
        self.ln_2 = nn.LayerNorm(d, eps=1e-5)
        self.c_fc = Conv1D(d, 4 * d, std)
        self.mlp_c_proj = Conv1D(4 * d, d, proj_std)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp_c_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt2(nn.Module):
    def __init__(self, layers, width, heads, vocab, **_):
        super().__init__()
        std, proj_std = 0.02, 0.02 / math.sqrt(2 * layers)  # HF _init_weights
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(N_POSITIONS, width)
        nn.init.normal_(self.wte.weight, std=std)
        nn.init.normal_(self.wpe.weight, std=std)
        self.h = nn.ModuleList(Block(width, heads, std, proj_std) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width, eps=1e-5)

    def loss(self, ids):
        b, t = ids.shape
        x = self.wte(ids) + self.wpe(torch.arange(t))
        for block in self.h:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.t()  # tied head
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))


def peak_rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


def prepare(mode, model, ids):
    """One step of `mode` as a function returning the loss value."""
    if mode == "forward":
        model.eval()

        def step():
            t0 = time.perf_counter()
            with torch.no_grad():
                value = model.loss(ids).item()
            PHASES[0] += time.perf_counter() - t0
            return value
        return step
    if mode == "lora":
        for p in model.parameters():
            p.requires_grad_(False)
        for block in model.h:
            block.attn.c_attn = LoraConv1D(block.attn.c_attn, LORA_R, LORA_ALPHA)
            block.attn.c_proj = LoraConv1D(block.attn.c_proj, LORA_R, LORA_ALPHA)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=WEIGHT_DECAY)
    model.train()

    def step():
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model.loss(ids)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        value = loss.item()
        t3 = time.perf_counter()
        for i, dt in enumerate((t1 - t0, t2 - t1, t3 - t2)):
            PHASES[i] += dt
        return value
    return step


def require_openblas(threads):
    """Refuses to time a peer on the reference BLAS: Debian's torch calls libblas.so.3, which is netlib's
    (~6 GFLOP/s here) unless OpenBLAS provides it through alternatives (~160 GFLOP/s on 2 cores)."""
    a, b = torch.randn(512, 768), torch.randn(768, 768)
    a @ b  # loads the BLAS, so the lookup below finds the library torch uses
    try:
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_get_config.restype = ctypes.c_char_p
        blas = lib.openblas_get_config().decode()
    except (OSError, AttributeError):
        blas = None
    t0 = time.perf_counter()
    for _ in range(4):
        a @ b
    gflops = 4 * 2 * 512 * 768 * 768 / (time.perf_counter() - t0) / 1e9
    print("# torch matmul 512x768x768: %.1f GFLOP/s on %d threads; libblas.so.3: %s"
          % (gflops, threads, blas or "not OpenBLAS"))
    if blas is None:
        raise SystemExit("torch_bench.py: libblas.so.3 is not OpenBLAS (PyTorch's matmul runs at %.1f GFLOP/s, the "
                         "reference BLAS's speed). Install it (apt-get install -y libopenblas0-openmp) so the peer "
                         "is the one users have." % gflops)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", choices=sorted(SHAPES), default="small")
    ap.add_argument("--mode", choices=["forward", "lora", "full"], default="lora")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    require_openblas(args.threads)
    torch.manual_seed(args.seed)
    shape = SHAPES[args.config]
    ids = torch.randint(0, shape["vocab"], (shape["batch"], shape["seq"]))
    model = Gpt2(**shape)
    step = prepare(args.mode, model, ids)
    trainable = 0 if args.mode == "forward" else sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    print("# torch_bench: %s %s; mode %s; %d warm-up + %d timed steps; torch %s, %d threads, float32"
          % (args.config, shape, args.mode, args.warmup, args.steps, torch.__version__, torch.get_num_threads()))
    first = None
    for _ in range(args.warmup):
        loss = step()
        first = loss if first is None else first
    times = []
    PHASES[:] = [0.0, 0.0, 0.0]
    for _ in range(args.steps):
        t0 = time.perf_counter()
        last = step()
        times.append(time.perf_counter() - t0)
    first = last if first is None else first
    median = statistics.median(times)  # as peft4j: other work on a shared machine inflates the mean
    print("# trainable %d of %d parameters; loss %.4f -> %.4f" % (trainable, total, first, last))
    print("# mean per step: forward+loss %.1f ms, backward %.1f ms, optimizer %.1f ms"
          % tuple(p * 1e3 / args.steps for p in PHASES))
    print("ms_per_step %.1f" % (median * 1e3))
    print("tokens_per_s %.1f" % (shape["batch"] * shape["seq"] / median))
    print("peak_rss_mib %.1f" % (peak_rss_bytes() / 2 ** 20))


if __name__ == "__main__":
    main()
