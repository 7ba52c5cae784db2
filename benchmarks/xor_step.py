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


def run_numpy(inputs):
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


def check(steps=5):
    """Both sides give the same losses and parameters (float32 rounding aside)."""
    inputs = make_inputs()
    for _ in range(steps):
        a, b = run_tinygrad(inputs), run_numpy(inputs)
        assert np.allclose(a, b, rtol=1e-5, atol=1e-7), (a, b)
    for p, q in zip(inputs.model.parameters(), inputs.params):
        assert np.allclose(p.data, q, rtol=1e-5, atol=1e-6)
