"""Dtypes and PyTorch's type promotion, shared by every op that takes two operands."""

from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_FLOAT", "PYTHON_SCALARS", "result_dtype", "to_array", "get_default_dtype", "set_default_dtype",
           "finfo", "iinfo"]

# The default float dtype: what Python floats, float factories and integer-to-float promotion give.
# ``set_default_dtype`` rebinds it, so other modules read it here at call time (``dtypes.DEFAULT_FLOAT``),
# never as a copy made at import.
DEFAULT_FLOAT = np.dtype(np.float32)
PYTHON_SCALARS = (float, int, bool)


def get_default_dtype() -> np.dtype:
    """The default float dtype (float32 unless :func:`set_default_dtype` changed it), as ``torch.get_default_dtype``."""
    return DEFAULT_FLOAT


def set_default_dtype(dtype) -> None:
    """Make ``dtype`` (float32, float64 or float16) the default float dtype, as ``torch.set_default_dtype``: it is
    then the dtype of Python floats in ``Tensor(...)``, of float factories (``zeros``, ``randn``, ...), of new layers'
    parameters, and of integer tensors promoted to float (``int_tensor / 2``, ``int_tensor.exp()``)."""
    global DEFAULT_FLOAT
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype(): only floating-point types can be the default, got {dtype}")
    DEFAULT_FLOAT = dtype


class finfo:
    """Limits of a float dtype (default: the default float), as ``torch.finfo``: ``bits``, ``eps``, ``max``,
    ``min``, ``tiny`` (= ``smallest_normal``) and ``resolution``, as Python floats."""

    def __init__(self, dtype=None):
        dtype = DEFAULT_FLOAT if dtype is None else np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"finfo(): expected a floating-point dtype, got {dtype}; use iinfo for integers")
        info = np.finfo(dtype)
        self.dtype, self.bits = str(dtype), int(info.bits)
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min}, max={self.max}, eps={self.eps}, "
                f"smallest_normal={self.smallest_normal}, tiny={self.tiny}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype, as ``torch.iinfo``: ``bits``, ``max`` and ``min``, as Python ints."""

    def __init__(self, dtype):
        dtype = np.dtype(dtype)
        if dtype.kind not in "iu":
            raise TypeError(f"iinfo(): expected an integer dtype, got {dtype}; use finfo for floats")
        info = np.iinfo(dtype)
        self.dtype, self.bits, self.max, self.min = str(dtype), int(info.bits), int(info.max), int(info.min)

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def result_dtype(a: np.dtype, b: np.dtype, a_ndim: int = 1, b_ndim: int = 1) -> np.dtype:
    """PyTorch's promotion between two tensors: a float beats any int/bool (int64 * float32 -> float32),
    and a 0-d tensor does not upcast a tensor with dimensions of its category or above (float16 + a 0-d
    float32 tensor is float16, uint8 - a 0-d int64 tensor is uint8, int32 * a 0-d float64 is float64)."""
    if (a_ndim == 0) != (b_ndim == 0):
        zero_d, dimensioned = (a, b) if a_ndim == 0 else (b, a)
        if _CATEGORY[zero_d.kind] <= _CATEGORY[dimensioned.kind]:
            return dimensioned
    a_float, b_float = a.kind == "f", b.kind == "f"
    if a_float and not b_float:
        return a
    if b_float and not a_float:
        return b
    return np.result_type(a, b)


def to_array(data, dtype=None) -> np.ndarray:
    """User data as a new array with PyTorch's dtype defaults (copying, like ``torch.tensor``)."""
    if dtype is not None:
        dtype = np.dtype(dtype)
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        arr = np.array(data, dtype=dtype)
    else:
        try:
            arr = np.array(data, dtype=dtype)
        except (ValueError, TypeError) as e:
            raise TypeError(f"Tensor(): cannot make a numeric tensor from {type(data).__name__}: "
                            f"{str(e).rstrip('.')}. Nested lists "
                            f"must be rectangular (every row of the same length) and hold numbers") from None
        if dtype is None and arr.dtype == np.float64:
            arr = arr.astype(DEFAULT_FLOAT)  # Python floats get the default float (float32), as in PyTorch
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor(): data must be numeric (bool, int or float), got dtype {arr.dtype} from {type(data).__name__}; "
            f"convert it to numbers first (float(s) for a string, np.asarray(x, dtype=float) for an array)"
        )
    return arr
