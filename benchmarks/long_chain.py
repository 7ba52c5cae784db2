"""A 100,000-op chain ``y = y * 1.0001`` on a (16, 16) tensor: forward, backward and freeing the
graph, timed together with the garbage collector on, as a user runs it; reported in microseconds
per op. A deep graph also proves that nothing in the engine recurses.

Each side's ``run`` builds the chain from ``x0``, returns d(sum(y))/dx, and drops the graph on
return (inside the timed call). The NumPy sides run the same 100,000 multiplications forward and
backward by hand (``g = g * 1.0001``, last op first): the seed-style one allocating a new array
per op, the expert one in place (this chain's backward needs no forward value).
"""

from __future__ import annotations

import numpy as np

import tinygrad_np as tg
from benchmarks.common import Side

N_OPS = 100_000
QUICK_OPS = 2_000
SHAPE = (16, 16)
FACTOR = 1.0001


def make_inputs(seed=0):
    return np.random.default_rng(seed).standard_normal(SHAPE).astype(np.float32)


def n_ops(quick=False) -> int:
    return QUICK_OPS if quick else N_OPS


def run_tinygrad(x0, n_ops=N_OPS):
    x = tg.from_numpy(x0).requires_grad_()
    y = x
    for _ in range(n_ops):
        y = y * FACTOR
    y.sum().backward()
    return x.grad.data  # the graph goes with the locals


def seed(x0, n_ops=N_OPS) -> Side:
    out = []

    def step():
        y = x0
        for _ in range(n_ops):
            y = y * FACTOR
        g = np.ones_like(y)
        for _ in range(n_ops):
            g = g * FACTOR
        out[:] = [g]
        return g

    return Side(step, lambda: out)


def expert(x0, n_ops=N_OPS) -> Side:
    y, g = np.empty_like(x0), np.empty_like(x0)
    c = np.float32(FACTOR)

    def step():
        np.copyto(y, x0)
        for _ in range(n_ops):
            np.multiply(y, c, out=y)
        g.fill(1)
        for _ in range(n_ops):
            np.multiply(g, c, out=g)
        return g

    return Side(step, lambda: [g])


def check(n=N_OPS, side=expert):
    """Same gradient on both sides, and no recursion limit on a deep chain."""
    x0 = make_inputs()
    a = run_tinygrad(x0, n)
    s = side(x0, n)
    s.step()
    (b,) = s.state()
    assert np.allclose(a, b, rtol=1e-4), (a.ravel()[:3], b.ravel()[:3])
    assert np.allclose(b, np.float32(FACTOR) ** n, rtol=1e-2)  # roughly 1.0001 ** n: catches a wrong count
