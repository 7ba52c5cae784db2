"""The layers: thin Modules around :mod:`tinygrad_np.nn.functional`."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import dtypes
from ..autograd.engine import mark_modified
from ..errors import ArgumentError
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter, check_device
from .primitives import LinearFn

__all__ = [
    "Identity", "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softplus", "Softmax", "LogSoftmax",
    "Flatten", "Dropout", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d",
    "LayerNorm", "Embedding", "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "Conv1d", "Unflatten", "CosineSimilarity", "KLDivLoss", "SmoothL1Loss", "HuberLoss",
]


def _empty(*shape, dtype=None) -> Parameter:
    return Parameter(np.zeros(shape, dtype=np.dtype(dtypes.DEFAULT_FLOAT if dtype is None else dtype)))


def _reset_like_pytorch(weight: Parameter, bias: Parameter | None) -> None:
    """PyTorch's default for Linear and Conv: kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    for the weight, and the same bound for the bias."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in = weight.data[0].size
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(bias, -bound, bound)


# ============================================================================ basic
class Identity(Module):
    """Returns its input (any constructor arguments are ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Linear(Module):
    """``y = x @ weight.T + bias`` with weight (out_features, in_features), initialised as in PyTorch."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = _empty(self.out_features, self.in_features, dtype=dtype)
        self.register_parameter("bias", _empty(self.out_features, dtype=dtype) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_like_pytorch(self.weight, self.bias)

    def forward(self, x):
        p = self._parameters  # direct lookups: this is on every step's hot path
        w, b = p["weight"], p["bias"]
        if type(x) is Tensor and x.data.dtype == w.data.dtype and x.ndim and x.shape[-1] == self.in_features:
            return LinearFn.apply(x, w, b)  # what F.linear would do after its checks
        return F.linear(x, w, b)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    def forward(self, x):
        return x.relu() if type(x) is Tensor else F.relu(x)


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return F.tanh(x)


class GELU(Module):
    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    def __init__(self, beta: float = 1.0):
        super().__init__()
        self.beta = beta

    def forward(self, x):
        return F.softplus(x, self.beta)

    def extra_repr(self) -> str:
        return f"beta={self.beta}"


class Softmax(Module):
    """Softmax along ``dim`` (default -1, the last axis)."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax) along ``dim`` (default -1), computed stably."""

    def forward(self, x):
        return F.log_softmax(x, self.dim)


class Flatten(Module):
    """Flattens axes ``start_dim``..``end_dim`` (default: all but the batch axis)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits dimension ``dim`` into ``unflattened_size`` (which may hold one -1), the inverse of
    ``Flatten``: ``Unflatten(1, (2, 5))`` maps (N, 10) to (N, 2, 5)."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if isinstance(dim, str):
            raise NotImplementedError("Unflatten: named dimensions are not supported; give dim as an int")
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(n, numbers.Integral) for n in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got {unflattened_size!r}")
        self.dim, self.unflattened_size = int(dim), tuple(int(n) for n in unflattened_size)

    def forward(self, input):
        shape = input.shape
        if not -len(shape) <= self.dim < len(shape):
            raise IndexError(f"Unflatten: dim {self.dim} is out of range for an input of shape {shape}")
        d = self.dim % len(shape)
        sizes = list(self.unflattened_size)
        known = int(np.prod([n for n in sizes if n != -1]))
        if sizes.count(-1) == 1 and known and shape[d] % known == 0:
            sizes[sizes.index(-1)] = shape[d] // known
        if sizes.count(-1) or int(np.prod(sizes)) != shape[d]:
            raise ArgumentError(f"Unflatten: sizes {self.unflattened_size} do not multiply up to the size {shape[d]} "
                                f"of dim {self.dim} of the input")
        return input.reshape(shape[:d] + tuple(sizes) + shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Dropout(Module):
    """Zeroes elements with probability ``p`` in training (scaling the rest by 1/(1-p)); identity in eval."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be between 0 and 1, got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


# ============================================================================ convolution and pooling
def _pair(v, name):
    if isinstance(v, numbers.Integral):
        return (int(v), int(v))
    v = tuple(int(a) for a in v)
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair, got {v}")
    return v


class _ConvNd(Module):
    """What Conv1d and Conv2d share: arguments, PyTorch's weight layout and init, padding modes."""

    _d = 2  # spatial dimensions

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        super().__init__()
        name, d = type(self).__name__, self._d
        check_device(device, name)
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"{name}: padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', "
                             f"got {padding_mode!r}")
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: groups={groups} must divide in_channels={in_channels} and "
                             f"out_channels={out_channels}")
        self.in_channels, self.out_channels, self.groups = int(in_channels), int(out_channels), groups
        self.kernel_size = F._tuple(kernel_size, d, "kernel_size")
        self.stride, self.dilation = F._tuple(stride, d, "stride"), F._tuple(dilation, d, "dilation")
        self.padding = padding if isinstance(padding, str) else F._tuple(padding, d, "padding")
        self.padding_mode = padding_mode
        self.weight = _empty(out_channels, in_channels // groups, *self.kernel_size, dtype=dtype)
        self.register_parameter("bias", _empty(out_channels, dtype=dtype) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_like_pytorch(self.weight, self.bias)

    def _conv(self, x, padding):
        conv = F.conv1d if self._d == 1 else F.conv2d
        return conv(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)

    def forward(self, x):
        if self.padding_mode == "zeros":
            return self._conv(x, self.padding)
        # pad explicitly in the mode asked for, then convolve without padding
        lift = (1,) * (2 - self._d)  # a 1-D convolution as a height-1 2-D one
        padding = self.padding if isinstance(self.padding, str) else (0,) * (2 - self._d) + self.padding
        pads = F._conv_pads(padding, lift + self.kernel_size, lift + self.stride, lift + self.dilation,
                            type(self).__name__)[2 - self._d:]
        x = F.pad(x, tuple(p for pair in reversed(pads) for p in pair), mode=self.padding_mode)  # last axis first
        return self._conv(x, 0)

    def extra_repr(self) -> str:
        d = self._d
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * d:
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,) * d:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode!r}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) input; weight (C_out, C_in/groups, k), PyTorch's init."""

    _d = 1


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) input; weight (C_out, C_in/groups, kh, kw), PyTorch's init."""

    _d = 2


class ConvTranspose2d(Module):
    """Transposed 2-D convolution (the adjoint of Conv2d, e.g. for upsampling in decoders);
    weight (C_in, C_out/groups, kh, kw), PyTorch's layout and init."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, dtype=None):
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"ConvTranspose2d: groups={groups} must divide in_channels={in_channels} and "
                             f"out_channels={out_channels}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride, self.dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
        self.padding, self.output_padding = _pair(padding, "padding"), _pair(output_padding, "output_padding")
        self.groups = groups
        self.weight = _empty(in_channels, out_channels // groups, *self.kernel_size, dtype=dtype)
        self.register_parameter("bias", _empty(out_channels, dtype=dtype) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_like_pytorch(self.weight, self.bias)

    def forward(self, x):
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.groups, self.dilation)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        for name, default in (("padding", (0, 0)), ("output_padding", (0, 0)), ("dilation", (1, 1))):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class _MaxPoolNd(Module):
    _function = None  # F.max_pool1d or F.max_pool2d

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, x):
        return type(self)._function(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                                    self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """Max over windows; ``stride`` defaults to ``kernel_size``. Ties send the gradient to the first maximum.
    With ``return_indices=True`` it returns ``(output, indices)`` for ``MaxUnpool2d``."""

    _function = staticmethod(F.max_pool2d)


class AvgPool2d(Module):
    """Mean over windows; ``stride`` defaults to ``kernel_size``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


# ============================================================================ normalisation
class _BatchNorm(Module):
    _input_dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, dtype=None):
        super().__init__()
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = np.dtype(dtypes.DEFAULT_FLOAT if dtype is None else dtype)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype))
            self.bias = Parameter(np.zeros(num_features, dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._wrap(np.zeros(num_features, dtype), None))
            self.register_buffer("running_var", Tensor._wrap(np.ones(num_features, dtype), None))
            self.register_buffer("num_batches_tracked", Tensor._wrap(np.array(0, dtype=np.int64), None))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            for buffer, value in ((self.running_mean, 0), (self.running_var, 1), (self.num_batches_tracked, 0)):
                buffer.data[...] = value
                mark_modified(buffer.data, "reset_running_stats")

    def forward(self, x):
        if x.ndim not in self._input_dims:
            dims = " or ".join(f"{d}-D" for d in self._input_dims)
            raise ValueError(f"{type(self).__name__}: expected {dims} input, got shape {x.shape}; {self._other}")
        if x.shape[1] != self.num_features:
            raise ArgumentError(f"{type(self).__name__}: input has {x.shape[1]} channels (axis 1), "
                                f"expected num_features={self.num_features}; build the layer with "
                                f"num_features={x.shape[1]}, or check the input's layout (N, C, ...)")
        factor = 0.0 if self.momentum is None else self.momentum
        counting = self.training and self.track_running_stats
        if counting and self.momentum is None:  # cumulative moving average
            factor = 1.0 / float(self.num_batches_tracked.data + 1)
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        out = F.batch_norm(x, self.running_mean if track else None, self.running_var if track else None,
                           self.weight, self.bias, use_batch_stats, factor, self.eps)
        if counting:  # only once the batch passed F.batch_norm's checks: a refused batch changes nothing
            self.num_batches_tracked.data[...] += 1
            mark_modified(self.num_batches_tracked.data, f"{type(self).__name__} (num_batches_tracked)")
        return out

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input over the batch (and length) axes."""

    _input_dims = (2, 3)
    _other = "for (N, C, H, W) images use BatchNorm2d"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input over the batch and spatial axes."""

    _input_dims = (4,)
    _other = "for (N, C) or (N, C, L) input use BatchNorm1d"


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` axes, then scale and shift elementwise."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = np.dtype(dtypes.DEFAULT_FLOAT if dtype is None else dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype))
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype)) if bias else None
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``, initialised N(0, 1).

    The row ``padding_idx`` (if given) starts at zero and receives no gradient.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, max_norm=None,
                 norm_type: float = 2.0, dtype=None):
        super().__init__()
        self.max_norm, self.norm_type = max_norm, norm_type
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} is out of range for {num_embeddings} rows")
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        self.weight = _empty(self.num_embeddings, self.embedding_dim, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0
            mark_modified(self.weight.data, "Embedding.reset_parameters")

    def forward(self, x):
        return F.embedding(x, self.weight, self.padding_idx, self.max_norm, self.norm_type)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s if self.max_norm is None else s + f", max_norm={self.max_norm}"


# ============================================================================ losses
class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    def forward(self, input, target):
        return F.l1_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits against class indices or class probabilities (see ``F.cross_entropy``)."""

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing
        self.register_buffer("weight", None if weight is None else _as_tensor(weight))

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)


class NLLLoss(_Loss):
    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.ignore_index = ignore_index
        self.register_buffer("weight", None if weight is None else _as_tensor(weight))

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class BCELoss(_Loss):
    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", None if weight is None else _as_tensor(weight))

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(reduction)
        self.register_buffer("weight", None if weight is None else _as_tensor(weight))
        self.register_buffer("pos_weight", None if pos_weight is None else _as_tensor(pos_weight))

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)


class SmoothL1Loss(_Loss):
    """``F.smooth_l1_loss``: quadratic for |d| < beta, linear beyond."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(F._legacy_reduction(size_average, reduce, reduction))
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """``F.huber_loss``: quadratic for |d| < delta, linear (slope delta) beyond."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(Module):
    """``F.kl_div``: input holds log-probabilities; reduction ``'mean'``, ``'batchmean'``, ``'sum'`` or ``'none'``."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False):
        super().__init__()
        self.reduction = F._legacy_reduction(size_average, reduce, reduction)
        if self.reduction not in ("mean", "batchmean", "sum", "none"):
            raise ValueError(f"KLDivLoss: {self.reduction!r} is not a valid value for reduction")
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class CosineSimilarity(Module):
    """``F.cosine_similarity(x1, x2, dim, eps)``."""

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, eps={self.eps}"


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)
