"""One SGD step of a small CNN, batch 64 of 1x28x28, float32: conv 3x3 1->16 (padding 1), ReLU,
2x2 max-pool, flatten, Linear 3136->10, cross-entropy. tinygrad_np (nn layers + backward) against
the same step written by hand in NumPy with im2col.

Both sides start from the same parameters and do the same math (including the max-pool rule:
a window's gradient goes to its first maximum), so they agree (see ``check``). Run this file to
time it: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.cnn``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import tinygrad_np as tg
import tinygrad_np.nn as nn
from benchmarks import mlp
from benchmarks.mlp import run_tinygrad  # the same training step (tinygrad_np side)
from tinygrad_np import optim

BATCH = 64
CHANNELS = 16
LR = 0.01


def make_inputs(seed=0):
    """A batch (x, y), a tinygrad_np model and the NumPy copy of its parameters [Wc, bc, W, b]."""
    tg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, BATCH)
    model = nn.Sequential(
        nn.Conv2d(1, CHANNELS, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(CHANNELS * 196, 10)
    )
    return SimpleNamespace(x=x, y=y, model=model, opt=optim.SGD(model.parameters(), lr=LR),
                           params=[p.data.copy() for p in model.parameters()])


def run_numpy(inputs):
    x, y, params = inputs.x, inputs.y, inputs.params
    wc, bc, w, b = params
    n, c = x.shape[0], wc.shape[0]
    # forward. conv: im2col with the image axes innermost, (N, 9, 784), one small matmul per sample
    cols = sliding_window_view(np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 3), axis=(2, 3))
    cols = cols.transpose(0, 1, 4, 5, 2, 3).reshape(n, 9, 784)
    h = (wc.reshape(c, 9) @ cols).reshape(n, c, 28, 28) + bc.reshape(1, c, 1, 1)
    a = np.maximum(h, 0)
    # 2x2 max-pool: a running maximum over the four offsets of each window
    corners = [(slice(None), slice(None), slice(i, None, 2), slice(j, None, 2)) for i in (0, 1) for j in (0, 1)]
    pooled = a[corners[0]].copy()
    for k in corners[1:]:
        np.maximum(pooled, a[k], out=pooled)
    f = pooled.reshape(n, c * 196)
    z = f @ w.T + b
    loss, dz = mlp.softmax_cross_entropy(z, y)
    # backward
    dw, db = dz.T @ f, dz.sum(0)
    dpooled = (dz @ w).reshape(pooled.shape)
    da = np.zeros_like(a)
    taken = np.zeros(pooled.shape, dtype=bool)
    for k in corners:  # each window's gradient goes to its first maximum
        m = np.greater(a[k] == pooled, taken)
        taken |= m
        np.multiply(dpooled, m, out=da[k])
    dh = da * (h > 0)
    dwc = (dh.reshape(n, c, 784) @ cols.transpose(0, 2, 1)).sum(0).reshape(wc.shape)
    dbc = dh.sum(axis=(0, 2, 3))
    for p, g in zip(params, (dwc, dbc, dw, db)):
        p -= LR * g
    return loss


def check(steps=3):
    """Both sides give the same losses and parameters (float32 rounding aside)."""
    mlp.check(steps, make_inputs, run_numpy)


def main():
    check()
    inputs = make_inputs()
    mlp.report("cnn conv3x3(1->16)-relu-maxpool2-linear, batch 64", lambda: run_tinygrad(inputs),
           lambda: run_numpy(inputs))


if __name__ == "__main__":
    main()
