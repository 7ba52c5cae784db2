"""A chain of 1,000 elementwise ops on a (16, 16) tensor, forward + backward, against NumPy by hand.

One link is ``sin(tanh(y * w) * 1.5)`` (4 ops: a product with a constant weight tensor, two
activations and a scalar scale), repeated 250 times. With this mix the hand-written NumPy takes
about 1.4 ms on the project's machines, PyTorch about 6 ms and MyGrad about 17 ms, the reference
figures the benchmark's issue gives (1.5, 6.4 and 16 ms). Every library in the suite runs the
same ``link`` (see ``benchmarks/others.py``).
"""

from __future__ import annotations

import numpy as np

import tinygrad_np as tg

N_OPS = 1000
OPS_PER_LINK = 4
SHAPE = (16, 16)


def make_inputs(seed=0):
    """The start value x0 and the constant weight w0 (entries in [0.75, 1.25): the chain stays bounded)."""
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal(SHAPE).astype(np.float32)
    w0 = (0.75 + 0.5 * rng.random(SHAPE)).astype(np.float32)
    return x0, w0


def link(y, w, tanh, sin):
    """One link of the chain, written once for every library (they pass their own tanh and sin)."""
    return sin(tanh(y * w) * 1.5)


def run_tinygrad(inputs):
    x0, w0 = inputs
    x = tg.from_numpy(x0).requires_grad_()
    w = tg.from_numpy(w0)
    y = x
    for _ in range(N_OPS // OPS_PER_LINK):
        y = link(y, w, tg.Tensor.tanh, tg.Tensor.sin)
    y.sum().backward()
    return x.grad.data


def run_numpy(inputs):
    # the same chain with its forward and backward written by hand
    x0, w0 = inputs
    saved = []
    y = x0
    for _ in range(N_OPS // OPS_PER_LINK):
        t = np.tanh(y * w0)
        v = t * 1.5
        y = np.sin(v)
        saved.append((t, v))
    g = np.ones_like(y)
    for t, v in reversed(saved):
        g = np.cos(v) * g * 1.5 * (1 - t * t) * w0
    return g


def check():
    """Both sides compute the same gradient (float32 rounding apart)."""
    inputs = make_inputs()
    np.testing.assert_allclose(run_tinygrad(inputs), run_numpy(inputs), rtol=1e-4, atol=1e-5)
