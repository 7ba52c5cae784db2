"""tinygrad_np: a small, verified reverse-mode autograd on NumPy."""

import types

import numpy as np

from . import data, nn, ops, optim, testing, viz
from .autograd import Function, enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (
    arange,
    as_tensor,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    zeros,
    zeros_like,
)
from .dtypes import finfo, get_default_dtype, iinfo, set_default_dtype
from .errors import ArgumentError
from .serialization import load, save
from .tensor import (
    Size,
    Tensor,
    add,
    cat,
    concatenate,
    device,
    div,
    einsum,
    floor_divide,
    matmul,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    remainder,
    stack,
    std_mean,
    sub,
    tensor,
    var_mean,
    where,
)
from .tensor import pad_ as pad

# dtype names, as in torch: NumPy dtype objects, so they work wherever a dtype is accepted and
# ``t.dtype == tinygrad_np.float32`` compares as PyTorch code expects
float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
uint8, int8, int16 = np.dtype(np.uint8), np.dtype(np.int8), np.dtype(np.int16)
int32 = int = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool_ = bool = np.dtype(np.bool_)


def _unary(name):
    def fn(x, *args, **kwargs):
        return getattr(x if isinstance(x, Tensor) else tensor(x), name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Function form of :meth:`Tensor.{name}`."
    return fn


# function forms of Tensor methods: tinygrad_np.exp(x) == x.exp()
exp, log, sqrt, sin, cos, tanh, sigmoid, relu, leaky_relu, abs, clip, clamp = map(
    _unary, ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "leaky_relu", "abs", "clip", "clamp"]
)
floor, ceil, trunc, round, sign = map(_unary, ["floor", "ceil", "trunc", "round", "sign"])
expm1, log1p, reciprocal, rsqrt, cumsum, flip = map(_unary, ["expm1", "log1p", "reciprocal", "rsqrt", "cumsum", "flip"])
split, chunk, unbind, gather, masked_fill = map(_unary, ["split", "chunk", "unbind", "gather", "masked_fill"])
isnan, isinf, isfinite, all, any, norm = map(_unary, ["isnan", "isinf", "isfinite", "all", "any", "norm"])
sort, argsort, topk, erf, bmm, numel, prod = map(_unary, ["sort", "argsort", "topk", "erf", "bmm", "numel", "prod"])
inference_mode = no_grad  # PyTorch's stricter no_grad; here they are the same


# PyTorch code picks its device with ``torch.cuda.is_available()``: here there is only the CPU
cuda = types.SimpleNamespace(is_available=lambda: False, device_count=lambda: 0)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)
sum, mean, max, min, var, std, argmax, argmin, logsumexp, softmax, log_softmax = map(
    _unary, ["sum", "mean", "max", "min", "var", "std", "argmax", "argmin", "logsumexp", "softmax", "log_softmax"]
)
reshape, transpose, permute, flatten, squeeze, unsqueeze, expand = map(
    _unary, ["reshape", "transpose", "permute", "flatten", "squeeze", "unsqueeze", "expand"]
)

__version__ = "0.1.0"
