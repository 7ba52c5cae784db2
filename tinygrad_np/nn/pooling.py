"""1-D pooling and max-unpooling: ``F.max_pool1d``, ``F.avg_pool1d``, ``F.max_unpool1d``,
``F.max_unpool2d`` and their modules. A 1-D pool is the 2-D pool of a height-1 image; unpooling
is a gather from the pooled values (so its gradient is a scatter-add, from the engine)."""

from __future__ import annotations

import numpy as np

from ..autograd import named_call
from ..errors import ArgumentError
from ..tensor import Tensor, where
from . import functional as F
from .layers import _MaxPoolNd
from .module import Module

__all__ = [
    "max_pool1d", "avg_pool1d", "max_unpool1d", "max_unpool2d", "MaxPool1d", "AvgPool1d", "MaxUnpool1d",
    "MaxUnpool2d",
]


@named_call("max_pool1d")
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Maximum over each window of (N, C, L) (or (C, L)) input; as ``max_pool2d`` otherwise
    (indices are positions along L)."""
    return F._max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool1d", d=1)


@named_call("avg_pool1d")
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over each window of (N, C, L) (or (C, L)) input; as ``avg_pool2d`` otherwise."""
    return F._avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, "avg_pool1d", d=1)


def _unpool_size(fn: str, size: tuple, kernel, stride, padding, output_size) -> tuple:
    """PyTorch's output size: ``(n - 1) * stride - 2 * padding + kernel`` per axis, or the last
    axes of ``output_size``, each strictly within ``stride`` of that default."""
    default = tuple((n - 1) * s - 2 * p + k for n, k, s, p in zip(size, kernel, stride, padding))
    if output_size is None:
        return default
    output_size = tuple(int(v) for v in output_size)[-len(size):]
    if len(output_size) != len(size):
        raise ValueError(f"{fn}(): output_size must have {len(size)} (or {len(size) + 2}) elements, got {output_size}")
    for axis, (want, d, s) in enumerate(zip(output_size, default, stride)):
        if not d - s < want < d + s:
            raise ValueError(f"{fn}(): invalid output_size {output_size} (dim {axis} must be between {d - s} and "
                             f"{d + s}, exclusive)")
    return output_size


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, fn: str, d: int) -> Tensor:
    x = F._float_tensor(input, fn)
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype != np.int64:
        raise TypeError(f"{fn}(): indices must be int64 (as max_pool returns them), got {idx.dtype}")
    if idx.shape != x.shape:
        raise ArgumentError(f"{fn}(): indices of shape {idx.shape} must have the input's shape {x.shape}")
    if x.ndim not in (d + 1, d + 2):
        raise ArgumentError(f"{fn}(): expected a {d + 1}-D (unbatched) or {d + 2}-D (batched) input, got shape "
                            f"{x.shape}")
    kernel = F._tuple(kernel_size, d, "kernel_size")
    stride = kernel if stride is None else F._tuple(stride, d, "stride")
    padding = F._tuple(padding, d, "padding")
    size = _unpool_size(fn, x.shape[-d:], kernel, stride, padding, output_size)
    lead, plane = x.shape[:-d], int(np.prod(size))
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"{fn}(): found an invalid max index {bad} (the output planes have {size} elements)")
    # out[p] = x[the first input element whose index is p]: a gather, whose gradient the engine scatters back
    planes = int(np.prod(lead))
    per_plane = idx.reshape(planes, int(np.prod(x.shape[-d:])))
    targets = (per_plane + plane * np.arange(planes)[:, None]).ravel()
    source = np.full(planes * plane, targets.size, dtype=np.int64)
    np.minimum.at(source, targets, np.arange(targets.size))  # with repeated indices the first one wins
    hit = source < targets.size
    picked = x.reshape(-1)[np.where(hit, source, 0)]
    return where(hit, picked, 0.0).reshape(lead + size)


@named_call("max_unpool2d")
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """The partial inverse of ``max_pool2d``: each value of (N, C, H, W) ``input`` goes to the
    position ``indices`` names in its (H_out, W_out) plane, zeros elsewhere. Output size
    ``(H - 1) * stride - 2 * padding + kernel_size`` per axis, or ``output_size``."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, "max_unpool2d", 2)


@named_call("max_unpool1d")
def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """``max_unpool2d`` for (N, C, L) input and the indices of ``max_pool1d``."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, "max_unpool1d", 1)


# ============================================================================ modules
class MaxPool1d(_MaxPoolNd):
    """Max over windows of (N, C, L) input; ``stride`` defaults to ``kernel_size``."""

    _function = staticmethod(max_pool1d)


class AvgPool1d(Module):
    """Mean over windows of (N, C, L) input; ``stride`` defaults to ``kernel_size``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _MaxUnpool(Module):
    """Unpooling with fixed ``kernel_size``, ``stride`` (default: the kernel) and ``padding``:
    ``unpool(pooled, indices, output_size=None)``."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding

    def forward(self, input, indices, output_size=None):
        return self._function(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool2d(_MaxUnpool):
    """``max_unpool2d`` as a module: ``MaxUnpool2d(2)(pooled, indices)``."""

    _function = staticmethod(max_unpool2d)


class MaxUnpool1d(_MaxUnpool):
    """``max_unpool1d`` as a module."""

    _function = staticmethod(max_unpool1d)
