"""The few custom ops of the nn package, each a :class:`~tinygrad_np.autograd.Function`.

Everything else in ``nn`` is composed from Tensor ops. Each op here says in one line why it
has a rule of its own. All rules are written with operators, ufuncs and array methods that
NumPy arrays and Tensors share (or dispatch on the type), so they are twice differentiable.

* ``Windows`` / ``WindowsTranspose``: the sliding-window view used by convolution and pooling
  (im2col) and its transpose (col2im). They are linear and each one's backward is the other,
  so gradients of any order exist.
* ``LinearFn``: ``x @ W.T + b`` as one node (speed).
* ``WindowSum``, ``MaxPool``: sum and maximum over each pooling window, as loops over the
  kernel offsets (speed; MaxPool also for PyTorch's tie rule).
* ``CrossEntropyFn``: log-softmax + negative log-likelihood (speed and stability).
* ``BinaryCrossEntropyFn``, ``Softplus``: PyTorch's clamped and overflow-free forms (stability).
* ``GradientTap``: an identity on a module's inputs, packed into one node, so that one gradient
  hook sees the gradients of all of them at once (``Module.register_full_backward_hook``).
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd import Function
from ..tensor import Tensor

__all__ = [
    "Windows", "WindowsTranspose", "windows", "col2im", "LinearFn", "WindowSum", "MaxPool", "CrossEntropyFn",
    "BinaryCrossEntropyFn", "Softplus", "window_output_size", "window_argmax", "GradientTap",
]


# ----------------------------------------------------------------------------- sliding windows
def window_output_size(size: int, kernel: int, stride: int, dilation: int) -> int:
    """Number of windows along one axis of length ``size`` (already padded)."""
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def _window_view(x: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple) -> np.ndarray:
    """Read-only strided view of shape ``lead + out_sizes + kernel`` over the last len(kernel) axes."""
    d = len(kernel)
    lead, sizes = x.shape[:-d], x.shape[-d:]
    out = tuple(window_output_size(n, k, s, dl) for n, k, s, dl in zip(sizes, kernel, stride, dilation))
    steps = x.strides[-d:]
    strides = x.strides[:-d] + tuple(a * s for a, s in zip(steps, stride))
    strides += tuple(a * dl for a, dl in zip(steps, dilation))
    return as_strided(x, lead + out + tuple(kernel), strides, writeable=False)


def _offsets(kernel: tuple):
    return list(itertools.product(*(range(k) for k in kernel)))


def _offset_slices(offs, stride, dilation, out_sizes) -> tuple:
    """The slice of the input that kernel offset ``offs`` reads in every window."""
    return (Ellipsis,) + tuple(
        slice(o * dl, o * dl + s * (n - 1) + 1, s) for o, dl, s, n in zip(offs, dilation, stride, out_sizes)
    )


def _col2im(g: np.ndarray, shape: tuple, kernel: tuple, stride: tuple, dilation: tuple) -> np.ndarray:
    """Sum each window's values back onto the positions it was read from (transpose of the view)."""
    d = len(kernel)
    out_sizes = g.shape[-2 * d : -d]
    nlead = len(shape) - d
    if tuple(stride) == tuple(kernel) and all(dl == 1 for dl in dilation):
        # windows do not overlap: a transpose-copy instead of kernel-size scatters
        order = list(range(nlead)) + [a for i in range(d) for a in (nlead + i, nlead + d + i)]
        block = g.transpose(order).reshape(shape[:nlead] + tuple(o * k for o, k in zip(out_sizes, kernel)))
        if block.shape == tuple(shape):
            return block
        res = np.zeros(shape, dtype=g.dtype)
        res[(Ellipsis,) + tuple(slice(0, n) for n in block.shape[nlead:])] = block
        return res
    res = np.zeros(shape, dtype=g.dtype)
    for offs in _offsets(kernel):  # a loop over kernel offsets only
        res[_offset_slices(offs, stride, dilation, out_sizes)] += g[(Ellipsis,) + offs]
    return res


def windows(x, kernel: tuple, stride: tuple, dilation: tuple):
    """Sliding windows over the last ``len(kernel)`` axes: arrays -> view, Tensors -> the ``Windows`` op."""
    if isinstance(x, Tensor):
        return Windows.apply(x, kernel=kernel, stride=stride, dilation=dilation)
    return _window_view(x, kernel, stride, dilation)


def col2im(g, shape: tuple, kernel: tuple, stride: tuple, dilation: tuple):
    """Transpose of :func:`windows`: arrays -> scatter-add, Tensors -> the ``WindowsTranspose`` op."""
    if isinstance(g, Tensor):
        return WindowsTranspose.apply(g, shape=shape, kernel=kernel, stride=stride, dilation=dilation)
    return _col2im(g, shape, kernel, stride, dilation)


class Windows(Function):
    # a primitive: the strided view has no expression in other ops; its backward is its transpose
    saves_inputs = saves_output = False
    formula = "∂/∂x = each window's gradient added back where it was read (col2im)"

    @staticmethod
    def forward(ctx, x, kernel, stride, dilation):
        return _window_view(x, kernel, stride, dilation)

    @staticmethod
    def backward(ctx, g):
        a = ctx.attrs
        return col2im(g, ctx.input_shape(0), a["kernel"], a["stride"], a["dilation"])


class WindowsTranspose(Function):
    # the transpose of Windows (col2im); its backward is Windows again, so any order works
    saves_inputs = saves_output = False
    formula = "∂/∂g = the gradient read through the same windows"

    @staticmethod
    def forward(ctx, g, shape, kernel, stride, dilation):
        return _col2im(g, shape, kernel, stride, dilation)

    @staticmethod
    def backward(ctx, g):
        a = ctx.attrs
        return windows(g, a["kernel"], a["stride"], a["dilation"])


def _disjoint(kernel, stride, dilation) -> bool:
    """True when no input element is read by two windows."""
    return all(s >= dl * (k - 1) + 1 for k, s, dl in zip(kernel, stride, dilation))


def _reduce_windows(ufunc, x, kernel, stride, dilation) -> np.ndarray:
    """``ufunc.reduce`` over each window, as a running ``ufunc`` over kernel offsets: NumPy reduces
    tiny trailing window axes ~20x slower, and this makes no window copies."""
    w = _window_view(x, kernel, stride, dilation)
    offsets = _offsets(kernel)
    out = np.array(w[(Ellipsis,) + offsets[0]])
    for offs in offsets[1:]:
        ufunc(out, w[(Ellipsis,) + offs], out=out)
    return out


def window_argmax(x: np.ndarray, kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    """Where each window's maximum is, as one (row, col, ...) array per window axis of ``x``
    (positions in ``x``). PyTorch's choice: the first maximum in row-major order, or, in a window
    holding NaN, its last NaN. A NumPy helper for ``return_indices``; no gradient involved."""
    w = _window_view(x, kernel, stride, dilation)
    d = len(kernel)
    flat = w.reshape(w.shape[:-d] + (-1,))
    nan = np.isnan(flat)
    pick = np.argmax(np.where(nan, -np.inf, flat), axis=-1)  # argmax returns the first maximum
    if nan.any():
        last_nan = flat.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
        pick = np.where(nan.any(axis=-1), last_nan, pick)
    offsets = np.unravel_index(pick, kernel)
    starts = np.ogrid[tuple(slice(0, n) for n in w.shape[-2 * d : -d])]
    return tuple(start * s + off * dl for start, off, s, dl in zip(starts, offsets, stride, dilation))


class WindowSum(Function):
    # fused for speed (see _reduce_windows)
    saves_inputs = saves_output = False
    formula = "∂/∂x = g spread over each window"

    @staticmethod
    def forward(ctx, x, kernel, stride, dilation):
        return _reduce_windows(np.add, x, kernel, stride, dilation)

    @staticmethod
    def backward(ctx, g):
        a = ctx.attrs
        kernel = a["kernel"]
        shape = ctx.input_shape(0)
        if isinstance(g, Tensor):  # col2im of the gradient broadcast over each window: differentiable ops
            spread = g.reshape(g.shape + (1,) * len(kernel)).expand(g.shape + tuple(kernel))
            return col2im(spread, shape, kernel, a["stride"], a["dilation"])
        grad = np.zeros(shape, dtype=g.dtype)
        for offs in _offsets(kernel):
            grad[_offset_slices(offs, a["stride"], a["dilation"], g.shape[-len(kernel):])] += g
        return grad


class MaxPool(Function):
    # fused for speed (a running maximum, see _reduce_windows) and for PyTorch's
    # tie rule: each window's gradient goes to its first maximum in row-major order
    formula = "∂/∂x = g at each window's first maximum, else 0"

    @staticmethod
    def forward(ctx, x, kernel, stride, dilation):
        return _reduce_windows(np.maximum, x, kernel, stride, dilation)

    @staticmethod
    def backward(ctx, g):
        a = ctx.attrs
        kernel, stride, dilation = a["kernel"], a["stride"], a["dilation"]
        x, out = ctx.inputs[0], ctx.output
        if isinstance(x, Tensor):  # create_graph: the gradient is linear in g, with constant masks
            x, out = x.data, out.data
        offsets = _offsets(kernel)
        out_sizes = out.shape[-len(kernel):]
        taken = np.zeros(out.shape, dtype=bool)
        masks = []
        for offs in offsets:  # the first offset that attains the maximum wins the window
            m = np.greater(x[_offset_slices(offs, stride, dilation, out_sizes)] == out, taken)
            taken |= m
            masks.append(m)
        if isinstance(g, Tensor):
            mask = np.stack(masks, axis=-1).reshape(out.shape + tuple(kernel))
            return col2im(g.reshape(g.shape + (1,) * len(kernel)) * mask, x.shape, kernel, stride, dilation)
        grad = np.zeros(x.shape, dtype=g.dtype)
        disjoint = _disjoint(kernel, stride, dilation)
        for offs, m in zip(offsets, masks):
            where = _offset_slices(offs, stride, dilation, out_sizes)
            if disjoint:
                np.multiply(g, m, out=grad[where])
            else:
                grad[where] += g * m
        return grad


# ----------------------------------------------------------------------------- backward hooks of modules
class GradientTap(Function):
    """The identity on one tensor, or on several packed into one flat array (their ravelled values, one
    after the other): one node then receives the gradients of all of them, and a gradient hook on its
    output sees them together (unpack with ``tap[start:stop].reshape(shape)``)."""

    saves_inputs = saves_output = False
    formula = "∂/∂xᵢ = gᵢ (identity; several inputs: g is their gradients packed one after the other)"

    @staticmethod
    def forward(ctx, *xs):
        return xs[0].view() if len(xs) == 1 else np.concatenate([x.reshape(-1) for x in xs])

    @staticmethod
    def backward(ctx, g):
        if len(ctx.next) == 1:
            return g
        grads, start = [], 0
        for i in range(len(ctx.next)):
            shape = ctx.input_shape(i)
            size = int(np.prod(shape))
            grads.append(g[start:start + size].reshape(shape))
            start += size
        return tuple(grads)


# ----------------------------------------------------------------------------- linear
class LinearFn(Function):
    # fused x @ W.T + b: one node instead of three, gradients made directly in their final layout (speed)
    saves_output = False
    formula = "∂/∂x = g·W,  ∂/∂W = gᵀ·x,  ∂/∂b = Σ g over the batch"

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight, _ = ctx.inputs
        need_x, need_w, need_b = ctx.needs_input_grad
        grad_x = g @ weight if need_x else None
        grad_w = grad_b = None
        if need_w:
            if g.ndim == 2:
                grad_w = g.T @ x
            elif g.ndim == 1:
                grad_w = g.reshape(-1, 1) @ x.reshape(1, -1)
            else:
                grad_w = g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        if need_b:
            if g.ndim == 2 and type(g) is np.ndarray and g.dtype.char in "fd":
                grad_b = np.ones(len(g), g.dtype) @ g  # column sums as one matrix-vector product: 3x NumPy's sum
            else:
                grad_b = g.sum(axis=tuple(range(g.ndim - 1))) if g.ndim > 1 else g
        return grad_x, grad_w, grad_b


# ----------------------------------------------------------------------------- losses
class CrossEntropyFn(Function):
    """Cross-entropy of logits ``x`` (M, C) against class indices, fused with log-softmax.

    attrs: ``target`` (M,) class indices (any valid index where ``coef`` is 0); ``coef`` (M,) the
    weight of each row's true-class term, None for all ones; ``smooth`` (M, C) label-smoothing
    weights or None; ``divisor``: the summed loss is divided by it, or None for one loss per row
    (``reduction='none'``).
    """

    # fused log-softmax + NLL: one node and no (M, C) log-probability graph (speed), shifted by the max (stability)
    saves_output = False
    formula = "∂/∂x = g·(softmax(x) − one_hot(target)) (weighted, smoothed, averaged as asked)"

    @staticmethod
    def forward(ctx, x, target, coef, smooth, divisor):
        shifted = x - x.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        log_s = np.log(s)
        losses = log_s[:, 0] - shifted[np.arange(x.shape[0]), target]
        if coef is not None:
            losses *= coef
        if smooth is not None:
            losses += (smooth * (log_s - shifted)).sum(axis=1)
        ctx.save_for_backward(e, s)
        if divisor is None:
            return losses
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(losses.sum() / divisor, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        a = ctx.attrs
        target, coef, smooth, divisor = a["target"], a["coef"], a["smooth"], a["divisor"]
        rows = np.arange(x.shape[0])
        if divisor is not None:
            g = g / divisor  # a scalar; with reduction='none' g has one entry per row
        # d loss_i / d x_i = p_i * (total weight of row i) - (weights of row i), times the upstream gradient
        if isinstance(x, np.ndarray):
            e, s = ctx.saved_tensors
            if coef is None and smooth is None:  # the common case: p_i - one_hot_i
                grad = e * (g / s if g.ndim == 0 else g[:, None] / s)
                grad[rows, target] -= g
                return grad
            row_total = (1 if coef is None else coef) + (0 if smooth is None else smooth.sum(axis=1))
            grad = e * (row_total * g / s[:, 0])[:, None]
            grad[rows, target] -= g * (1 if coef is None else coef)
            if smooth is not None:
                grad -= smooth * (g[:, None] if g.ndim else g)
            return grad
        weights = np.zeros(x.shape, dtype=x.dtype)  # create_graph: the same rule in Tensor ops
        weights[rows, target] = 1 if coef is None else coef
        if smooth is not None:
            weights += smooth
        row_total = weights.sum(axis=1, keepdims=True)
        scale = g.reshape(-1, 1) if g.ndim == 1 else g
        return (x.softmax(axis=1) * row_total - weights) * scale


class BinaryCrossEntropyFn(Function):
    # PyTorch's form: log clamped at -100 and a gradient divided by max(x(1-x), 1e-12), finite at x = 0 or 1 (stability)
    saves_output = False
    formula = "∂/∂x = g·(x − t)/(x(1 − x)),  ∂/∂t = g·(ln(1 − x) − ln x)"

    @staticmethod
    def forward(ctx, x, t):
        with np.errstate(divide="ignore"):
            return -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log1p(-x), -100))

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.inputs
        need_x, need_t = ctx.needs_input_grad
        grad_x = grad_t = None
        if need_x:
            grad_x = g * (x - t) / np.maximum(x * (1 - x), 1e-12)
        if need_t:
            with np.errstate(divide="ignore"):
                grad_t = g * (np.log(1 - x).clip(min=-100) - np.log(x).clip(min=-100))
        return grad_x, grad_t


def _sigmoid(x):
    if isinstance(x, Tensor):
        return x.sigmoid()
    return np.exp(-np.logaddexp(0, -x))  # 1 / (1 + exp(-x)) without overflow


class Softplus(Function):
    # log(1 + exp(x)) with no overflow for large x and no underflow to log(1) for very negative x (stability)
    saves_output = False
    formula = "∂/∂x = g·σ(x)"

    @staticmethod
    def forward(ctx, x):
        return np.logaddexp(0, x)

    @staticmethod
    def backward(ctx, g):
        return g * _sigmoid(ctx.inputs[0])
