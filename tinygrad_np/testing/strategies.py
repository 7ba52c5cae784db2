"""Hypothesis strategies for arrays, tensors, shapes and axes (built on ``hypothesis.extra.numpy``)."""

from __future__ import annotations

import math
import numbers

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..tensor import Tensor

__all__ = ["ndarrays", "tensors", "broadcastable_shapes", "valid_axes", "DEFAULT_SHAPES"]

#: shapes used when none are given: 0 to 3 dimensions of 1 to 4 elements (small, so checks stay fast)
DEFAULT_SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)

#: the spacing used by ``distinct=True``
DEFAULT_GAP = 1e-3


def _representable(value: float, dtype: np.dtype, towards: float) -> float:
    """``value`` rounded into ``dtype``, moving towards ``towards`` if rounding left the interval."""
    v = dtype.type(value)
    if (towards > value and v < value) or (towards < value and v > value):
        v = np.nextafter(v, dtype.type(towards))
    return float(v)


def _float_elements(lo: float, hi: float, dtype: np.dtype, min_magnitude) -> st.SearchStrategy:
    lo, hi = _representable(lo, dtype, hi), _representable(hi, dtype, lo)
    kw = {"allow_nan": False, "allow_infinity": False, "allow_subnormal": False, "width": dtype.itemsize * 8}
    if not min_magnitude:
        return st.floats(lo, hi, **kw)
    m = float(min_magnitude)
    parts = []
    if hi >= m:
        parts.append(st.floats(_representable(max(lo, m), dtype, hi), hi, **kw))
    if lo <= -m:
        parts.append(st.floats(lo, _representable(min(hi, -m), dtype, lo), **kw))
    if not parts:
        raise ValueError(f"no value in [{lo}, {hi}] has magnitude >= {m}")
    return st.one_of(parts)


def _grid_elements(lo: float, hi: float, gap: float, dtype: np.dtype, min_magnitude) -> st.SearchStrategy:
    """Multiples of ``gap`` in [lo, hi]: distinct draws are then at least ``gap`` apart."""
    k_lo, k_hi = math.ceil(lo / gap), math.floor(hi / gap)
    if min_magnitude:
        k_min = math.ceil(float(min_magnitude) / gap)
        parts = [st.integers(max(k_lo, k_min), k_hi)] if k_hi >= max(k_lo, k_min) else []
        if k_lo <= min(k_hi, -k_min):
            parts.append(st.integers(k_lo, min(k_hi, -k_min)))
        if not parts:
            raise ValueError(f"no multiple of {gap} in [{lo}, {hi}] has magnitude >= {min_magnitude}")
        ks = st.one_of(parts)
    else:
        if k_hi < k_lo:
            raise ValueError(f"no multiple of {gap} in [{lo}, {hi}]")
        ks = st.integers(k_lo, k_hi)
    return ks.map(lambda k: dtype.type(k * gap))


def _elements(elements, dtype: np.dtype, min_magnitude, distinct) -> st.SearchStrategy:
    if isinstance(elements, st.SearchStrategy):
        if min_magnitude or distinct:
            raise ValueError("min_magnitude and distinct need elements given as (low, high) bounds")
        return elements
    if dtype.kind == "b":
        return st.booleans()
    lo, hi = elements
    if dtype.kind in "iu":
        if distinct or min_magnitude:
            raise ValueError("distinct and min_magnitude are for float arrays (use unique integers via elements=)")
        return st.integers(math.ceil(lo), math.floor(hi))
    if distinct:
        gap = DEFAULT_GAP if distinct is True else float(distinct)
        return _grid_elements(lo, hi, gap, dtype, min_magnitude)
    return _float_elements(lo, hi, dtype, min_magnitude)


def ndarrays(shape=None, *, dtype=np.float64, elements=(-10.0, 10.0), min_magnitude=None, distinct=False):
    """A strategy for NumPy arrays.

    Args:
        shape: a tuple, an int, or a strategy of shapes. Default :data:`DEFAULT_SHAPES`
            (0 to 3 dimensions of 1 to 4 elements).
        dtype: float64 by default; float32, integer and bool dtypes work too.
        elements: ``(low, high)`` bounds (inclusive; no NaN, inf or subnormals), or any
            hypothesis strategy of scalars.
        min_magnitude: if set, every element has ``|x| >= min_magnitude``: keeps inputs away
            from kinks at 0 (relu, abs) and poles (1/x).
        distinct: True, or a gap ``g`` (True means 1e-3): all elements are multiples of ``g``
            and pairwise different, hence at least ``g`` apart. Use it where ties are kinks
            (max, min, maximum, sorting) so that finite differences never cross one.
    """
    dtype = np.dtype(dtype)
    shape = DEFAULT_SHAPES if shape is None else shape
    return hnp.arrays(dtype, shape, elements=_elements(elements, dtype, min_magnitude, distinct),
                      unique=bool(distinct))


def tensors(shape=None, *, dtype=np.float64, elements=(-10.0, 10.0), min_magnitude=None, distinct=False,
            requires_grad=None):
    """A strategy for Tensors; arguments as for :func:`ndarrays`.

    ``requires_grad`` defaults to True for float dtypes and False otherwise (integer tensors
    cannot require a gradient).
    """
    dtype = np.dtype(dtype)
    if requires_grad is None:
        requires_grad = dtype.kind == "f"
    if requires_grad and dtype.kind != "f":
        raise ValueError(f"tensors(): a {dtype} tensor cannot require grad; pass requires_grad=False")
    arrays = ndarrays(shape, dtype=dtype, elements=elements, min_magnitude=min_magnitude, distinct=distinct)
    return arrays.map(lambda a: Tensor(a, requires_grad=requires_grad))


def broadcastable_shapes(num_shapes=None, *, min_dims=0, max_dims=3, min_side=1, max_side=4, base_shape=(),
                         signature=None):
    """A strategy for a tuple of ``num_shapes`` (default 2) mutually broadcastable shapes.

    Sizes of 1 and missing leading dimensions both appear, so the gradients of broadcast
    inputs are exercised. ``base_shape``: every shape also broadcasts with it. ``signature``: a
    generalised-ufunc signature instead of ``num_shapes``, e.g. ``np.matmul.signature``
    (``"(n?,k),(k,m?)->(n?,m?)"``) for matmul operands with broadcast batch dimensions;
    ``min_dims``/``max_dims`` then count the batch dimensions only.
    """
    if signature is not None:
        if num_shapes is not None:
            raise TypeError("broadcastable_shapes(): pass num_shapes or signature, not both")
        strategy = hnp.mutually_broadcastable_shapes(signature=signature, base_shape=base_shape, min_dims=min_dims,
                                                     max_dims=max_dims, min_side=min_side, max_side=max_side)
    else:
        strategy = hnp.mutually_broadcastable_shapes(num_shapes=2 if num_shapes is None else num_shapes,
                                                     base_shape=base_shape, min_dims=min_dims, max_dims=max_dims,
                                                     min_side=min_side, max_side=max_side)
    return strategy.map(lambda b: tuple(b.input_shapes))


def valid_axes(ndim: int, *, allow_none=True, allow_tuple=True, min_size=1, max_size=None, with_keepdims=False):
    """A strategy for the ``axis`` argument of a reduction over an ``ndim``-dimensional array.

    Draws an int in ``[-ndim, ndim)``, a tuple of distinct such ints (``min_size`` to
    ``max_size`` of them; negative ones included) or None (all axes). Set
    ``allow_tuple=False, allow_none=False`` for ops that take a single axis (softmax).
    With ``with_keepdims=True`` it draws keyword dictionaries ``{"axis": ..., "keepdims": bool}``
    instead, ready for ``op_property_test(kwargs=...)``.
    """
    if not isinstance(ndim, numbers.Integral) or ndim < 0:
        raise ValueError(f"valid_axes(): ndim must be a non-negative int, got {ndim!r}")
    options = []
    if ndim > 0:
        options.append(st.integers(-ndim, ndim - 1))
    if allow_tuple and ndim >= min_size:
        options.append(hnp.valid_tuple_axes(ndim, min_size=min_size, max_size=max_size))
    if allow_none:
        options.append(st.none())
    axes = st.one_of(options) if options else st.nothing()
    if with_keepdims:
        return st.fixed_dictionaries({"axis": axes, "keepdims": st.booleans()})
    return axes
