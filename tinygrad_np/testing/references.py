"""NumPy (and SciPy) references of the ops, written for clarity rather than speed, with PyTorch's
argument names and values. The op database (``opinfo``) calls them on float64 copies of the inputs.

SciPy is imported only by the references that need it (``erf``, ``gelu``).
"""

from __future__ import annotations

import math

import numpy as np


# ============================================================================ helpers
def axes_of(dim=None, axis=None, ndim=0):
    """PyTorch's ``dim`` or NumPy's ``axis`` as a tuple of non-negative axes (None: all)."""
    d = dim if dim is not None else axis
    if d is None:
        return None
    d = (d,) if np.ndim(d) == 0 else tuple(d)
    return tuple(int(a) % max(ndim, 1) for a in d) if ndim else ()


def keep_of(keepdim=False, keepdims=None) -> bool:
    return bool(keepdim if keepdims is None else keepdims)


def reduction(fn):
    """``fn(x, axis=, keepdims=)`` called with PyTorch's or NumPy's spelling of the axes."""

    def ref(x, dim=None, keepdim=False, *, axis=None, keepdims=None, **kwargs):
        return fn(x, axis=axes_of(dim, axis, x.ndim), keepdims=keep_of(keepdim, keepdims), **kwargs)

    ref.__name__ = getattr(fn, "__name__", "reduction")
    return ref


def sigmoid(x):
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True) if x.size else np.zeros((1,) * x.ndim)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def _shifted(x, a):
    """x minus its maximum along ``a`` (unmasked, as PyTorch: an infinite maximum makes the row NaN)."""
    if x.size == 0:
        return x
    return x - np.max(x, axis=a, keepdims=True)


def softmax(x, dim=-1, axis=None):
    a = dim if axis is None else axis
    if x.ndim == 0:
        return np.ones_like(x)
    e = np.exp(_shifted(x, a))
    return e / np.sum(e, axis=a, keepdims=True)


def log_softmax(x, dim=-1, axis=None):
    a = dim if axis is None else axis
    if x.ndim == 0:
        return np.zeros_like(x)
    shifted = _shifted(x, a)
    return shifted - np.log(np.sum(np.exp(shifted), axis=a, keepdims=True))


def erf(x):
    from scipy import special

    return special.erf(x)


def variance(x, dim=None, keepdim=False, *, axis=None, keepdims=None, correction=None, unbiased=None, ddof=None):
    corr = next((c for c in (correction, ddof) if c is not None), 1 if unbiased is None else int(unbiased))
    return np.var(x, axis=axes_of(dim, axis, x.ndim), keepdims=keep_of(keepdim, keepdims), ddof=corr)


def std(x, *args, **kwargs):
    return np.sqrt(variance(x, *args, **kwargs))


def norm(x, p=2, dim=None, keepdim=False, *, axis=None, keepdims=None):
    a, k = axes_of(dim, axis, x.ndim), keep_of(keepdim, keepdims)
    p = 2 if p == "fro" else p
    if p == 0:  # the number of nonzero elements
        return np.sum(x != 0, axis=a, keepdims=k).astype(x.dtype)
    if p == np.inf:
        return np.max(np.abs(x), axis=a, keepdims=k)
    if p == -np.inf:
        return np.min(np.abs(x), axis=a, keepdims=k)
    return np.sum(np.abs(x) ** p, axis=a, keepdims=k) ** (1 / p)


def extreme(kind):
    """max/min as PyTorch has them: all elements, ``dim`` (values and first indices), NumPy's axis, or
    another tensor (elementwise)."""
    values, index = (np.max, np.argmax) if kind == "max" else (np.min, np.argmin)

    def ref(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if isinstance(dim, np.ndarray):
            return (np.maximum if kind == "max" else np.minimum)(x, dim)
        if np.ndim(dim) == 0 and dim is not None and axis is None:  # PyTorch's (values, indices)
            if x.ndim == 0:
                return x.copy(), np.asarray(0)
            i = np.expand_dims(index(x, axis=dim), dim)
            v = np.take_along_axis(x, i, dim)
            return (v, i) if keepdim else (v.squeeze(dim), i.squeeze(dim))
        return values(x, axis=axes_of(dim, axis, x.ndim), keepdims=keep_of(keepdim, keepdims))

    ref.__name__ = kind
    return ref


def arg_extreme(fn):
    def ref(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
        a = axes_of(dim, axis, x.ndim)
        k = keep_of(keepdim, keepdims)
        if a is None:
            out = fn(x.reshape(-1)) if x.ndim else np.asarray(0)
            return out.reshape((1,) * x.ndim) if k else out
        return fn(x, axis=a[0], keepdims=k) if x.ndim else np.asarray(0)

    return ref


def sort(x, dim=-1, descending=False, *, axis=None):
    """Stable, with NaN the largest value (last ascending, first descending), as PyTorch."""
    a = dim if axis is None else axis
    if x.ndim == 0:
        return x.copy(), np.asarray(0)
    moved = np.moveaxis(x, a, -1)
    if not descending:
        order = np.argsort(moved, axis=-1, kind="stable")
    else:
        wide = moved.astype(np.float64 if x.dtype.kind == "f" else np.int64)
        nan = np.isnan(wide) if x.dtype.kind == "f" else np.zeros(wide.shape, bool)
        order = np.lexsort((np.where(nan, 0, -wide), ~nan), axis=-1)  # NaN first, then the largest
    order = np.moveaxis(order, -1, a)
    return np.take_along_axis(x, order, a), order


def argsort(x, dim=-1, descending=False, *, axis=None):
    return sort(x, dim, descending, axis=axis)[1]


def topk(x, k, dim=-1, largest=True, sorted=True):
    values, indices = sort(x, dim, descending=largest)
    return np.take(values, np.arange(k), axis=dim), np.take(indices, np.arange(k), axis=dim)


def cumsum(x, dim=None, *, axis=None):
    a = dim if axis is None else axis
    if x.ndim == 0:
        return np.cumsum(x).reshape(())
    out = np.cumsum(x, axis=a)
    return out.astype(np.int64) if x.dtype.kind in "biu" else out


def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return x.reshape(1)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:])


def squeeze(x, dim=None, *, axis=None):
    a = axes_of(dim, axis, x.ndim)
    if a is None:
        return np.squeeze(x)
    return np.squeeze(x, axis=tuple(i for i in a if x.ndim and x.shape[i] == 1))


def transpose(x, *dims):
    if not dims:
        return x.T
    if len(dims) == 2 and all(np.ndim(d) == 0 for d in dims):
        return np.swapaxes(x, *dims)
    return np.transpose(x, dims[0] if len(dims) == 1 else dims)


def permute(x, *dims):
    return np.transpose(x, dims[0] if len(dims) == 1 and not np.isscalar(dims[0]) else dims)


def shape_arg(shape):
    return tuple(shape[0]) if len(shape) == 1 and not np.isscalar(shape[0]) else tuple(shape)


def expand(x, *shape):
    shape = shape_arg(shape)
    lead = len(shape) - x.ndim
    return np.broadcast_to(x, tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(shape)))


def flip(x, *dims):
    return np.flip(x, shape_arg(dims)) if dims else x.copy()


def split(x, split_size_or_sections, dim=0):
    n = x.shape[dim]
    if np.ndim(split_size_or_sections) == 0:
        s = int(split_size_or_sections)
        cuts = list(range(s, n, s))
    else:
        cuts = np.cumsum(split_size_or_sections)[:-1].tolist()
    return tuple(np.split(x, cuts, axis=dim))


def chunk(x, chunks, dim=0):
    return split(x, max(1, -(-x.shape[dim] // chunks)), dim)


def unbind(x, dim=0):
    return tuple(np.moveaxis(x, dim, 0))


def repeat(x, *sizes):
    return np.tile(x, shape_arg(sizes))


def torch_pad_widths(ndim, pad):
    """PyTorch's flat (left, right, top, bottom, ...) padding, or NumPy's pairs, as NumPy's pairs."""
    pad = tuple(pad)
    if pad and isinstance(pad[0], (tuple, list)):
        return [tuple(p) for p in pad]
    pairs = [tuple(pad[i:i + 2]) for i in range(0, len(pad), 2)]
    return [(0, 0)] * (ndim - len(pairs)) + pairs[::-1]


def pad(x, pad, value=0.0):
    return np.pad(x, torch_pad_widths(x.ndim, pad), constant_values=value)


def gather(x, dim, index):
    leading = tuple(slice(None) if a == dim % x.ndim else slice(n) for a, n in enumerate(index.shape))
    return np.take_along_axis(x[leading], index, dim)


def where(condition, a, b):
    return np.where(condition, a, b)


def masked_fill(x, mask, value):
    return np.where(mask, value, x).astype(x.dtype)


def sign(x):
    """sign, with PyTorch's sign(NaN) = 0 and bools left as they are."""
    return x.copy() if x.dtype == np.bool_ else np.where(np.isnan(x), 0, np.sign(x)).astype(x.dtype)


def getitem(x, index):
    """``x[index]`` with PyTorch's placement rule: integer indices select first (they are not advanced
    indices), so ``t[0, :, [0, 1]]`` of a (2, 3, 4) tensor is (3, 2) where NumPy gives (2, 3)."""
    parts = index if isinstance(index, tuple) else (index,)
    if not any(isinstance(p, (int, np.integer)) for p in parts) or not any(
            isinstance(p, (list, np.ndarray)) for p in parts):
        return x[index]
    if any(p is Ellipsis for p in parts):
        at = parts.index(Ellipsis)
        used = sum(p is not None for p in parts if p is not Ellipsis)
        parts = parts[:at] + (slice(None),) * (x.ndim - used) + parts[at + 1:]
    dim, rest = 0, []
    for p in parts:
        if isinstance(p, (int, np.integer)):
            x = np.take(x, p, axis=dim)
            continue
        rest.append(p)
        dim += p is not None
    return x[tuple(rest)]


def einsum(spec, *operands):
    return np.einsum(spec, *operands)


def floor_divide(a, b):
    return np.floor_divide(a, b)


def remainder(a, b):
    return np.remainder(a, b)


def positive(x):
    return x.copy()


def gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))
