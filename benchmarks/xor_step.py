"""One full-batch training step of the XOR network 2-8-1 (Linear, ReLU, Linear, Sigmoid, MSE,
SGD with lr 0.5), in tinygrad_np (nn.Sequential + F.mse_loss + optim.SGD) against the same step
written by hand in NumPy. Four samples and 33 parameters: the time is all per-op overhead.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from benchmarks.common import Side, check_training, relu_backward_into, run_file, sgd_into
from tinygrad_np import optim

LR = 0.5
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
Y = np.array([[0], [1], [1], [0]], dtype=np.float32)


def make_inputs(seed=0):
    """The data (x, y), a tinygrad_np model with its optimizer, and the NumPy copy of its parameters
    [W1, b1, W2, b2]."""
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    opt = optim.SGD(model.parameters(), lr=LR)
    return SimpleNamespace(x=X.copy(), y=Y.copy(), model=model, opt=opt,
                           params=[p.data.copy() for p in model.parameters()])


def run_tinygrad(inputs):
    inputs.opt.zero_grad()
    loss = F.mse_loss(inputs.model(tg.Tensor._wrap(inputs.x, None)), tg.Tensor._wrap(inputs.y, None))
    loss.backward()
    inputs.opt.step()
    return loss.data


def seed(inputs) -> Side:
    """The step written straightforwardly, as the seed notebook writes it."""

    def step():
        x, y, params = inputs.x, inputs.y, inputs.params
        w1, b1, w2, b2 = params
        # forward
        h = x @ w1.T + b1
        a = np.maximum(h, 0)
        z = a @ w2.T + b2
        p = 1 / (1 + np.exp(-z))
        d = p - y
        loss = (d * d).mean()
        # backward
        dz = (2 / d.size) * d * p * (1 - p)
        dw2, db2 = dz.T @ a, dz.sum(0)
        dh = (dz @ w2) * (h > 0)
        dw1, db1 = dh.T @ x, dh.sum(0)
        # SGD
        for q, g in zip(params, (dw1, db1, dw2, db2)):
            q -= LR * g
        return loss

    return Side(step, lambda: inputs.params)


def expert(inputs) -> Side:
    """The step as an expert writes it: every NumPy call counts here, so as few calls as possible.

    Each bias is a row of its weight matrix, multiplied by a constant column of ones appended to the
    layer's input (``x @ w.T + b == [x, 1] @ [[w.T], [b]]``): no bias additions, and one gradient
    product gives weight and bias together. The learning rate and the loss's 2/N are folded into one
    constant; buffers are allocated once and filled with ``out=``; ReLU runs in place.
    """
    w1, b1, w2, b2 = inputs.params
    x1 = np.hstack([inputs.x, np.ones((len(inputs.x), 1), np.float32)])  # (4, 3): inputs and the 1 for the bias
    x1t = np.ascontiguousarray(x1.T)
    wb1 = np.vstack([w1.T, b1])  # (3, 8)
    wb2 = np.vstack([w2.T, b2])  # (9, 1)
    a1 = np.ones((len(x1), 9), np.float32)  # the hidden layer's output and the 1 for the next bias
    a = a1[:, :8]
    a1t, w2_row = a1.T, wb2[:8].T
    y = inputs.y
    z, p, d = np.empty_like(y), np.empty_like(y), np.empty_like(y)
    da, active = np.empty_like(a), np.empty(a.shape, bool)
    g1, g2 = np.empty_like(wb1), np.empty_like(wb2)
    k = np.float32(-LR * 2 / y.size)  # -LR * d(mean squared error)/dp, without the factor d

    def step():
        # forward
        np.matmul(x1, wb1, out=a)
        np.maximum(a, 0, out=a)
        np.matmul(a1, wb2, out=z)
        np.negative(z, out=p)  # p = sigmoid(z) = 1 / (1 + exp(-z))
        np.exp(p, out=p)
        np.add(p, 1, out=p)
        np.reciprocal(p, out=p)
        np.subtract(p, y, out=d)
        loss = float(np.vdot(d, d)) / y.size
        # backward: d becomes LR * dloss/dz = -k * d * p * (1 - p) = k * d * p * (p - 1)
        np.multiply(d, p, out=d)
        np.subtract(p, 1, out=p)
        np.multiply(d, p, out=d)
        np.multiply(d, k, out=d)
        np.matmul(a1t, d, out=g2)
        np.multiply(d, w2_row, out=da)  # (4, 1) * (1, 8): the outer product d @ w2
        relu_backward_into(da, a, active)
        np.matmul(x1t, da, out=g1)
        sgd_into((wb1, wb2), (g1, g2))
        return loss

    return Side(step, lambda: [wb1[:2].T, wb1[2], wb2[:8].T, wb2[8]])


def check(steps=5, side=expert):
    """tinygrad_np and the NumPy ``side`` give the same losses and parameters (float32 rounding aside)."""
    check_training(make_inputs, run_tinygrad, side, steps, atol=1e-6)


def main():
    run_file("xor")


if __name__ == "__main__":
    main()
