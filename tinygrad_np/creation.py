"""Factories (``zeros``, ``randn``, ...) and the global random generator."""

from __future__ import annotations

import numbers

import numpy as np

from . import dtypes
from .dtypes import to_array
from .errors import ArgumentError
from .tensor import Tensor, _shape_args, check_device

__all__ = [
    "manual_seed", "zeros", "ones", "full", "empty", "arange", "linspace", "eye", "rand", "randn", "randint",
    "zeros_like", "ones_like", "full_like", "rand_like", "randn_like", "from_numpy", "as_tensor",
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


# Every factory takes PyTorch's ``device=``: None or the CPU (anything else is an error, see check_device).
def _make(data: np.ndarray, requires_grad: bool, device=None, what: str = "tensor()") -> Tensor:
    check_device(device, what)
    t = Tensor._wrap(data, None)
    if requires_grad:
        t.requires_grad = True
    return t


def _size(size, what: str) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` both mean shape (2, 3); a negative size is an error, as in PyTorch."""
    shape = _shape_args(size)
    if any(n < 0 for n in shape):
        raise ArgumentError(f"{what}: negative dimension in size {shape}")
    return shape


def _float_dtype(dtype):
    return np.dtype(dtypes.DEFAULT_FLOAT if dtype is None else dtype)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(np.zeros(_size(size, "zeros()"), _float_dtype(dtype)), requires_grad, device, "zeros()")


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(np.ones(_size(size, "ones()"), _float_dtype(dtype)), requires_grad, device, "ones()")


empty = zeros  # no uninitialised memory: it only hides bugs


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = np.array(fill_value).dtype
        dtype = dtypes.DEFAULT_FLOAT if dtype.kind == "f" else dtype
    return _make(np.full(_size((size,), "full()"), fill_value, dtype=dtype), requires_grad, device, "full()")


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Like ``torch.arange``: integer arguments give int64, any float gives the default float."""
    if end is None:
        start, end = 0, start
    if step == 0 or (end - start) * step < 0:
        raise ArgumentError(f"arange(): step {step} must be nonzero and point from start {start} to end {end}")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = dtypes.DEFAULT_FLOAT if is_float else np.int64
    return _make(np.arange(start, end, step).astype(dtype), requires_grad, device, "arange()")


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad=False) -> Tensor:
    if steps < 0:
        raise ArgumentError(f"linspace(): number of steps must be non-negative, got {steps}")
    return _make(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad, device, "linspace()")


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad=False) -> Tensor:
    if n < 0 or (m is not None and m < 0):
        raise ArgumentError(f"eye(): sizes must be non-negative, got {n} and {m}")
    return _make(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device, "eye()")


def rand(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform on [0, 1)."""
    data = _generator.random(_size(size, "rand()")).astype(_float_dtype(dtype))
    return _make(data, requires_grad, device, "rand()")


def randn(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal."""
    data = _generator.standard_normal(_size(size, "randn()")).astype(_float_dtype(dtype))
    return _make(data, requires_grad, device, "randn()")


def randint(low, high=None, size=(), dtype=np.int64, device=None, requires_grad=False) -> Tensor:
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``, as PyTorch."""
    if high is None or (not isinstance(high, numbers.Number) and size == ()):  # randint(high) or randint(high, size)
        low, high, size = 0, low, (size if high is None else high)
    if low >= high:
        raise ArgumentError(f"randint(): low ({low}) must be less than high ({high})")
    shape = _size((size,), "randint()") if size != () else ()
    return _make(_generator.integers(low, high, size=shape).astype(dtype), requires_grad, device, "randint()")


def zeros_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(np.zeros(np.shape(t), dtype or _like_dtype(t)), requires_grad, device, "zeros_like()")


def ones_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(np.ones(np.shape(t), dtype or _like_dtype(t)), requires_grad, device, "ones_like()")


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _make(np.full(np.shape(t), fill_value, dtype or _like_dtype(t)), requires_grad, device, "full_like()")


def rand_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return rand(np.shape(t), dtype=dtype or _like_dtype(t), device=device, requires_grad=requires_grad)


def randn_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    return randn(np.shape(t), dtype=dtype or _like_dtype(t), device=device, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """Wrap an array without copying (changes to one show in the other, as in PyTorch)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy(): expected an ndarray, got {type(array).__name__}")
    return Tensor._wrap(array, None)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a Tensor, sharing its memory when it can, as ``torch.as_tensor``: a Tensor of the
    asked dtype comes back as it is, and a NumPy array of a numeric dtype (cast first, if another
    dtype is asked) is wrapped without a copy; other data (lists, scalars) is copied as by ``tensor``."""
    check_device(device, "as_tensor()")
    dtype = None if dtype is None else np.dtype(dtype)
    if isinstance(data, Tensor):
        return data if dtype is None else data.astype(dtype)
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return Tensor._wrap(data if dtype is None else data.astype(dtype, copy=False), None)
    return Tensor._wrap(to_array(data, dtype), None)


def _like_dtype(t):
    return t.dtype if hasattr(t, "dtype") else np.asarray(t).dtype
