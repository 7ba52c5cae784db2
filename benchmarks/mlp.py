"""One SGD step of a 784-256-128-10 ReLU MLP with cross-entropy, batch 128, float32,
in tinygrad_np (nn.Sequential + F.cross_entropy + backward) against the same step in NumPy by hand.

Both sides start from the same parameters and do exactly the same math, so their updated
parameters agree (see ``check``). Run this file to time it:
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.mlp``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from benchmarks.common import (
    Side,
    check_training,
    linear_backward_into,
    linear_into,
    relu_backward_into,
    run_file,
    sgd_into,
    softmax_cross_entropy_into,
)
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


def seed(inputs) -> Side:
    """The step written straightforwardly, as the seed notebook writes it."""

    def step():
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

    return Side(step, lambda: inputs.params)


def expert(inputs) -> Side:
    """The step as an expert writes it. Every array is allocated once; the learning rate is folded
    into the logits' gradient (128x10) instead of scaling each weight gradient (backward is linear
    in it); ReLU runs in place (its output alone tells where it was active); each weight's gradient
    is taken before the weight is updated in place; bias gradients are matrix-vector products.
    """
    x, y = inputs.x, inputs.y
    w1, b1, w2, b2, w3, b3 = params = [p.copy() for p in inputs.params]
    n = len(x)
    a1, a2, z = (np.empty((n, k), np.float32) for k in SIZES[1:])
    d2, d1 = np.empty_like(a2), np.empty_like(a1)
    mask2, mask1 = np.empty(a2.shape, bool), np.empty(a1.shape, bool)
    grads = [np.empty_like(p) for p in params]
    gw1, gb1, gw2, gb2, gw3, gb3 = grads
    ones, m, flat, scale = np.ones(n, np.float32), np.empty((n, 1), np.float32), np.empty(n, np.intp), \
        np.arange(n) * SIZES[-1]

    def step():
        # forward: linear, then ReLU in place
        linear_into(x, w1, b1, a1)
        np.maximum(a1, 0, out=a1)
        linear_into(a1, w2, b2, a2)
        np.maximum(a2, 0, out=a2)
        linear_into(a2, w3, b3, z)
        loss = softmax_cross_entropy_into(z, y, LR, m, flat, scale)  # z is now LR * dloss/dz
        # backward
        linear_backward_into(z, a2, w3, gw3, gb3, ones, d2)
        relu_backward_into(d2, a2, mask2)
        linear_backward_into(d2, a1, w2, gw2, gb2, ones, d1)
        relu_backward_into(d1, a1, mask1)
        linear_backward_into(d1, x, w1, gw1, gb1, ones)
        sgd_into(params, grads)
        return loss

    return Side(step, lambda: params)


def check(steps=3, side=expert, make_inputs=make_inputs):
    """tinygrad_np and the NumPy ``side`` give the same losses and parameters (float32 rounding aside)."""
    check_training(make_inputs, run_tinygrad, side, steps)


def main():
    run_file("mlp")


if __name__ == "__main__":
    main()
