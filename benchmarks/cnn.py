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
from benchmarks.common import (
    Side,
    check_training,
    column_sum,
    linear_backward_into,
    linear_into,
    relu_backward_into,
    run_file,
    sgd_into,
    softmax_cross_entropy_into,
)
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


def seed(inputs) -> Side:
    """The step written straightforwardly (channels first, as the model stores it), with im2col."""

    def step():
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

    return Side(step, lambda: inputs.params)


def expert(inputs) -> Side:
    """The step as an expert writes it.

    - Channels last, and the parameters kept in the layout the step wants: the conv weight as a
      (9, C) matrix, the linear weight's columns in (row, column, channel) order. They are converted
      once here and back in ``state()``.
    - im2col is one copy out of a ``sliding_window_view`` of the padded batch, ordered "corner major":
      (2, 2, N, 14, 14, 9), the four positions of each pooling window in four contiguous blocks. One
      GEMM then gives the convolution for all of them, and the 2x2 max-pool is a running maximum over
      four contiguous blocks.
    - ``maxpool(relu(conv + b)) == relu(maxpool(conv) + b)``: adding a per-channel constant and ReLU
      are both monotone, so they commute with the max. Bias and ReLU then run on the 4x smaller
      pooled tensor, and the pre-activation of the full conv output is never stored.
      Gradients: where a window's maximum m has ``m + b > 0``, the first maximum of ``relu(conv + b)``
      sits where the first maximum of ``conv`` does (ReLU is strictly increasing above 0, and ties in
      ``conv`` stay ties), so the gradient goes to the same element as tinygrad_np's. Where
      ``m + b <= 0``, the whole window is 0 after ReLU and relu'(0) = 0: no gradient either way. (In
      float32, rounding ``conv + b`` can merge two values that differ in their last bit, which
      tinygrad_np would then treat as a tie: a different but equally valid subgradient, for a window
      whose two largest values agree to 1 part in 10^7.)
    - The learning rate is folded into the logits' gradient, and bias gradients are matrix-vector products.
    """
    x, y = inputs.x, inputs.y
    wc0, bc0, w0, b0 = inputs.params
    n, c = x.shape[0], wc0.shape[0]
    wk = np.ascontiguousarray(wc0.reshape(c, 9).T)  # (9, C)
    bc = bc0.copy()
    wl = np.ascontiguousarray(w0.reshape(10, c, 14, 14).transpose(0, 2, 3, 1).reshape(10, 196 * c))
    b = b0.copy()
    params = [wk, bc, wl, b]
    padded = np.zeros((n, 30, 30), np.float32)  # the border stays 0
    cols = np.empty((2, 2, n, 14, 14, 3, 3), np.float32)
    windows = sliding_window_view(padded, (3, 3), axis=(1, 2)).reshape(n, 14, 2, 14, 2, 3, 3)
    windows = windows.transpose(2, 4, 0, 1, 3, 5, 6)  # a view: (2, 2, N, 14, 14, 3, 3), like cols
    cols2d = cols.reshape(4 * n * 196, 9)
    conv = np.empty((4, n * 196, c), np.float32)
    peak = np.empty((n * 196, c), np.float32)  # max-pooled conv, before bias and ReLU: (N, 14, 14, C)
    pooled = np.empty_like(peak)  # relu(peak + bias); flattened, the linear layer's input
    f = pooled.reshape(n, 196 * c)
    z, m, flat, scale = np.empty((n, 10), np.float32), np.empty((n, 1), np.float32), np.empty(n, np.intp), \
        np.arange(n) * 10
    df = np.empty((n, 196 * c), np.float32)
    dpooled = df.reshape(n * 196, c)
    dconv = np.empty_like(conv)
    first, taken, mask = np.empty(pooled.shape, bool), np.empty(pooled.shape, bool), np.empty(pooled.shape, bool)
    grads = [np.empty_like(p) for p in params]
    gk, gbc, gl, gb = grads
    ones_z, ones_p = np.ones(n, np.float32), np.ones(n * 196, np.float32)

    def step():
        # forward
        padded[:, 1:29, 1:29] = x[:, 0]
        np.copyto(cols, windows)  # im2col: the one copy
        np.matmul(cols2d, wk, out=conv.reshape(4 * n * 196, c))  # the one GEMM
        np.maximum(conv[0], conv[1], out=peak)
        np.maximum(peak, conv[2], out=peak)
        np.maximum(peak, conv[3], out=peak)
        np.add(peak, bc, out=pooled)
        np.maximum(pooled, 0, out=pooled)
        linear_into(f, wl, b, z)
        loss = softmax_cross_entropy_into(z, y, LR, m, flat, scale)  # z is now LR * dloss/dz
        # backward
        linear_backward_into(z, f, wl, gl, gb, ones_z, df)
        relu_backward_into(dpooled, pooled, mask)
        column_sum(dpooled, ones_p, gbc)
        taken.fill(False)
        for k in range(4):  # route each window's gradient to its first maximum (tinygrad_np's tie rule)
            np.equal(conv[k], peak, out=first)
            np.greater(first, taken, out=first)  # first and not yet taken
            np.logical_or(taken, first, out=taken)
            np.multiply(dpooled, first, out=dconv[k])
        np.matmul(cols2d.T, dconv.reshape(4 * n * 196, c), out=gk)
        sgd_into(params, grads)
        return loss

    def state():
        return [wk.T.reshape(wc0.shape), bc, wl.reshape(10, 14, 14, c).transpose(0, 3, 1, 2).reshape(w0.shape), b]

    return Side(step, state)


def make_tied_inputs(seed=0):
    """Inputs full of ties: pixels in {0, 1, 2} and conv weights and biases multiples of 1/4, so every
    conv output is exact in float32 and many pooling windows have two or more equal maxima (about
    17,000 of the 134,000 windows where ReLU is active). Only a side that routes each window's
    gradient to its *first* maximum, as tinygrad_np does, agrees on these."""
    inputs = make_inputs(seed)
    rng = np.random.default_rng(seed)
    conv = inputs.model[0]
    inputs.x[...] = rng.integers(0, 3, inputs.x.shape)
    conv.weight.data[...] = rng.integers(-2, 3, conv.weight.shape) / 4
    conv.bias.data[...] = rng.integers(-2, 3, conv.bias.shape) / 4
    inputs.params = [p.data.copy() for p in inputs.model.parameters()]
    return inputs


def check(steps=3, side=expert):
    """tinygrad_np and the NumPy ``side`` give the same losses and parameters (float32 rounding aside),
    on random inputs and, for one step (after it the weights are no longer exact), on tied ones."""
    check_training(make_inputs, run_tinygrad, side, steps)
    check_training(make_tied_inputs, run_tinygrad, side, 1)


def main():
    run_file("cnn")


if __name__ == "__main__":
    main()
