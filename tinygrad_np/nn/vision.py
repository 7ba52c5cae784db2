"""Resampling and rearranging images: ``F.interpolate`` (+ ``nn.Upsample``), ``F.pixel_shuffle`` /
``F.pixel_unshuffle`` (+ modules) and ``F.unfold`` / ``F.fold`` (+ ``nn.Unfold`` / ``nn.Fold``).

All are composed from indexing, reshapes and the window ops of :mod:`.primitives`, so their
gradients (of any order) come from the engine.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..autograd import named_call
from ..errors import ArgumentError
from ..tensor import Tensor
from . import functional as F
from .module import Module
from .primitives import col2im, window_output_size, windows

__all__ = [
    "interpolate", "pixel_shuffle", "pixel_unshuffle", "unfold", "fold", "Upsample", "UpsamplingNearest2d",
    "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle", "Unfold", "Fold",
]

# the linear modes and the number of spatial axes each one needs
_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}
_NEAREST = ("nearest", "nearest-exact")


# ============================================================================ interpolate
def _per_axis(value, d: int, name: str, cast) -> list:
    if isinstance(value, numbers.Number):
        return [cast(value)] * d
    value = [cast(v) for v in value]
    if len(value) != d:
        raise ValueError(f"interpolate(): {name} {tuple(value)} must have one entry per spatial dimension of the "
                         f"input ({d}), for input of shape (N, C, d1, ..., d{d})")
    return value


def _nearest_index(n_in: int, n_out: int, scale, exact: bool) -> np.ndarray:
    """Source index of each output position: ``floor(dst * scale)`` (``nearest``) or
    ``floor((dst + 0.5) * scale)`` (``nearest-exact``), clamped to the input. The scale is
    ``1 / scale_factor`` if given, else ``n_in / n_out``, in float32 arithmetic and with exact
    shortcuts for same size and doubling, as PyTorch's kernels compute it."""
    dst = np.arange(n_out)
    if n_out == n_in:
        return dst
    if n_out == 2 * n_in:
        return dst // 2
    step = np.float32(1.0 / scale) if scale else np.float32(n_in) / np.float32(n_out)
    src = np.floor((dst.astype(np.float32) + np.float32(0.5 if exact else 0.0)) * step)
    return np.minimum(src.astype(np.int64), n_in - 1)


def _linear_weights(n_in: int, n_out: int, scale, align_corners: bool, dtype) -> tuple:
    """Each output position between input positions i0 and i1 = min(i0 + 1, n_in - 1), at
    fraction ``lam`` from i0 (PyTorch's source positions, computed in the input's precision)."""
    dst = np.arange(n_out, dtype=dtype)
    if align_corners:  # the corner pixels' centres coincide
        src = dst * dtype.type((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:  # the corner pixels' outer edges coincide; positions before the first centre use it
        step = dtype.type(1.0 / scale) if scale else dtype.type(n_in) / dtype.type(n_out)
        src = np.maximum((dst + dtype.type(0.5)) * step - dtype.type(0.5), 0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0, 0, 1).astype(dtype)
    return i0, np.minimum(i0 + 1, n_in - 1), lam


def _take(x: Tensor, axis: int, index: np.ndarray) -> Tensor:
    return x[(slice(None),) * axis + (index,)]


@named_call("interpolate")
def interpolate(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize (N, C, *spatial) input to ``size``, or by ``scale_factor`` (output size
    ``floor(n * scale_factor)``), as PyTorch does.

    Modes: ``"nearest"`` (source index ``floor(dst * scale)``), ``"nearest-exact"``, and the linear
    ``"linear"`` (3-D input), ``"bilinear"`` (4-D) and ``"trilinear"`` (5-D), which take
    ``align_corners`` (default False). With ``scale_factor`` the sampling uses ``1 / scale_factor``
    unless ``recompute_scale_factor=True`` (then it uses the sizes, as with ``size``).
    """
    x = F._float_tensor(input, "interpolate")
    if x.ndim not in (3, 4, 5):
        raise ValueError(f"interpolate(): expected 3-D, 4-D or 5-D input (N, C, d1, ...), got shape {x.shape}")
    d = x.ndim - 2
    if mode not in _NEAREST and mode not in _LINEAR:
        if mode in ("bicubic", "area", "lanczos"):
            raise NotImplementedError(f"interpolate(): mode {mode!r} is not implemented here; "
                                      f"use 'nearest', 'nearest-exact', 'linear', 'bilinear' or 'trilinear'")
        raise ValueError(f"interpolate(): unknown mode {mode!r}")
    if mode in _LINEAR and _LINEAR[mode] != d:
        raise NotImplementedError(f"interpolate(): got {x.ndim}-D input, but {mode} mode needs "
                                  f"{_LINEAR[mode] + 2}-D input")
    if align_corners is not None and mode not in _LINEAR:
        raise ValueError("interpolate(): align_corners can only be set with the interpolating modes: "
                         "linear | bilinear | trilinear")
    if antialias:
        raise NotImplementedError("interpolate(): antialias=True is not implemented")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate(): give exactly one of size and scale_factor"
                         + (", not both" if size is not None else ""))
    if size is not None:
        out_sizes, scales = _per_axis(size, d, "size", int), [None] * d
    else:
        factors = _per_axis(scale_factor, d, "scale_factor", float)
        out_sizes = [math.floor(n * f) for n, f in zip(x.shape[2:], factors)]
        scales = [None] * d if recompute_scale_factor else factors
    if any(n <= 0 for n in x.shape[2:] + tuple(out_sizes)):
        raise ValueError(f"interpolate(): input and output sizes must be positive, got input {x.shape[2:]} "
                         f"and output {tuple(out_sizes)}")
    dtype = np.result_type(x.dtype, np.float32)
    for axis, n_out, scale in zip(range(2, x.ndim), out_sizes, scales):
        n_in = x.shape[axis]
        if mode in _NEAREST:
            x = _take(x, axis, _nearest_index(n_in, n_out, scale, mode == "nearest-exact"))
            continue
        i0, i1, lam = _linear_weights(n_in, n_out, scale, bool(align_corners), dtype)
        lam = Tensor._wrap(lam.astype(x.dtype).reshape((n_out,) + (1,) * (x.ndim - axis - 1)), None)
        x = _take(x, axis, i0) * (1 - lam) + _take(x, axis, i1) * lam  # separable: one axis at a time
    return x


class Upsample(Module):
    """``interpolate`` as a module: ``Upsample(scale_factor=2, mode="bilinear")``."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.size, self.mode, self.align_corners = size, mode, align_corners
        if isinstance(scale_factor, numbers.Number):
            scale_factor = float(scale_factor)
        elif scale_factor is not None:
            scale_factor = tuple(float(f) for f in scale_factor)
        self.scale_factor, self.recompute_scale_factor = scale_factor, recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"scale_factor={self.scale_factor}" if self.scale_factor is not None else f"size={self.size}"
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(size, scale_factor, mode="nearest")``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(size, scale_factor, mode="bilinear", align_corners=True)``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


# ============================================================================ pixel shuffle
def _factor(value, fn: str, name: str) -> int:
    if not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{fn}(): {name} must be a positive integer, got {value!r}")
    return int(value)


@named_call("pixel_shuffle")
def pixel_shuffle(input, upscale_factor: int) -> Tensor:
    """(*, C * r^2, H, W) -> (*, C, H * r, W * r): each group of r^2 channels becomes an r x r
    block of pixels (sub-pixel convolution's upsampling)."""
    x = F._tensor(input)
    r = _factor(upscale_factor, "pixel_shuffle", "upscale_factor")
    if x.ndim < 3:
        raise ArgumentError(f"pixel_shuffle(): expects input with at least 3 dimensions, got shape {x.shape}")
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise ArgumentError(f"pixel_shuffle(): the channel dimension ({c}) must be divisible by upscale_factor**2 "
                            f"({r * r})")
    k = len(lead)
    blocks = x.reshape(*lead, c // (r * r), r, r, h, w).permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return blocks.reshape(*lead, c // (r * r), h * r, w * r)


@named_call("pixel_unshuffle")
def pixel_unshuffle(input, downscale_factor: int) -> Tensor:
    """(*, C, H * r, W * r) -> (*, C * r^2, H, W): the inverse of ``pixel_shuffle``."""
    x = F._tensor(input)
    r = _factor(downscale_factor, "pixel_unshuffle", "downscale_factor")
    if x.ndim < 3:
        raise ArgumentError(f"pixel_unshuffle(): expects input with at least 3 dimensions, got shape {x.shape}")
    *lead, c, h, w = x.shape
    if h % r or w % r:
        raise ArgumentError(f"pixel_unshuffle(): height {h} and width {w} must be divisible by downscale_factor {r}")
    k = len(lead)
    blocks = x.reshape(*lead, c, h // r, r, w // r, r).permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return blocks.reshape(*lead, c * r * r, h // r, w // r)


class PixelShuffle(Module):
    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


# ============================================================================ unfold / fold
def _window_args(fn: str, kernel_size, dilation, padding, stride) -> tuple:
    kernel, dilation = F._tuple(kernel_size, 2, "kernel_size"), F._tuple(dilation, 2, "dilation")
    padding, stride = F._tuple(padding, 2, "padding"), F._tuple(stride, 2, "stride")
    if min(kernel + dilation + stride) < 1 or min(padding) < 0:
        raise ArgumentError(f"{fn}(): kernel_size {kernel}, dilation {dilation} and stride {stride} must be positive "
                            f"and padding {padding} non-negative")
    return kernel, dilation, padding, stride


@named_call("unfold")
def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Every sliding window of (N, C, H, W) (or (C, H, W)) input as a column: (N, C * kh * kw, L),
    L the number of windows; each column lists its window channel by channel, row by row (im2col)."""
    x, unbatched = F._spatial_input(input, "unfold")
    kernel, dilation, padding, stride = _window_args("unfold", kernel_size, dilation, padding, stride)
    x = F._padded(x, tuple((p, p) for p in padding))
    oh, ow = F._check_windows("unfold", x.shape[2:], kernel, stride, dilation)
    n, c = x.shape[:2]
    cols = windows(x, kernel, stride, dilation).permute(0, 1, 4, 5, 2, 3)  # (N, C, kh, kw, OH, OW)
    cols = cols.reshape(n, c * kernel[0] * kernel[1], oh * ow)
    return cols.squeeze(0) if unbatched else cols


@named_call("fold")
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """The transpose of ``unfold``: columns (N, C * kh * kw, L) (or (C * kh * kw, L)) summed back
    into an (N, C, *output_size) image, overlapping windows adding up (col2im)."""
    x = F._float_tensor(input, "fold")
    if x.ndim not in (2, 3):
        raise ArgumentError(f"fold(): expected a 2-D (unbatched) or 3-D (batched) input, got shape {x.shape}")
    unbatched = x.ndim == 2
    if unbatched:
        x = x.unsqueeze(0)
    size = F._tuple(output_size, 2, "output_size")
    kernel, dilation, padding, stride = _window_args("fold", kernel_size, dilation, padding, stride)
    n, rows, length = x.shape
    if rows % (kernel[0] * kernel[1]):
        raise ArgumentError(f"fold(): input.shape[-2] = {rows} must be divisible by the kernel's size {kernel}")
    padded = tuple(s + 2 * p for s, p in zip(size, padding))
    oh, ow = (window_output_size(*a) for a in zip(padded, kernel, stride, dilation))
    if oh < 1 or ow < 1 or oh * ow != length:
        raise ArgumentError(f"fold(): output_size {size} with kernel_size {kernel}, dilation {dilation}, padding "
                            f"{padding} and stride {stride} has {max(oh, 0)} x {max(ow, 0)} windows, but the input "
                            f"has {length} columns")
    c = rows // (kernel[0] * kernel[1])
    cols = x.reshape(n, c, kernel[0], kernel[1], oh, ow).permute(0, 1, 4, 5, 2, 3)  # (N, C, OH, OW, kh, kw)
    out = col2im(cols, (n, c) + padded, kernel, stride, dilation)
    if any(padding):
        out = out[:, :, padding[0]:padding[0] + size[0], padding[1]:padding[1] + size[1]]
    return out.squeeze(0) if unbatched else out


class _Windows(Module):
    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Unfold(_Windows):
    """``unfold`` as a module."""

    def forward(self, input):
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)


class Fold(_Windows):
    """``fold`` as a module."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__(kernel_size, dilation, padding, stride)
        self.output_size = output_size

    def forward(self, input):
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, " + super().extra_repr()
