"""tinygrad_np: a small, verified reverse-mode autograd on NumPy."""

import types

import numpy as np

from . import data, nn, ops, optim, testing, viz
from .autograd import Function, enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (
    Generator,
    arange,
    as_tensor,
    bernoulli,
    default_generator,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    get_rng_state,
    initial_seed,
    linspace,
    manual_seed,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
    zeros,
    zeros_like,
)
from .dtypes import finfo, get_default_dtype, iinfo, set_default_dtype
from .errors import ArgumentError, ArgumentIndexError, ArgumentTypeError
from .explain import explain
from .serialization import load, save
from .tensor import (
    Size,
    Tensor,
    add,
    allclose,
    atan2,
    cat,
    concatenate,
    copysign,
    device,
    div,
    einsum,
    floor_divide,
    fmod,
    hypot,
    isclose,
    lerp,
    logaddexp,
    logical_and,
    logical_or,
    logical_xor,
    matmul,
    maximum,
    meshgrid,
    minimum,
    mul,
    neg,
    pow,
    remainder,
    repeat_interleave,
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

# function forms of the ops added for issue 11, section 2: tinygrad_np.tan(x) == x.tan()
tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, exp2, log2, log10 = map(
    _unary, ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "exp2", "log2", "log10"]
)
arcsin, arccos, arctan, arcsinh, arccosh, arctanh, arctan2 = asin, acos, atan, asinh, acosh, atanh, atan2
clamp_min, clamp_max, tril, triu, diag, diagonal, trace, outer, ger, dot = map(
    _unary, ["clamp_min", "clamp_max", "tril", "triu", "diag", "diagonal", "trace", "outer", "ger", "dot"]
)
roll, narrow, unflatten, index_select, masked_select, nonzero, argwhere = map(
    _unary, ["roll", "narrow", "unflatten", "index_select", "masked_select", "nonzero", "argwhere"]
)
scatter, scatter_add, scatter_reduce, index_add, cumprod, cummax, cummin, logcumsumexp = map(
    _unary, ["scatter", "scatter_add", "scatter_reduce", "index_add", "cumprod", "cummax", "cummin", "logcumsumexp"]
)

# function forms of methods PyTorch code calls as torch.name(t, ...)
amax, amin, square, mm, mv, addmm, clone, detach, t, swapaxes, swapdims, movedim, moveaxis, ravel = map(
    _unary, ["amax", "amin", "square", "mm", "mv", "addmm", "clone", "detach", "t", "swapaxes", "swapdims", "movedim",
             "moveaxis", "ravel"]
)
eq, ne, lt, le, gt, ge, true_divide = map(_unary, ["eq", "ne", "lt", "le", "gt", "ge", "true_divide"])
absolute = abs
logical_not, count_nonzero = map(_unary, ["logical_not", "count_nonzero"])
isposinf, isneginf, signbit, nan_to_num, nansum, nanmean = map(
    _unary, ["isposinf", "isneginf", "signbit", "nan_to_num", "nansum", "nanmean"]
)

__version__ = "0.1.0"
