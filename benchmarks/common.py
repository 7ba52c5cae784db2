"""What the workload modules share: a NumPy side as a (step, state) pair, and the check that it
computes what tinygrad_np computes.

Every workload has two NumPy sides. ``expert`` is the baseline the ratios are taken to: written
the way someone who knows NumPy well writes a training step by hand (buffers allocated once and
filled with ``out=``, a layout that suits the computation, exact algebraic rewrites, fused in-place
updates, no temporaries that can be avoided). ``seed`` is the same step written straightforwardly,
the way the seed notebook writes it; it is kept as a second column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Side:
    """One hand-written NumPy side: ``step()`` runs one timed step (returning the loss, or for the
    chains the gradient); ``state()`` is what ``check`` compares, in tinygrad_np's layout."""

    step: Callable
    state: Callable


def check_training(make_inputs, run_tinygrad, make_side, steps: int = 3, rtol=1e-4, atol=1e-6):
    """tinygrad_np and ``make_side(inputs)`` give the same losses and updated parameters (float32 rounding aside)."""
    ours, theirs = make_inputs(), make_side(make_inputs())
    for i in range(steps):
        a, b = run_tinygrad(ours), theirs.step()
        assert np.allclose(a, b, rtol=rtol, atol=atol), f"step {i}: loss {a} != {b}"
    params = [p.data for p in ours.model.parameters()]
    state = theirs.state()
    assert len(params) == len(state), (len(params), len(state))
    for i, (p, q) in enumerate(zip(params, state)):
        assert p.shape == q.shape, (i, p.shape, q.shape)
        assert np.allclose(p, q, rtol=rtol, atol=atol), f"parameter {i}: largest difference {np.abs(p - q).max()}"


def softmax_cross_entropy_into(z, y, lr: float, m, flat_target, scale):
    """Mean cross-entropy of logits ``z`` (N, C) against classes ``y``; ``z`` becomes ``lr`` times the
    gradient with respect to the logits. ``m`` (N, 1) and ``flat_target`` (N,) int are scratch
    buffers, ``scale`` is ``np.arange(N) * C`` (the flat index of each row's first logit).
    """
    n = z.shape[0]
    np.max(z, axis=1, keepdims=True, out=m)
    np.subtract(z, m, out=z)  # shifted: the exponentials cannot overflow
    np.add(scale, y, out=flat_target)
    picked = z.take(flat_target)  # shifted logit of the target class, per row
    np.exp(z, out=z)
    np.sum(z, axis=1, keepdims=True, out=m)
    loss = (np.log(m).sum() - picked.sum()) / n
    np.multiply(m, n / lr, out=m)  # fold the mean and the learning rate into the normaliser
    np.divide(z, m, out=z)
    z.reshape(-1)[flat_target] -= lr / n
    return loss


def sgd_into(params, grads):
    """The SGD update, the learning rate already folded into ``grads``: ``p -= g`` in place."""
    for p, g in zip(params, grads):
        np.subtract(p, g, out=p)


def column_sum(d, ones, out):
    """``d.sum(axis=0)`` as a matrix-vector product (ones @ d): several times faster than NumPy's
    reduction over the rows of a narrow matrix."""
    return np.matmul(ones, d, out=out)


def linear_into(x, w, b, out):
    """``out = x @ w.T + b`` (w stored as (out_features, in_features), as in tinygrad_np and PyTorch)."""
    np.matmul(x, w.T, out=out)
    np.add(out, b, out=out)


def linear_backward_into(d, x, w, gw, gb, ones, dx=None):
    """The gradients of ``x @ w.T + b`` from ``d``, the gradient of its output: ``gw = d.T @ x``,
    ``gb`` the column sums of ``d`` and, if asked for, ``dx = d @ w`` (taken before ``w`` changes)."""
    np.matmul(d.T, x, out=gw)
    column_sum(d, ones, gb)
    if dx is not None:
        np.matmul(d, w, out=dx)


def relu_backward_into(d, a, mask):
    """``d *= (a > 0)`` with a preallocated boolean ``mask``, where ``a`` is the ReLU's output."""
    np.greater(a, 0, out=mask)
    np.multiply(d, mask, out=d)


def run_file(name: str, rounds: int = 10):
    """``python -m benchmarks.<workload>``: check every side, then time them in this process (one BLAS
    thread, interleaved as in the suite) and print medians and ratios to the expert NumPy side.
    The suite (``python -m benchmarks``) does the same over several fresh processes, with other libraries."""
    from threadpoolctl import threadpool_limits

    from benchmarks import suite

    w = suite.WORKLOADS[name]
    suite.check(name)
    impls = suite.sides(name)
    with threadpool_limits(1):
        times = suite.time_interleaved(impls, rounds, w.block, w.warmup)
        blas = suite.blas_summary()
    med = {k: float(np.median(v)) for k, v in times.items()}
    print(f"{w.title} (median of {rounds * w.block} steps per side; BLAS: {blas})")
    for k, t in med.items():
        print(f"  {suite.SIDE_LABELS.get(k, k):28s} {t * 1e3:9.3f} ms   {t / med['numpy']:.3f}x")
