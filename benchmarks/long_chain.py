"""The backward pass alone of a 100,000-op chain ``y = y * 1.0001`` on a (16, 16) tensor, in
microseconds per op. The chain is built outside the timed region; the NumPy column runs the same
100,000 multiplications' backward by hand (``g = g * 1.0001``, last op first).

Each side is a pair: ``build_*`` makes a fresh chain (untimed) and ``backward_*`` (timed) returns
d(sum(y))/dx.
"""

from __future__ import annotations

import numpy as np

import tinygrad_np as tg

N_OPS = 100_000
QUICK_OPS = 2_000
SHAPE = (16, 16)
FACTOR = 1.0001


def make_inputs(seed=0):
    return np.random.default_rng(seed).standard_normal(SHAPE).astype(np.float32)


def build_tinygrad(x0, n_ops=N_OPS):
    x = tg.Tensor._wrap(x0.copy(), None).requires_grad_()
    y = x
    for _ in range(n_ops):
        y = y * FACTOR
    return x, y.sum()


def backward_tinygrad(chain):
    x, loss = chain
    loss.backward()
    return x.grad.data


def build_numpy(x0, n_ops=N_OPS):
    # the forward by hand, for symmetry; its backward needs only the number of ops
    y = x0
    for _ in range(n_ops):
        y = y * np.float32(FACTOR)
    return y, n_ops


def backward_numpy(chain):
    y, n_ops = chain
    g = np.ones_like(y)
    c = np.float32(FACTOR)
    for _ in range(n_ops):
        g = g * c
    return g


def n_ops(quick=False) -> int:
    return QUICK_OPS if quick else N_OPS


def check(n=N_OPS):
    """Same gradient on both sides, and no recursion limit on a deep chain."""
    x0 = make_inputs()
    a = backward_tinygrad(build_tinygrad(x0, n))
    b = backward_numpy(build_numpy(x0, n))
    assert np.allclose(a, b, rtol=1e-4), (a.ravel()[:3], b.ravel()[:3])
    assert np.allclose(b, np.float32(FACTOR) ** n, rtol=1e-2)  # roughly 1.0001 ** n: catches a wrong count
