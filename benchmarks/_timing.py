"""Shared timing helper for benchmarks/mlp.py and benchmarks/cnn.py.

One BLAS thread (threadpoolctl). The two sides run in alternating blocks of steps (each block
after its own warm-up), so background load hits both alike while each side keeps its own
steady state of the memory allocator (alternating single steps would let one side reuse the
memory the other just freed). The ratio is median(ours) / median(numpy) over all timed steps.
"""

from __future__ import annotations

import time

import numpy as np


def blas_info() -> str:
    from threadpoolctl import threadpool_info

    return ", ".join(f"{i['internal_api']} {i.get('version')} ({i.get('architecture')})" for i in threadpool_info()
                     if i.get("user_api") == "blas")


def _block(fn, steps: int, warmup: int) -> list:
    for _ in range(warmup):
        fn()
    out = []
    clock = time.perf_counter
    for _ in range(steps):
        t0 = clock()
        fn()
        out.append(clock() - t0)
    return out


def alternating(ours, numpy_step, rounds: int = 10, steps: int = 10, warmup: int = 3):
    """Median seconds per step of each side over ``rounds`` alternating blocks of ``steps`` timed steps."""
    t_ours, t_np = [], []
    for _ in range(rounds):
        t_ours += _block(ours, steps, warmup)
        t_np += _block(numpy_step, steps, warmup)
    return float(np.median(t_ours)), float(np.median(t_np))


def report(name: str, ours, numpy_step, rounds: int = 10, steps: int = 10) -> float:
    """Time both sides with one BLAS thread; print and return the ratio of the medians."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        a, b = alternating(ours, numpy_step, rounds, steps)
        blas = blas_info()
    print(f"{name}: tinygrad_np {a * 1e3:.3f} ms, numpy {b * 1e3:.3f} ms, ratio {a / b:.3f}  "
          f"(median of {rounds * steps} steps per side; BLAS: {blas})")
    return a / b
