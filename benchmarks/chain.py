"""Chain of 1,000 (200 x 5) elementwise ops on a (16, 16) tensor, forward + backward, against NumPy by hand."""

from __future__ import annotations

import numpy as np

import tinygrad_np as tg

N_OPS = 1000
SHAPE = (16, 16)


def make_inputs(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(SHAPE).astype(np.float32)


def run_tinygrad(x0):
    x = tg.from_numpy(x0).requires_grad_()
    y = x
    for _ in range(N_OPS // 5):
        y = (y * 1.01 + 0.1).tanh() - 0.05 * y
    y.sum().backward()
    return x.grad.data


def run_numpy(x0):
    # the same chain with forward and backward written by hand
    saved = []
    y = x0
    for _ in range(N_OPS // 5):
        t = np.tanh(y * 1.01 + 0.1)
        saved.append(t)
        y = t - 0.05 * y
    g = np.ones_like(y)
    for t in reversed(saved):
        g = g * (1 - t * t) * 1.01 - 0.05 * g
    return g


def check():
    """Both sides compute the same gradient (float32 rounding apart)."""
    x0 = make_inputs()
    np.testing.assert_allclose(run_tinygrad(x0), run_numpy(x0), rtol=1e-4, atol=1e-5)
