#!/usr/bin/env python3
"""numpy/OpenBLAS SGEMM GFLOP/s at the GPT-2 124M training-step shapes, the peer of GemmBench.

Run with /usr/bin/python3 (Debian numpy, BLAS = libblas.so.3 -> OpenBLAS via alternatives):
    /usr/bin/python3 tools/bench/numpy_gemm.py [--threads 1,2] [--reps 5] [--shapes 768x2304,...]
Prints 'shape variant threads GFLOP/s' rows like GemmBench. Each thread count runs in a child process
because OpenBLAS reads OPENBLAS_NUM_THREADS / OMP_NUM_THREADS when it loads.
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, if set on this machine, slow a current OpenBLAS: pass --native to
drop both for the measurement (the kernel OpenBLAS then picks is printed).
"""
import argparse
import ctypes
import ctypes.util
import os
import statistics
import subprocess
import sys
import time

TOKENS = 512
SHAPES = [(768, 2304), (768, 768), (768, 3072), (3072, 768), (768, 50257)]
VARIANTS = ["fwd", "dX", "dW"]


def openblas_info():
    """Core name and config of the OpenBLAS that numpy's libblas.so.3 resolves to, if it is OpenBLAS."""
    import numpy  # noqa: F401  (loads the BLAS first, so the lookup below finds the same library)
    for name in ("libblas.so.3", ctypes.util.find_library("openblas") or ""):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return "%s (%s)" % (lib.openblas_get_corename().decode(), lib.openblas_get_config().decode())
        except (OSError, AttributeError):
            continue
    return "not OpenBLAS"


def operands(np, k, n, variant, rng):
    """(A, B) for one training-step GEMM of a Linear with weight W[n, k] on X[512, k]; returns (fn, flops)."""
    x = rng.standard_normal((TOKENS, k), dtype=np.float32)
    w = rng.standard_normal((n, k), dtype=np.float32)
    dy = rng.standard_normal((TOKENS, n), dtype=np.float32)
    flops = 2.0 * TOKENS * n * k
    if variant == "fwd":      # Y = X · Wᵀ
        out = np.empty((TOKENS, n), dtype=np.float32)
        return (lambda: np.matmul(x, w.T, out=out)), flops
    if variant == "dX":       # dX = dY · W
        out = np.empty((TOKENS, k), dtype=np.float32)
        return (lambda: np.matmul(dy, w, out=out)), flops
    out = np.empty((n, k), dtype=np.float32)   # dW = dYᵀ · X
    return (lambda: np.matmul(dy.T, x, out=out)), flops


def child(args):
    import numpy as np
    rng = np.random.default_rng(0)
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "?")
    for k, n in args.shapes:
        for variant in VARIANTS:
            fn, flops = operands(np, k, n, variant, rng)
            for _ in range(args.warmup):
                fn()
            times = []
            for _ in range(args.reps):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            gf = flops / statistics.median(times) / 1e9
            print("%-14s %-4s %7s %9.1f" % ("%dx%dx%d" % (TOKENS, k, n), variant, threads, gf), flush=True)


def parse_shapes(text):
    return [tuple(int(v) for v in s.split("x")) for s in text.split(",")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--shapes", type=parse_shapes, default=SHAPES, help="KxN list, e.g. 768x2304,3072x768")
    ap.add_argument("--native", action="store_true", help="unset OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    print("# numpy %s, BLAS: %s" % (__import__("numpy").__version__, openblas_info()))
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print("# %s=%s%s" % (var, os.environ[var], " (unset for the run: --native)" if args.native else ""))
    print("%-14s %-4s %7s %9s" % ("shape(MxKxN)", "var", "threads", "GFLOP/s"))
    shapes = ",".join("%dx%d" % s for s in args.shapes)
    for t in args.threads.split(","):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=t, OMP_NUM_THREADS=t)
        if args.native:
            env.pop("OPENBLAS_CORETYPE", None)
            env.pop("OPENBLAS_L2_SIZE", None)
        subprocess.run([sys.executable, __file__, "--child", "--reps", str(args.reps), "--warmup",
                        str(args.warmup), "--shapes", shapes], env=env, check=True)


if __name__ == "__main__":
    main()
