"""One SGD step of a 784-256-128-10 ReLU MLP with cross-entropy, batch 128, float32,
in tinygrad_np (nn.Sequential + F.cross_entropy + backward) against the same step in NumPy by hand.

Both sides start from the same parameters and do exactly the same math, so their updated
parameters agree (see ``check``). Run this file to time it:
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.mlp``.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np import optim

SIZES = (784, 256, 128, 10)
BATCH = 128
LR = 0.01


def make_inputs(seed=0):
    """A batch (x, y), a tinygrad_np model and the NumPy copy of its parameters [W1, b1, W2, b2, W3, b3]."""
    tg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    model = nn.Sequential(
        nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(),
        nn.Linear(SIZES[1], SIZES[2]), nn.ReLU(),
        nn.Linear(SIZES[2], SIZES[3]),
    )
    return SimpleNamespace(x=x, y=y, model=model, opt=optim.SGD(model.parameters(), lr=LR),
                           params=[p.data.copy() for p in model.parameters()])


def run_tinygrad(inputs):
    """One training step with the ordinary API (also the CNN's step)."""
    inputs.opt.zero_grad()
    loss = F.cross_entropy(inputs.model(tg.from_numpy(inputs.x)), inputs.y)
    loss.backward()
    inputs.opt.step()
    return loss.data


def softmax_cross_entropy(z, y):
    """Mean cross-entropy of logits ``z`` (N, C) against classes ``y`` and its gradient, by hand."""
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = (np.log(s[:, 0]) - shifted[rows, y]).sum() / n
    dz = e / s
    dz[rows, y] -= 1
    dz /= n
    return loss, dz


def run_numpy(inputs):
    x, y, params = inputs.x, inputs.y, inputs.params
    w1, b1, w2, b2, w3, b3 = params
    # forward
    h1 = x @ w1.T + b1
    a1 = np.maximum(h1, 0)
    h2 = a1 @ w2.T + b2
    a2 = np.maximum(h2, 0)
    z = a2 @ w3.T + b3
    loss, dz = softmax_cross_entropy(z, y)
    # backward
    dw3, db3 = dz.T @ a2, dz.sum(0)
    da2 = dz @ w3
    dh2 = da2 * (h2 > 0)
    dw2, db2 = dh2.T @ a1, dh2.sum(0)
    da1 = dh2 @ w2
    dh1 = da1 * (h1 > 0)
    dw1, db1 = dh1.T @ x, dh1.sum(0)
    # SGD
    for p, g in zip(params, (dw1, db1, dw2, db2, dw3, db3)):
        p -= LR * g
    return loss


def check(steps=3, make_inputs=make_inputs, run_numpy=run_numpy):
    """Both sides give the same losses and parameters (float32 rounding aside)."""
    inputs = make_inputs()
    for _ in range(steps):
        a, b = run_tinygrad(inputs), run_numpy(inputs)
        assert np.allclose(a, b, rtol=1e-5, atol=1e-6), (a, b)
    for p, q in zip(inputs.model.parameters(), inputs.params):
        assert np.allclose(p.data, q, rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------------- timing (also used by cnn.py)
# One BLAS thread (threadpoolctl). The two sides run in alternating blocks of steps, each block after
# its own warm-up, so background load hits both alike while each side keeps its own steady state of
# the memory allocator (alternating single steps would let one side reuse memory the other just freed).
# The ratio is median(ours) / median(numpy) over all timed steps.
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


def main():
    check()
    inputs = make_inputs()
    report("mlp 784-256-128-10, batch 128", lambda: run_tinygrad(inputs), lambda: run_numpy(inputs))


if __name__ == "__main__":
    main()
