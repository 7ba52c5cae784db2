"""Factories (``zeros``, ``randn``, ...) and the global random generator."""

from __future__ import annotations

import numpy as np

from . import dtypes
from .tensor import Tensor, _shape_args

__all__ = [
    "manual_seed", "zeros", "ones", "full", "empty", "arange", "linspace", "eye", "rand", "randn", "randint",
    "zeros_like", "ones_like", "full_like", "rand_like", "randn_like", "from_numpy",
]

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the generator behind ``rand``, ``randn``, ``randint``, layer initialisation and dropout."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator() -> np.random.Generator:
    """The generator in force (re-created by :func:`manual_seed`)."""
    return _generator


def _make(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(data, None)
    if requires_grad:
        t.requires_grad = True
    return t


def _float_dtype(dtype):
    return np.dtype(dtypes.DEFAULT_FLOAT if dtype is None else dtype)


def zeros(*size, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.zeros(_shape_args(size), _float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.ones(_shape_args(size), _float_dtype(dtype)), requires_grad)


empty = zeros  # no uninitialised memory: it only hides bugs


def full(size, fill_value, dtype=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = np.array(fill_value).dtype
        dtype = dtypes.DEFAULT_FLOAT if dtype.kind == "f" else dtype
    return _make(np.full(_shape_args((size,)), fill_value, dtype=dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    """Like ``torch.arange``: integer arguments give int64, any float gives float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = dtypes.DEFAULT_FLOAT if is_float else np.int64
    return _make(np.arange(start, end, step).astype(dtype), requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def rand(*size, dtype=None, requires_grad=False) -> Tensor:
    """Uniform on [0, 1)."""
    return _make(_generator.random(_shape_args(size)).astype(_float_dtype(dtype)), requires_grad)


def randn(*size, dtype=None, requires_grad=False) -> Tensor:
    """Standard normal."""
    return _make(_generator.standard_normal(_shape_args(size)).astype(_float_dtype(dtype)), requires_grad)


def randint(low, high=None, size=(), dtype=np.int64) -> Tensor:
    if high is None:
        low, high = 0, low
    return _make(_generator.integers(low, high, size=_shape_args((size,)) if size != () else ()).astype(dtype), False)


def zeros_like(t, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.zeros(np.shape(t), dtype or _like_dtype(t)), requires_grad)


def ones_like(t, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.ones(np.shape(t), dtype or _like_dtype(t)), requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.full(np.shape(t), fill_value, dtype or _like_dtype(t)), requires_grad)


def rand_like(t, dtype=None, requires_grad=False) -> Tensor:
    return rand(np.shape(t), dtype=dtype or _like_dtype(t), requires_grad=requires_grad)


def randn_like(t, dtype=None, requires_grad=False) -> Tensor:
    return randn(np.shape(t), dtype=dtype or _like_dtype(t), requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """Wrap an array without copying (changes to one show in the other, as in PyTorch)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy(): expected an ndarray, got {type(array).__name__}")
    return Tensor._wrap(array, None)


def _like_dtype(t):
    return t.dtype if hasattr(t, "dtype") else np.asarray(t).dtype
