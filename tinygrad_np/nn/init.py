"""Parameter initialisation, as ``torch.nn.init``.

Each function fills ``tensor.data`` in place (nothing is recorded in the graph; the change is
noted, so a graph that saved the old values refuses to backpropagate through them), draws from the
global generator (``tinygrad_np.manual_seed``), or from ``generator=`` (a ``tinygrad_np.Generator``),
and returns the tensor. Fans: for a weight of
shape (out, in, *kernel), ``fan_in = in * prod(kernel)`` and ``fan_out = out * prod(kernel)``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import creation
from ..autograd.engine import mark_modified
from ..tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_", "xavier_uniform_", "xavier_normal_",
    "kaiming_uniform_", "kaiming_normal_",
]


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended scale for a nonlinearity: 1 (linear, conv, sigmoid), 5/3 (tanh),
    sqrt(2) (relu), sqrt(2 / (1 + slope^2)) (leaky_relu, slope ``param``, default 0.01), 3/4 (selu)."""
    linear = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain(): negative slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain(): unsupported nonlinearity {nonlinearity!r}")


def _array(tensor) -> np.ndarray:
    if isinstance(tensor, Tensor):
        return tensor.data
    if isinstance(tensor, np.ndarray):
        return tensor
    raise TypeError(f"expected a Tensor or ndarray to initialise, got {type(tensor).__name__}")


def _fill(tensor, values, what: str):
    arr = _array(tensor)
    if arr.dtype.kind != "f":
        raise TypeError(f"can only initialise floating-point tensors, got dtype {arr.dtype}")
    arr[...] = values
    mark_modified(arr, f"nn.init.{what}")
    return tensor


def _uniform(tensor, a: float, b: float, what: str, generator=None):
    return _fill(tensor, creation.rng_of(generator).uniform(a, b, _array(tensor).shape), what)


def _normal(tensor, mean: float, std: float, what: str, generator=None):
    return _fill(tensor, creation.rng_of(generator).normal(mean, std, _array(tensor).shape), what)


def _fans(tensor) -> tuple[int, int]:
    shape = _array(tensor).shape
    if 0 in shape:
        raise ValueError(f"cannot compute fans of a tensor with zero elements (shape {shape})")
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions, got shape {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill with U(a, b) (drawn from ``generator``, a ``tinygrad_np.Generator``, if given)."""
    return _uniform(tensor, a, b, "uniform_", generator)


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill with N(mean, std^2) (drawn from ``generator``, if given)."""
    return _normal(tensor, mean, std, "normal_", generator)


def constant_(tensor, val: float):
    return _fill(tensor, val, "constant_")


def zeros_(tensor):
    return _fill(tensor, 0.0, "zeros_")


def ones_(tensor):
    return _fill(tensor, 1.0, "ones_")


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """Glorot: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _uniform(tensor, -bound, bound, "xavier_uniform_", generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """Glorot: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor)
    return _normal(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), "xavier_normal_", generator)


def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None):
    """He: U(-b, b) with b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).

    PyTorch's default layer init is ``kaiming_uniform_(w, a=sqrt(5))``, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    """
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return _uniform(tensor, -bound, bound, "kaiming_uniform_", generator)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None):
    """He-normal: N(0, std^2) with std = gain / sqrt(fan) (gain sqrt(2) for relu, the seed notebook's init)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return _normal(tensor, 0.0, std, "kaiming_normal_", generator)
