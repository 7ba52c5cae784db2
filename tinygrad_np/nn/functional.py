"""Stateless layers and losses: ``import tinygrad_np.nn.functional as F``.

Every function takes Tensors (arrays are accepted for inputs that need no gradient) and is
composed from Tensor ops, except the few fused ops of :mod:`tinygrad_np.nn.primitives`.
Values and gradients follow PyTorch's definitions.
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from .. import creation
from ..autograd import named_call
from ..autograd.engine import mark_modified
from ..errors import ArgumentError, ArgumentIndexError
from ..tensor import Tensor, _cropped, _pad_widths, _result_dtype, _to_array, pad_, where
from .primitives import (
    BinaryCrossEntropyFn,
    CrossEntropyFn,
    LinearFn,
    MaxPool,
    Softplus,
    WindowSum,
    col2im,
    window_argmax,
    window_output_size,
    windows,
)

__all__ = [
    "linear", "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softplus", "softmax", "log_softmax", "dropout",
    "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "batch_norm", "layer_norm", "embedding", "one_hot",
    "normalize", "pad", "mse_loss", "l1_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]

_REDUCTIONS = ("mean", "sum", "none")


def _tensor(x, name: str = "input") -> Tensor:
    if isinstance(x, Tensor):
        return x
    try:
        return Tensor._wrap(_to_array(x), None)
    except TypeError as e:
        raise TypeError(f"{name} must be a Tensor or an array of numbers (bool, int or float): {e}") from None


def _float_tensor(x, fn: str, name: str = "input") -> Tensor:
    x = _tensor(x, name)
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}(): {name} must be a floating-point tensor, got dtype {x.dtype}; convert it with "
                        f".float()")
    return x


def _same_dtype(x: Tensor, *others):
    """Cast ``x`` and the other (optional) tensors to their common float dtype."""
    dtype = x.dtype
    for o in others:
        if o is not None:
            dtype = _result_dtype(dtype, o.dtype)
    return [None if t is None else t.astype(dtype) for t in (x, *others)]


def _reduce(loss: Tensor, reduction: str, fn: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{fn}(): reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_reduction(reduction: str, fn: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}(): reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _tuple(value, n: int, name: str) -> tuple:
    if isinstance(value, numbers.Integral):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {value}")
    return value


def _float32_inside(fn):
    """Run ``fn`` on float16 input in float32 and round the result back once: PyTorch computes
    half-precision losses and normalisations with float32 accumulators (a float16 sum of many
    squared errors would overflow). Every float16 Tensor argument is cast; gradients flow back in float16."""

    @functools.wraps(fn)
    def run(input, *args, **kwargs):
        if not (isinstance(input, Tensor) and input.data.dtype == np.float16):
            return fn(input, *args, **kwargs)
        out = fn(_up(input), *map(_up, args), **{k: _up(v) for k, v in kwargs.items()})
        return out.astype(np.float16) if isinstance(out, Tensor) and out.data.dtype.kind == "f" else out

    return run


def _up(value):
    return value.astype(np.float32) if isinstance(value, Tensor) and value.data.dtype == np.float16 else value


# ============================================================================ activations
def linear(input, weight, bias=None) -> Tensor:
    """``input @ weight.T + bias`` with ``weight`` of shape (out_features, in_features), as in PyTorch."""
    x = input if isinstance(input, Tensor) else _tensor(input)
    weight = weight if isinstance(weight, Tensor) else _tensor(weight, "weight")
    if bias is not None and not isinstance(bias, Tensor):
        bias = _tensor(bias, "bias")
    wd = weight.data
    if wd.ndim != 2 or x.data.ndim == 0 or x.data.shape[-1] != wd.shape[1]:
        if wd.ndim != 2:
            raise ArgumentError(f"linear(): weight must be 2-D (out_features, in_features), got shape {wd.shape}")
        raise ArgumentError(
            f"linear(): input of shape {x.shape} does not match weight of shape {wd.shape} "
            f"(expected input.shape[-1] == {wd.shape[1]})"
        )
    if bias is not None and bias.data.shape != (wd.shape[0],):
        raise ArgumentError(f"linear(): bias must have shape ({wd.shape[0]},), got {bias.shape}")
    if x.data.dtype != wd.dtype or (bias is not None and bias.data.dtype != wd.dtype):
        x, weight, bias = _same_dtype(x.astype(wd.dtype) if x.dtype.kind != "f" else x, weight, bias)
    return LinearFn.apply(x, weight, bias)


def relu(input) -> Tensor:
    return _tensor(input).relu()


def leaky_relu(input, negative_slope: float = 0.01) -> Tensor:
    return _float_tensor(input, "leaky_relu").leaky_relu(negative_slope)


def sigmoid(input) -> Tensor:
    return _tensor(input).sigmoid()


def tanh(input) -> Tensor:
    return _tensor(input).tanh()


@named_call("gelu")
def gelu(input, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` with Phi the standard normal CDF (exact, through erf), or its tanh
    approximation with ``approximate="tanh"``; PyTorch's two forms."""
    x = _float_tensor(input, "gelu")
    if approximate == "tanh":
        return 0.5 * x * (1 + ((x + 0.044715 * x * x * x) * math.sqrt(2 / math.pi)).tanh())
    if approximate != "none":
        raise ValueError(f"gelu(): approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * x * (1 + (x * (1 / math.sqrt(2))).erf())


@named_call("softplus")
def softplus(input, beta: float = 1.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, computed without overflow."""
    x = _float_tensor(input, "softplus")
    if beta == 1:
        return Softplus.apply(x)
    return Softplus.apply(x * beta) * (1.0 / beta)


def softmax(input, dim: int = -1, *, axis=None) -> Tensor:
    """Softmax along ``dim`` (default: the last axis)."""
    return _float_tensor(input, "softmax").softmax(dim if axis is None else axis)


def log_softmax(input, dim: int = -1, *, axis=None) -> Tensor:
    """log(softmax) along ``dim``, computed stably (x - logsumexp(x))."""
    return _float_tensor(input, "log_softmax").log_softmax(dim if axis is None else axis)


@named_call("dropout")
def dropout(input, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by 1/(1-p).

    Uses the global generator (``tinygrad_np.manual_seed``); the identity when not training.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout(): probability p must be between 0 and 1, got {p}")
    x = _float_tensor(input, "dropout")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    u = creation.generator().random(x.shape, dtype=np.float64 if x.dtype == np.float64 else np.float32)
    mask = (u >= p).astype(x.dtype)
    mask *= 1.0 / (1.0 - p)
    return x * Tensor._wrap(mask, None)


_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}  # PyTorch's name: NumPy's


@named_call("pad")
def pad(input, pad, mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad with ``value`` (``mode="constant"``) or by mirroring (``"reflect"``, edge not repeated),
    repeating the edge (``"replicate"``) or wrapping around (``"circular"``), as PyTorch does.
    ``pad`` is in PyTorch's flat form (last dimension first). The other modes index the input, so
    each padded element's gradient goes back to the element it copies."""
    x = _tensor(input)
    if mode == "constant":
        return pad_(x, pad, value)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad(): mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    x, widths = _cropped(x, _pad_widths(x, pad))  # negative widths crop first, as in PyTorch
    for axis, (before, after) in enumerate(widths):
        n = x.shape[axis]
        if before or after:
            limit = n - 1 if mode == "reflect" else n if mode == "circular" else None
            if n == 0 or (limit is not None and max(before, after) > limit):
                raise ArgumentError(f"pad(): {mode} padding ({before}, {after}) is too wide for a dimension of {n}")
            index = np.pad(np.arange(n), (before, after), mode=_PAD_MODES[mode])
            x = x[(slice(None),) * axis + (index,)]
    return x


@named_call("normalize")
def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``input / max(norm(input, p, dim), eps)``: unit p-norm along ``dim`` (zero rows stay zero)."""
    x = _float_tensor(input, "normalize")
    return x / x.norm(p, dim, keepdim=True).clip(min=eps)


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a new last axis of size ``num_classes`` (max + 1 if -1)."""
    idx = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot(): expected an integer tensor, got dtype {idx.dtype}")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ArgumentIndexError(f"one_hot(): class values must be in [0, {num_classes}), got {idx.min()}..{idx.max()}")
    return Tensor._wrap((idx[..., None] == np.arange(num_classes)).astype(np.int64), None)


# ============================================================================ convolution and pooling
def _spatial_input(input, fn: str, d: int = 2):
    """(N, C, *spatial) input; an unbatched (C, *spatial) one gets a batch axis (returned flag)."""
    x = _float_tensor(input, fn)
    if x.ndim == d + 1:
        return x.unsqueeze(0), True
    if x.ndim != d + 2:
        raise ArgumentError(f"{fn}(): expected a {d + 1}-D (unbatched) or {d + 2}-D (batched) input, got shape "
                            f"{x.shape}")
    return x, False


def _padded(x: Tensor, padding: tuple, value: float = 0.0) -> Tensor:
    """Pad the last len(padding) axes; ``padding`` holds (before, after) pairs."""
    if not any(b or a for b, a in padding):
        return x
    return pad_(x, ((0, 0),) * (x.ndim - len(padding)) + tuple(padding), value)


def _check_windows(fn: str, shape: tuple, kernel, stride, dilation) -> tuple:
    out = tuple(window_output_size(n, k, s, dl) for n, k, s, dl in zip(shape, kernel, stride, dilation))
    if any(o <= 0 for o in out):
        raise ArgumentError(
            f"{fn}(): the (padded) input of spatial size {shape} is smaller than the kernel {kernel} "
            f"(dilation {dilation}): output size would be {out}; use a larger input, more padding or a smaller kernel"
        )
    return out


def _conv_pads(padding, kernel, stride, dilation, fn: str = "conv2d") -> tuple:
    """Conv2d's ``padding`` (an int, a pair, "valid" or "same") as ((top, bottom), (left, right))."""
    stride, dilation = _tuple(stride, 2, "stride"), _tuple(dilation, 2, "dilation")
    if not isinstance(padding, str):
        return tuple((p, p) for p in _tuple(padding, 2, "padding"))
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        if stride != (1, 1):
            raise ArgumentError(f"{fn}(): padding='same' is only supported with stride 1")
        total = [dl * (k - 1) for dl, k in zip(dilation, kernel)]
        return tuple((t // 2, t - t // 2) for t in total)
    raise ArgumentError(f"{fn}(): padding must be an int, a pair, 'valid' or 'same', got {padding!r}")


@named_call("conv2d")
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch) of (N, C, H, W) input with (O, C/groups, kh, kw) weight.

    Built as im2col: a strided window view of the padded input, reshaped to patches, times the
    weight; its gradient to the input is the transpose op (col2im). ``padding`` is an int, a pair,
    ``"valid"`` (0) or ``"same"`` (stride 1 only).
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, "conv2d")


@named_call("conv1d")
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution (cross-correlation) of (N, C, L) (or unbatched (C, L)) input with
    (O, C/groups, k) weight: ``conv2d`` of a height-1 image. ``padding`` is an int, a 1-tuple,
    ``"valid"`` or ``"same"`` (stride 1 only)."""
    weight = _float_tensor(weight, "conv1d", "weight")
    if weight.ndim != 3:
        raise ArgumentError(f"conv1d(): weight must be 3-D (out_channels, in_channels/groups, k), got {weight.shape}")
    return _conv(input, weight.unsqueeze(2), bias, stride, padding, dilation, groups, "conv1d", d=1)


def _conv(input, weight, bias, stride, padding, dilation, groups, fn, d=2):
    x, unbatched = _spatial_input(input, fn, d)
    if d == 1:
        x, _, stride, padding, dilation = _as_2d(x, None, stride, padding, dilation)
    weight = _float_tensor(weight, fn, "weight")
    bias = None if bias is None else _float_tensor(bias, fn, "bias")
    if weight.ndim != 4:
        raise ArgumentError(f"{fn}(): weight must be 4-D (out_channels, in_channels/groups, kh, kw), got "
                            f"{weight.shape}")
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    if groups < 1 or c % groups or o % groups:
        raise ArgumentError(f"{fn}(): groups={groups} must divide in_channels={c} and out_channels={o}")
    if cg * groups != c:
        hint = ("; is the input channels-last (N, H, W, C)? Use x.permute(0, 3, 1, 2)" if x.shape[-1] == cg * groups
                else f"; build the layer with in_channels={c}, or check the input")
        raise ArgumentError(
            f"{fn}(): input has {c} channels (axis 1) but weight of shape {weight.shape} expects {cg * groups} "
            f"(in_channels/groups={cg}, groups={groups}){hint}"
        )
    if bias is not None and bias.shape != (o,):
        raise ArgumentError(f"{fn}(): bias must have shape ({o},), got {bias.shape}")
    stride, dilation = _tuple(stride, 2, "stride"), _tuple(dilation, 2, "dilation")
    if any(v < 1 for v in stride + dilation):
        raise ArgumentError(f"{fn}(): stride {stride} and dilation {dilation} must be positive")
    kernel = (kh, kw)
    pads = _conv_pads(padding, kernel, stride, dilation, fn)
    x, weight, bias = _same_dtype(x, weight, bias)
    x = _padded(x, pads)
    oh, ow = _check_windows(fn, x.shape[2:], kernel, stride, dilation)
    # im2col with the image axes innermost: (N, C*kh*kw, OH*OW), then one small matmul per sample
    # gives (N, O, OH*OW), already in NCHW order
    cols = windows(x, kernel, stride, dilation).permute(0, 1, 4, 5, 2, 3)  # (N, C, kh, kw, OH, OW), a view
    if groups == 1:
        out = weight.reshape(o, c * kh * kw) @ cols.reshape(n, c * kh * kw, oh * ow)
    else:
        cols = cols.reshape(n, groups, cg * kh * kw, oh * ow)
        out = weight.reshape(groups, o // groups, cg * kh * kw) @ cols  # (N, groups, O/groups, OH*OW)
    out = out.reshape(n, o, oh, ow)
    if bias is not None:
        out = out + bias.reshape(1, o, 1, 1)
    for axis in (2,) * (d == 1) + (0,) * unbatched:
        out = out.squeeze(axis)
    return out


@named_call("conv_transpose2d")
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1,
                     dilation=1) -> Tensor:
    """Transposed 2-D convolution of (N, C_in, H, W) input with (C_in, C_out/groups, kh, kw) weight,
    as PyTorch's: the adjoint of ``conv2d`` with respect to its input. Output size per axis:
    ``(H - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.

    Each input pixel spreads its channels times the kernel into a window of the output (a product
    with the weight, then the col2im transpose of conv2d's window view); padding is then cropped.
    """
    x, unbatched = _spatial_input(input, "conv_transpose2d")
    weight = _float_tensor(weight, "conv_transpose2d", "weight")
    bias = None if bias is None else _float_tensor(bias, "conv_transpose2d", "bias")
    if weight.ndim != 4:
        raise ArgumentError(f"conv_transpose2d(): weight must be 4-D (in_channels, out_channels/groups, kh, kw), "
                            f"got {weight.shape}")
    n, c, h, w = x.shape
    cin, og, kh, kw = weight.shape
    if groups < 1 or c % groups or cin != c:
        raise ArgumentError(f"conv_transpose2d(): input has {c} channels, weight {weight.shape} expects {cin} "
                            f"(groups={groups} must divide it)")
    o = og * groups
    if bias is not None and bias.shape != (o,):
        raise ArgumentError(f"conv_transpose2d(): bias must have shape ({o},), got {bias.shape}")
    stride, dilation = _tuple(stride, 2, "stride"), _tuple(dilation, 2, "dilation")
    padding, output_padding = _tuple(padding, 2, "padding"), _tuple(output_padding, 2, "output_padding")
    if any(v < 1 for v in stride + dilation) or any(v < 0 for v in padding + output_padding):
        raise ArgumentError("conv_transpose2d(): stride and dilation must be positive, padding non-negative")
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise ArgumentError(f"conv_transpose2d(): output_padding {output_padding} must be smaller than stride "
                            f"{stride} or dilation {dilation}")
    kernel = (kh, kw)
    full = tuple((m - 1) * s + d * (k - 1) + 1 + op
                 for m, s, d, k, op in zip((h, w), stride, dilation, kernel, output_padding))
    if any(f - 2 * p <= 0 for f, p in zip(full, padding)):
        raise ArgumentError(f"conv_transpose2d(): padding {padding} leaves no output (uncropped size {full})")
    x, weight, bias = _same_dtype(x, weight, bias)
    # (N, g, H*W, C_in/g) @ (g, C_in/g, C_out/g*kh*kw): every pixel's contribution to its window
    pixels = x.reshape(n, groups, c // groups, h * w).permute(0, 1, 3, 2)
    cols = pixels @ weight.reshape(groups, c // groups, og * kh * kw)
    cols = cols.reshape(n, groups, h, w, og, kh, kw).permute(0, 1, 4, 2, 3, 5, 6).reshape(n, o, h, w, kh, kw)
    out = col2im(cols, (n, o) + full, kernel, stride, dilation)
    out = out[:, :, padding[0]:full[0] - padding[0], padding[1]:full[1] - padding[1]]
    if bias is not None:
        out = out + bias.reshape(1, o, 1, 1)
    return out.squeeze(0) if unbatched else out


def _pool_args(fn, kernel_size, stride, padding, dilation):
    kernel = _tuple(kernel_size, 2, "kernel_size")
    stride = kernel if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) else stride
    stride = _tuple(stride, 2, "stride")
    padding = _tuple(padding, 2, "padding")
    dilation = _tuple(dilation, 2, "dilation")
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ArgumentError(f"{fn}(): padding {padding} must be at most half the kernel size {kernel}")
    if any(v < 1 for v in kernel + stride + dilation):
        raise ArgumentError(f"{fn}(): kernel_size, stride and dilation must be positive")
    return kernel, stride, tuple((p, p) for p in padding), dilation


def _ceil_extra(n: int, kernel: int, stride: int, dilation: int, pad: int) -> int:
    """Extra right padding that ``ceil_mode`` needs: PyTorch's output size rounds up, minus a last
    window that would start in the right padding."""
    span = dilation * (kernel - 1) + 1
    out = -(-(n + 2 * pad - span) // stride) + 1
    if (out - 1) * stride >= n + pad:
        out -= 1
    return max(0, (out - 1) * stride + span - (n + 2 * pad))


@named_call("max_pool2d")
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Maximum over each window of (N, C, H, W) input; ``stride`` defaults to ``kernel_size``.

    Padding is implicit -inf. Ties: the whole gradient of a window goes to its first maximum in
    row-major order (PyTorch's rule); NaN propagates. ``ceil_mode=True`` keeps a last, partial
    window at the end of each axis, as long as it starts inside the input or its left padding.
    ``return_indices=True`` also returns where each maximum is, as int64 flat indices into its
    (H, W) plane (``h * W + w``; in a window holding NaN, its last NaN), for ``max_unpool2d``.
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool2d")


def _as_2d(x: Tensor, kernel_size, stride, padding, dilation=1):
    """A 1-D op's (N, C, L) input as a height-1 image (N, C, 1, L), and its arguments (ints or
    1-tuples) as pairs: (1, v), and (0, v) for the padding. None, () and padding strings stay."""
    def pair(v, height):
        if v is None or isinstance(v, str) or (not isinstance(v, numbers.Integral) and len(v) == 0):
            return v
        return (height,) + _tuple(v, 1, "kernel_size, stride, padding and dilation")

    return x.unsqueeze(2), pair(kernel_size, 1), pair(stride, 1), pair(padding, 0), pair(dilation, 1)


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, fn, d=2):
    """max_pool2d, or max_pool1d (``d=1``) as the 2-D pool of a height-1 image."""
    x, unbatched = _spatial_input(input, fn, d)
    if d == 1:
        x, kernel_size, stride, padding, dilation = _as_2d(x, kernel_size, stride, padding, dilation)
    kernel, stride, pads, dilation = _pool_args(fn, kernel_size, stride, padding, dilation)
    size = x.shape[2:]
    if ceil_mode:
        pads = tuple((p, p + _ceil_extra(n, k, s, dl, p))
                     for n, k, s, dl, (p, _) in zip(size, kernel, stride, dilation, pads))
    x = _padded(x, pads, -np.inf)
    _check_windows(fn, x.shape[2:], kernel, stride, dilation)
    out = MaxPool.apply(x, kernel=kernel, stride=stride, dilation=dilation)
    if return_indices:
        rows, cols = window_argmax(x.data, kernel, stride, dilation)
        indices = Tensor._wrap(((rows - pads[0][0]) * size[1] + cols - pads[1][0]).astype(np.int64), None)
    for axis in (2,) * (d == 1) + (0,) * unbatched:
        out = out.squeeze(axis)
        indices = indices.squeeze(axis) if return_indices else None
    return (out, indices) if return_indices else out


@named_call("avg_pool2d")
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override=None) -> Tensor:
    """Mean over each window of (N, C, H, W) input; padded zeros count unless ``count_include_pad=False``.

    ``ceil_mode=True`` keeps a last, partial window (as in max_pool2d); as in PyTorch, the part of
    it beyond the padding is not counted in its mean.
    """
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, "avg_pool2d")


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, fn, d=2):
    """avg_pool2d, or avg_pool1d (``d=1``) as the 2-D pool of a height-1 image."""
    x, unbatched = _spatial_input(input, fn, d)
    if d == 1:
        x, kernel_size, stride, padding, _ = _as_2d(x, kernel_size, stride, padding)
    kernel, stride, pads, dilation = _pool_args(fn, kernel_size, stride, padding, 1)
    size = x.shape[2:]
    extra = [_ceil_extra(n, k, s, 1, p) if ceil_mode else 0 for n, k, s, (p, _) in zip(size, kernel, stride, pads)]
    x = _padded(x, tuple((p, p + e) for (p, _), e in zip(pads, extra)))
    _check_windows(fn, x.shape[2:], kernel, stride, dilation)
    sums = WindowSum.apply(x, kernel=kernel, stride=stride, dilation=dilation)
    if divisor_override is not None:
        out = sums * (1.0 / divisor_override)
    elif not any(extra) and (count_include_pad or not any(b for b, _ in pads)):
        out = sums * (1.0 / (kernel[0] * kernel[1]))
    else:  # divide each window by how many of its elements count: the input, plus the padding if asked
        counted = np.ones(tuple(n + 2 * p for n, (p, _) in zip(size, pads)) if count_include_pad else size, x.dtype)
        outside = [(0, e) if count_include_pad else (p, p + e) for (p, _), e in zip(pads, extra)]
        counts = WindowSum.forward(None, np.pad(counted, outside), kernel, stride, dilation)
        out = sums / counts
    for axis in (2,) * (d == 1) + (0,) * unbatched:
        out = out.squeeze(axis)
    return out


# ============================================================================ normalisation
@named_call("batch_norm")
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (axis 1) of (N, C, ...) input, as ``torch.nn.functional.batch_norm``.

    ``training=True``: use the batch mean and biased variance, and (if given) update the running
    statistics in place: ``running = (1 - momentum) * running + momentum * batch`` with the
    *unbiased* batch variance. ``training=False``: normalise with the running statistics.
    """
    x = _float_tensor(input, "batch_norm")
    if x.ndim < 2:
        raise ArgumentError(f"batch_norm(): expected input of shape (N, C, ...), got {x.shape}")
    c = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and tuple(np.shape(t.data if isinstance(t, Tensor) else t)) != (c,):
            raise ArgumentError(f"batch_norm(): {name} must have shape ({c},) for input of shape {x.shape}, "
                                f"got {np.shape(t.data if isinstance(t, Tensor) else t)}")
    shape = (1, c) + (1,) * (x.ndim - 2)
    axes = (0,) + tuple(range(2, x.ndim))
    if training:
        count = x.data.size // max(c, 1)
        if count <= 1:
            raise ValueError(f"batch_norm(): expected more than 1 value per channel when training, got input "
                             f"{x.shape}; train on batches of 2 or more samples, or call model.eval() to use the "
                             f"running statistics")
        mean = x.mean(axes, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(axes, keepdims=True)
        if running_mean is not None:
            rm = running_mean.data if isinstance(running_mean, Tensor) else running_mean
            rm *= 1 - momentum
            rm += momentum * mean.data.reshape(c)
            mark_modified(rm, "batch_norm (running_mean update)")
        if running_var is not None:
            rv = running_var.data if isinstance(running_var, Tensor) else running_var
            rv *= 1 - momentum
            rv += (momentum * count / (count - 1)) * var.data.reshape(c)
            mark_modified(rv, "batch_norm (running_var update)")
        out = centred / (var + eps).sqrt()
    else:
        if running_mean is None or running_var is None:
            raise ArgumentError("batch_norm(): running_mean and running_var are needed when training=False")
        rm = np.asarray(running_mean.data if isinstance(running_mean, Tensor) else running_mean)
        rv = np.asarray(running_var.data if isinstance(running_var, Tensor) else running_var)
        scale = (1.0 / np.sqrt(rv.astype(x.dtype) + eps)).reshape(shape)
        out = (x - rm.astype(x.dtype).reshape(shape)) * Tensor._wrap(scale, None)
    if weight is not None:
        out = out * _tensor(weight, "weight").reshape(shape)
    if bias is not None:
        out = out + _tensor(bias, "bias").reshape(shape)
    return out


@named_call("layer_norm")
@_float32_inside
def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` axes (biased variance), then scale and shift."""
    x = _float_tensor(input, "layer_norm")
    normalized_shape = _tuple(normalized_shape, 1, "normalized_shape") if isinstance(
        normalized_shape, numbers.Integral) else tuple(int(n) for n in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or x.shape[-k:] != normalized_shape:
        raise ArgumentError(
            f"layer_norm(): input of shape {x.shape} does not end with normalized_shape {normalized_shape}; "
            f"normalized_shape must be the input's last dimensions"
        )
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axes, keepdims=True)
    out = centred / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


@named_call("embedding")
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer ``input``; output shape input.shape + (dim,).

    Entries equal to ``padding_idx`` pass no gradient to their row. With ``max_norm``, the rows
    looked up whose ``norm_type``-norm exceeds it are first scaled down to it, in place in
    ``weight`` (outside the graph), as PyTorch does.
    """
    idx = input.data if isinstance(input, Tensor) else np.asarray(input)
    weight = _float_tensor(weight, "embedding", "weight")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding(): input must hold integer indices, got dtype {idx.dtype}; convert it with "
                        f".long()")
    num = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError(f"embedding(): index out of range: values {idx.min()}..{idx.max()} for {num} embeddings; "
                         f"indices must be in [0, {num}): check the data, or make the table larger (num_embeddings)")
    if max_norm is not None:
        rows = np.unique(idx)
        norms = np.linalg.norm(weight.data[rows], ord=norm_type, axis=1)
        too_long = norms > max_norm
        if too_long.any():
            weight.data[rows[too_long]] *= (max_norm / (norms[too_long] + 1e-7))[:, None].astype(weight.dtype)
            mark_modified(weight.data, "embedding(max_norm)")
    out = weight[idx]
    if padding_idx is not None:
        keep = (idx != padding_idx % num)[..., None]
        out = where(keep, out, out.detach())
    return out


# ============================================================================ losses
def _check_same_shape(fn: str, input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        fix = (f"reshape one to match, e.g. target.reshape{input.shape}" if input.data.size == target.data.size
               else "check which one is wrong")
        raise ValueError(f"{fn}(): input of shape {input.shape} and target of shape {target.shape} must have the same "
                         f"shape (they are not broadcast); {fix}")


@named_call("mse_loss")
@_float32_inside
def mse_loss(input, target, reduction: str = "mean") -> Tensor:
    """Mean (or sum, or elementwise) squared error. Shapes must match."""
    _check_reduction(reduction, "mse_loss")
    x, t = _float_tensor(input, "mse_loss"), _tensor(target, "target")
    _check_same_shape("mse_loss", x, t)
    x, t = _same_dtype(x, t.astype(x.dtype) if t.dtype.kind != "f" else t)
    d = x - t
    return _reduce(d * d, reduction, "mse_loss")


@named_call("l1_loss")
@_float32_inside
def l1_loss(input, target, reduction: str = "mean") -> Tensor:
    """Mean (or sum, or elementwise) absolute error. Shapes must match."""
    _check_reduction(reduction, "l1_loss")
    x, t = _float_tensor(input, "l1_loss"), _tensor(target, "target")
    _check_same_shape("l1_loss", x, t)
    x, t = _same_dtype(x, t.astype(x.dtype) if t.dtype.kind != "f" else t)
    return _reduce((x - t).abs(), reduction, "l1_loss")


def _class_weight(weight, c: int, dtype, fn: str):
    if weight is None:
        return None
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=dtype)
    if w.shape != (c,):
        raise ArgumentError(f"{fn}(): weight must have one entry per class, shape ({c},), got {w.shape}")
    return w


def _class_targets(fn: str, x: Tensor, target, ignore_index: int):
    """Validate integer class targets for (N, C, d1, ...) input; return (flat targets, valid mask)."""
    y = target.data if isinstance(target, Tensor) else np.asarray(target)
    expected = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    if y.dtype.kind not in "iu":
        raise TypeError(
            f"{fn}(): target must hold integer class indices (or, for cross_entropy, class probabilities of the "
            f"input's shape {x.shape}); got dtype {y.dtype} and shape {y.shape}. Convert class indices with .long()"
        )
    if y.shape != expected:
        raise ValueError(f"{fn}(): input of shape {x.shape} needs a target of shape {expected}, got {y.shape}")
    c = x.shape[1] if x.ndim > 1 else x.shape[0]
    y = y.reshape(-1)
    valid = y != ignore_index
    if valid.any():
        bad = y[valid & ((y < 0) | (y >= c))]
        if bad.size:
            raise IndexError(f"{fn}(): target {bad[0]} is out of range for {c} classes (valid: 0..{c - 1}); "
                             f"targets to skip must equal ignore_index ({ignore_index})")
    return y, valid


def _class_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) or (C,) -> (M, C) with the class axis last."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim > 2:
        x = x.permute(0, *range(2, x.ndim), 1)
    return x.reshape(-1, x.shape[-1])


@named_call("cross_entropy")
@_float32_inside
def cross_entropy(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits ``input`` (N, C) or (N, C, d1, ...) (or (C,)) and ``target``.

    ``target`` holds integer class indices of shape (N, d1, ...), or class probabilities of the
    input's shape. Same definition as PyTorch, including ``weight`` (per class),
    ``ignore_index`` (index targets only), ``label_smoothing`` and ``reduction``
    (``'mean'`` divides by the total weight of the non-ignored targets). Index targets use one fused,
    stable log-softmax + NLL op; probability targets are composed from ``log_softmax``.
    """
    _check_reduction(reduction, "cross_entropy")
    x = _float_tensor(input, "cross_entropy")
    if x.ndim == 0:
        raise ValueError("cross_entropy(): input must have a class axis, got a 0-d tensor")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy(): label_smoothing must be in [0, 1], got {label_smoothing}")
    c = x.shape[1] if x.ndim > 1 else x.shape[0]
    y = target.data if isinstance(target, Tensor) else np.asarray(target)
    if y.dtype.kind == "f":
        return _cross_entropy_probs(x, target, _class_weight(weight, c, x.dtype, "cross_entropy"), reduction,
                                    label_smoothing)
    if (x.ndim == 2 and y.ndim == 1 and y.dtype.kind in "iu" and len(y) == len(x.data) and weight is None
            and not label_smoothing and not 0 <= ignore_index < c and y.size and 0 <= y.min() and y.max() < c):
        # the common case, kept cheap: every target is a valid class, no weights, no smoothing
        divisor = float(y.size) if reduction == "mean" else 1.0 if reduction == "sum" else None
        return CrossEntropyFn.apply(x, target=y, coef=None, smooth=None, divisor=divisor)
    w = _class_weight(weight, c, x.dtype, "cross_entropy")
    y, valid = _class_targets("cross_entropy", x, target, ignore_index)
    y = np.where(valid, y, 0)
    coef = (valid if w is None else valid * w[y]).astype(x.dtype)
    divisor = float(coef.sum()) if reduction == "mean" else 1.0 if reduction == "sum" else None
    smooth = None
    if label_smoothing:
        coef *= 1 - label_smoothing
        row = (valid.astype(x.dtype) * (label_smoothing / c))[:, None]
        smooth = row * (np.ones(c, x.dtype) if w is None else w)
    loss = CrossEntropyFn.apply(_class_last(x), target=y, coef=coef, smooth=smooth, divisor=divisor)
    if divisor is None:
        return loss.reshape(_target_shape(target))
    return loss


def _target_shape(target) -> tuple:
    return target.shape if isinstance(target, Tensor) else np.shape(target)


def _cross_entropy_probs(x: Tensor, target, w, reduction: str, label_smoothing: float) -> Tensor:
    t = _tensor(target, "target")
    if t.shape != x.shape:
        raise ValueError(
            f"cross_entropy(): class-probability target must have the input's shape {x.shape}, got {t.shape} "
            f"(for class indices use an integer target)"
        )
    x, t = _same_dtype(x, t)
    axis = 1 if x.ndim > 1 else 0
    c = x.shape[axis]
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / c
    if w is not None:
        t = t * Tensor._wrap(w.reshape((c,) + (1,) * (x.ndim - axis - 1)).astype(x.dtype), None)
    losses = -(x.log_softmax(axis) * t).sum(axis)
    if reduction == "mean":
        return losses.sum() * (c / x.data.size)
    return _reduce(losses, reduction, "cross_entropy")


@named_call("nll_loss")
@_float32_inside
def nll_loss(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (N, C) or (N, C, d1, ...) at integer ``target``.

    ``reduction='mean'`` divides by the summed weight of the non-ignored targets, as in PyTorch.
    """
    _check_reduction(reduction, "nll_loss")
    x = _float_tensor(input, "nll_loss")
    if x.ndim == 0:
        raise ValueError("nll_loss(): input must have a class axis, got a 0-d tensor")
    c = x.shape[1] if x.ndim > 1 else x.shape[0]
    w = _class_weight(weight, c, x.dtype, "nll_loss")
    y, valid = _class_targets("nll_loss", x, target, ignore_index)
    y = np.where(valid, y, 0)
    coef = (valid if w is None else valid * w[y]).astype(x.dtype)
    picks = np.zeros((y.size, c), dtype=x.dtype)  # row i holds -coef_i at its target class
    picks[np.arange(y.size), y] = -coef
    losses = (_class_last(x) * Tensor._wrap(picks, None)).sum(1)
    if reduction == "none":
        return losses.reshape(_target_shape(target))
    if reduction == "sum":
        return losses.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return losses.sum() * (np.float64(1.0) / coef.sum()).astype(x.dtype)


def _check_probability_inputs(fn: str, x: Tensor, t: Tensor) -> None:
    _check_same_shape(fn, x, t)
    if x.data.size and (np.nanmin(x.data) < 0 or np.nanmax(x.data) > 1):
        raise ArgumentError(f"{fn}(): all elements of input must be between 0 and 1 (probabilities; for logits use "
                            f"binary_cross_entropy_with_logits)")


@named_call("binary_cross_entropy")
@_float32_inside
def binary_cross_entropy(input, target, weight=None, reduction: str = "mean") -> Tensor:
    """-(t log x + (1-t) log(1-x)) for probabilities ``input``; each log is clamped at -100, as in PyTorch."""
    _check_reduction(reduction, "binary_cross_entropy")
    x = _float_tensor(input, "binary_cross_entropy")
    t = _float_tensor(target, "binary_cross_entropy", "target")
    _check_probability_inputs("binary_cross_entropy", x, t)
    x, t = _same_dtype(x, t)
    loss = BinaryCrossEntropyFn.apply(x, t)
    if weight is not None:
        loss = loss * _tensor(weight, "weight").astype(x.dtype)
    return _reduce(loss, reduction, "binary_cross_entropy")


@named_call("binary_cross_entropy_with_logits")
@_float32_inside
def binary_cross_entropy_with_logits(input, target, weight=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable expression:
    ``(1 - t) * x + (1 + (pos_weight - 1) * t) * softplus(-x)``."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    x = _float_tensor(input, "binary_cross_entropy_with_logits")
    t = _float_tensor(target, "binary_cross_entropy_with_logits", "target")
    _check_same_shape("binary_cross_entropy_with_logits", x, t)
    x, t = _same_dtype(x, t)
    sp = Softplus.apply(-x)
    if pos_weight is None:
        loss = (1 - t) * x + sp
    else:
        pw = _tensor(pos_weight, "pos_weight").astype(x.dtype)
        loss = (1 - t) * x + (1 + (pw - 1) * t) * sp
    if weight is not None:
        loss = loss * _tensor(weight, "weight").astype(x.dtype)
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")



def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """PyTorch's deprecated ``size_average``/``reduce`` flags, when given, decide the reduction."""
    if size_average is None and reduce is None:
        return reduction
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


@named_call("cosine_similarity")
def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim``, after broadcasting
    ``x1`` and ``x2`` together (each is divided by its clamped norm first, as PyTorch does)."""
    a, b = _float_tensor(x1, "cosine_similarity", "x1"), _float_tensor(x2, "cosine_similarity", "x2")
    a, b = _same_dtype(a, b)
    shape = np.broadcast_shapes(a.shape, b.shape)
    if not -len(shape) <= dim < max(len(shape), 1):
        raise IndexError(f"cosine_similarity(): dim {dim} is out of range for shape {shape}")
    a, b = a.expand(shape), b.expand(shape)

    def unit(x):  # the norm accumulates in float32 but is clamped in x's dtype (float16 zeros give NaN, as in PyTorch)
        return x / x.norm(2, dim, keepdim=True).clip(min=eps)

    return (unit(a) * unit(b)).sum(dim)


@named_call("kl_div")
@_float32_inside
def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Pointwise KL divergence of log-probabilities ``input`` from ``target``:
    ``target * (log(target) - input)`` (0 where target is 0), or with ``log_target=True``
    ``exp(target) * (target - input)``. ``reduction``: ``"mean"`` (over all elements),
    ``"batchmean"`` (the sum divided by the batch size: the KL divergence's definition),
    ``"sum"`` or ``"none"``. Shapes broadcast."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"kl_div(): {reduction!r} is not a valid value for reduction "
                         f"(use 'batchmean', 'mean', 'sum' or 'none')")
    x, t = _float_tensor(input, "kl_div"), _tensor(target, "target")
    x, t = _same_dtype(x, t.astype(x.dtype) if t.dtype.kind != "f" else t)
    if log_target:
        loss = t.exp() * (t - x)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf, and 0 * -inf, are masked out
            loss = where(t.data == 0, 0.0, t * t.log()) - t * x
    if reduction == "batchmean" and x.ndim:
        with np.errstate(invalid="ignore"):  # an empty batch gives nan, as in PyTorch
            return loss.sum() / float(x.shape[0])
    if reduction == "batchmean":
        return loss.sum()
    return _reduce(loss, reduction, "kl_div")


def _huber_parts(fn: str, input, target, width: float):
    """|d| for d = input - target, ``inside = |d| < width``, and d^2 / 2 with d clipped to
    [-width, width] (so the quadratic branch never sees a large d: no inf * 0 in its gradient)."""
    x, t = _float_tensor(input, fn), _tensor(target, "target")
    _check_same_shape(fn, x, t)
    x, t = _same_dtype(x, t.astype(x.dtype) if t.dtype.kind != "f" else t)
    d = x - t
    near = d.clip(-width, width)
    return d.abs(), np.abs(d.data) < width, near * near * 0.5


@named_call("smooth_l1_loss")
@_float32_inside
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """``0.5 * d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta`` (d = input - target);
    ``beta=0`` is the L1 loss. Shapes must match."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss(): beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    absolute, inside, half_square = _huber_parts("smooth_l1_loss", input, target, beta)
    return _reduce(where(inside, half_square * (1.0 / beta), absolute - 0.5 * beta), reduction, "smooth_l1_loss")


@named_call("huber_loss")
@_float32_inside
def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None) -> Tensor:
    """``0.5 * d^2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)``: ``delta`` times
    ``smooth_l1_loss`` with ``beta=delta``. ``weight`` (broadcast) multiplies each element's loss.
    Shapes of input and target must match."""
    _check_reduction(reduction, "huber_loss")
    if not delta > 0:
        raise ValueError(f"huber_loss(): delta must be positive, got {delta}")
    absolute, inside, half_square = _huber_parts("huber_loss", input, target, delta)
    loss = where(inside, half_square, (absolute - 0.5 * delta) * delta)
    if weight is not None:
        loss = loss * _tensor(weight, "weight").astype(loss.dtype)
    return _reduce(loss, reduction, "huber_loss")


# The rest of the functional interface lives in topic modules; they import this one, so these
# imports come last.
from .activation import (  # noqa: E402
    celu,
    elu,
    glu,
    hardsigmoid,
    hardswish,
    hardtanh,
    logsigmoid,
    mish,
    relu6,
    selu,
    silu,
    softmin,
    softsign,
)
from .attention import scaled_dot_product_attention  # noqa: E402
from .pooling import avg_pool1d, max_pool1d, max_unpool1d, max_unpool2d  # noqa: E402
from .vision import fold, interpolate, pixel_shuffle, pixel_unshuffle, unfold  # noqa: E402

__all__ += [
    "silu", "elu", "celu", "selu", "mish", "relu6", "hardtanh", "hardsigmoid", "hardswish", "logsigmoid", "softsign",
    "softmin", "glu", "conv1d", "max_pool1d", "avg_pool1d", "max_unpool1d", "max_unpool2d", "interpolate",
    "pixel_shuffle", "pixel_unshuffle", "unfold", "fold", "scaled_dot_product_attention", "cosine_similarity",
    "kl_div", "smooth_l1_loss", "huber_loss",
]
