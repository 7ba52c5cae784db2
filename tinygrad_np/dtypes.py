"""Dtypes and PyTorch's type promotion, shared by every op that takes two operands."""

from __future__ import annotations

import numpy as np

__all__ = ["DEFAULT_FLOAT", "PYTHON_SCALARS", "result_dtype", "to_array"]

DEFAULT_FLOAT = np.float32
PYTHON_SCALARS = (float, int, bool)


def result_dtype(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promotion between two tensors: a float beats any int/bool (int64 * float32 -> float32)."""
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
            arr = arr.astype(DEFAULT_FLOAT)  # Python floats default to float32, as in PyTorch
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor(): data must be numeric (bool, int or float), got dtype {arr.dtype} from {type(data).__name__}; "
            f"convert it to numbers first (float(s) for a string, np.asarray(x, dtype=float) for an array)"
        )
    return arr
