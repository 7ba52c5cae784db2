"""A chain of 1,000 elementwise ops (mul, add, tanh) on a (16, 16) tensor, forward + backward,
against the same chain by hand in NumPy: the per-op overhead of recording and differentiating.

One link is ``tanh(y * w + b)`` (3 ops, with constant tensors w and b), repeated 333 times; with
the final ``sum`` that makes 1,000 ops. ``w`` is within 1% of 1 and ``b`` within 0.001 of 0, so
tanh stays near its neutral point and the gradient neither vanishes nor explodes (it ends between
about 1e-8 and 10): the check compares gradients of a sensible size (with larger weights, 333
contracting links underflow the gradient to zero, and pass through float32's slow subnormals).
Every library in the suite runs the same ``link`` (see ``benchmarks/others.py``).
"""

from __future__ import annotations

import numpy as np

import tinygrad_np as tg
from benchmarks.common import Side, run_file

N_OPS = 1000
OPS_PER_LINK = 3
LINKS = N_OPS // OPS_PER_LINK  # 333 links of 3 ops, and the final sum
SHAPE = (16, 16)


def make_inputs(seed=0):
    """The start value x0 and the constant weight w0 and bias b0."""
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal(SHAPE).astype(np.float32)
    w0 = (0.99 + 0.02 * rng.random(SHAPE)).astype(np.float32)
    b0 = (0.001 * (2 * rng.random(SHAPE) - 1)).astype(np.float32)
    return x0, w0, b0


def link(y, w, b, tanh):
    """One link of the chain, written once for every library (they pass their own tanh)."""
    return tanh(y * w + b)


def run_tinygrad(inputs):
    x0, w0, b0 = inputs
    x = tg.from_numpy(x0).requires_grad_()
    w, b = tg.from_numpy(w0), tg.from_numpy(b0)
    y = x
    for _ in range(LINKS):
        y = link(y, w, b, tg.Tensor.tanh)
    y.sum().backward()
    return x.grad.data


def seed(inputs) -> Side:
    """The chain's forward and backward written straightforwardly, as the seed notebook writes them."""
    x0, w0, b0 = inputs
    out = []

    def step():
        saved = []
        y = x0
        for _ in range(LINKS):
            y = np.tanh(y * w0 + b0)
            saved.append(y)
        g = np.ones_like(y)
        for t in reversed(saved):
            g = g * (1 - t * t) * w0
        out[:] = [g]
        return g

    return Side(step, lambda: out)


def expert(inputs) -> Side:
    """The chain as an expert writes it, link by link as a general program must: the forward writes
    each link's tanh straight into one preallocated (333, 16, 16) array of saved outputs; the backward
    multiplies by ``w (1 - t^2) = w - w t^2`` (4 calls per link), all into preallocated buffers.

    It does not use the toy's special structure: the whole gradient of an elementwise chain is one
    product over the links, ``np.prod(w - w * T**2, axis=0)``, a handful of vectorised calls that
    would measure the shape of this benchmark rather than the cost per op.
    """
    x0, w0, b0 = inputs
    saved = np.empty((LINKS, *SHAPE), np.float32)
    g, tmp = np.empty_like(x0), np.empty_like(x0)

    def step():
        y = x0
        for t in saved:
            np.multiply(y, w0, out=tmp)
            np.add(tmp, b0, out=tmp)
            y = np.tanh(tmp, out=t)
        g.fill(1)
        for t in saved[::-1]:
            np.multiply(t, t, out=tmp)
            np.multiply(tmp, w0, out=tmp)
            np.subtract(w0, tmp, out=tmp)
            np.multiply(g, tmp, out=g)
        return g

    return Side(step, lambda: [g])


def check(side=expert):
    """tinygrad_np and the NumPy ``side`` compute the same gradient (float32 rounding apart)."""
    inputs = make_inputs()
    ours, theirs = run_tinygrad(inputs), side(inputs)
    theirs.step()
    (g,) = theirs.state()
    assert 1e-10 < np.abs(g).min() and np.abs(g).max() < 100, "the gradient should neither vanish nor explode"
    np.testing.assert_allclose(ours, g, rtol=1e-4, atol=0)  # relative: the gradients span many decades


def main():
    run_file("chain")


if __name__ == "__main__":
    main()
