"""Activation functions (``F.silu``, ``F.elu``, ...) and their modules (``nn.SiLU``, ``nn.ELU``, ...).

Each function is composed from Tensor ops, with PyTorch's values, gradients (at the kinks too) and
error cases; ``tinygrad_np.nn.functional`` re-exports the functions. ``inplace=True`` is accepted
for PyTorch code but computes out of place: the input is never modified.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import named_call
from ..errors import ArgumentError
from ..tensor import Tensor, where
from . import functional as F
from .module import Module
from .primitives import Softplus

__all__ = [
    "silu", "elu", "celu", "selu", "mish", "relu6", "hardtanh", "hardsigmoid", "hardswish", "logsigmoid",
    "softsign", "softmin", "glu",
    "SiLU", "ELU", "CELU", "SELU", "Mish", "ReLU6", "Hardtanh", "Hardsigmoid", "Hardswish", "LogSigmoid",
    "Softsign", "Softmin", "GLU",
]

# SELU's constants (Klambauer et al. 2017), as PyTorch has them
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# ============================================================================ functions
@named_call("silu")
def silu(input, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (also called swish)."""
    x = F._float_tensor(input, "silu")
    return x * x.sigmoid()


def _negative_exp_branch(x: Tensor, alpha: float, inner_scale: float = 1.0) -> Tensor:
    """``x`` for x > 0, else ``alpha * expm1(x * inner_scale)``. The exponential only ever sees
    min(x, 0), so a large x cannot overflow it into an inf * 0 = nan gradient; at x = 0 the
    gradient is the negative branch's (PyTorch's choice for elu, celu and selu)."""
    negative = x.clip(max=0.0)
    if inner_scale != 1.0:
        negative = negative * inner_scale
    return where(x.data > 0, x, negative.expm1() * alpha)


@named_call("elu")
def elu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""
    return _negative_exp_branch(F._float_tensor(input, "elu"), alpha)


@named_call("celu")
def celu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``; ``alpha`` must not be 0."""
    x = F._float_tensor(input, "celu")
    if alpha == 0:
        raise ValueError("celu(): alpha cannot be 0 (it divides x)")
    return _negative_exp_branch(x, alpha, 1.0 / alpha)


@named_call("selu")
def selu(input, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants alpha ~ 1.6733, scale ~ 1.0507."""
    return elu(F._float_tensor(input, "selu"), SELU_ALPHA) * SELU_SCALE


@named_call("mish")
def mish(input, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``, with the overflow-free softplus."""
    x = F._float_tensor(input, "mish")
    return x * Softplus.apply(x).tanh()


@named_call("hardtanh")
def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` clipped to [min_val, max_val]. As in PyTorch the gradient passes only strictly inside
    (0 at the bounds themselves, unlike ``clamp``); integer tensors stay integer."""
    x = F._tensor(input)
    if min_val > max_val:
        raise ValueError(f"hardtanh(): min_val ({min_val}) cannot be greater than max_val ({max_val})")
    inside = (x.data > min_val) & (x.data < max_val)
    clipped = np.clip(x.data, min_val, max_val).astype(x.dtype, copy=False)  # NaN stays NaN, with no gradient
    return where(inside, x, Tensor._wrap(clipped, None))


@named_call("relu6")
def relu6(input, inplace: bool = False) -> Tensor:
    """``min(max(0, x), 6)``: ``hardtanh(x, 0, 6)``, with its gradient (0 at 0 and at 6)."""
    return hardtanh(input, 0.0, 6.0)


@named_call("hardsigmoid")
def hardsigmoid(input, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``: 0 up to -3, 1 from 3, linear (slope 1/6) strictly between."""
    x = F._float_tensor(input, "hardsigmoid")
    return hardtanh(x + 3.0, 0.0, 6.0) * (1.0 / 6.0)


@named_call("hardswish")
def hardswish(input, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``; gradient 0 up to -3, 1 from 3, (2x + 3) / 6 strictly between."""
    x = F._float_tensor(input, "hardswish")
    return x * hardsigmoid(x)


@named_call("logsigmoid")
def logsigmoid(input) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, finite for every finite x."""
    x = F._float_tensor(input, "logsigmoid")
    return -Softplus.apply(-x)


@named_call("softsign")
def softsign(input) -> Tensor:
    """``x / (1 + |x|)``."""
    x = F._tensor(input)
    if x.dtype.kind != "f":
        x = x.astype(dtypes.DEFAULT_FLOAT)  # PyTorch gives the default float for integer input
    return x / (x.abs() + 1.0)


@named_call("softmin")
def softmin(input, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim`` (default: the last axis, like this library's ``softmax``);
    with ``dtype`` the input is cast to it first."""
    x = F._tensor(input)
    if dtype is not None:
        x = x.astype(dtype)
    x = F._float_tensor(x, "softmin")
    return (-x).softmax(-1 if dim is None else dim)


@named_call("glu")
def glu(input, dim: int = -1) -> Tensor:
    """Gated linear unit: split ``input`` in halves ``a, b`` along ``dim``; ``a * sigmoid(b)``."""
    x = F._float_tensor(input, "glu")
    if x.ndim == 0:
        raise ArgumentError("glu(): does not support 0-d tensors (there is no dimension to halve)")
    axis = dim % x.ndim if -x.ndim <= dim < x.ndim else None
    if axis is None:
        raise IndexError(f"glu(): dim {dim} is out of range for a tensor of {x.ndim} dimensions")
    if x.shape[axis] % 2:
        raise ArgumentError(f"glu(): halving dimension must be even, but dimension {dim} has size {x.shape[axis]}")
    a, b = x.split(x.shape[axis] // 2, axis)
    return a * b.sigmoid()


# ============================================================================ modules
class _Activation(Module):
    """An activation module: ``forward`` calls ``function`` with the attributes named in ``_args``,
    which ``extra_repr`` shows too."""

    _args: tuple = ()

    @staticmethod
    def function(input, **kwargs):
        raise NotImplementedError

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return self.function(input, **{name: getattr(self, name) for name in self._args})

    def extra_repr(self) -> str:
        return ", ".join(f"{name}={getattr(self, name)}" for name in self._args)


class SiLU(_Activation):
    function = staticmethod(silu)


class SELU(_Activation):
    function = staticmethod(selu)


class Mish(_Activation):
    function = staticmethod(mish)


class ReLU6(_Activation):
    function = staticmethod(relu6)


class Hardsigmoid(_Activation):
    function = staticmethod(hardsigmoid)


class Hardswish(_Activation):
    function = staticmethod(hardswish)


class _WithAlpha(_Activation):
    _args = ("alpha",)

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__(inplace)
        self.alpha = alpha


class ELU(_WithAlpha):
    function = staticmethod(elu)


class CELU(_WithAlpha):
    function = staticmethod(celu)


class Hardtanh(_Activation):
    function, _args = staticmethod(hardtanh), ("min_val", "max_val")

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False, min_value=None,
                 max_value=None):
        super().__init__(inplace)
        # min_value / max_value: PyTorch's deprecated spellings
        self.min_val = min_val if min_value is None else min_value
        self.max_val = max_val if max_value is None else max_value
        if self.max_val <= self.min_val:
            raise ValueError(f"Hardtanh: max_val ({self.max_val}) must be greater than min_val ({self.min_val})")


class LogSigmoid(_Activation):
    function = staticmethod(logsigmoid)


class Softsign(_Activation):
    function = staticmethod(softsign)


class Softmin(_Activation):
    """``softmax(-x)`` along ``dim`` (default: the last axis)."""

    function, _args = staticmethod(softmin), ("dim",)

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim


class GLU(_Activation):
    function, _args = staticmethod(glu), ("dim",)

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim
