"""NumPy (and SciPy) references of the ops, written for clarity rather than speed, with PyTorch's
argument names and values. The op database (``opinfo``) calls them on float64 copies of the inputs.

SciPy is imported only by the references that need it (``erf``, ``gelu``).
"""

from __future__ import annotations

import math

import numpy as np


# ============================================================================ helpers
def axes_of(dim=None, axis=None, ndim=0):
    """PyTorch's ``dim`` or NumPy's ``axis`` as a tuple of non-negative axes (None: all)."""
    d = dim if dim is not None else axis
    if d is None:
        return None
    d = (d,) if np.ndim(d) == 0 else tuple(d)
    return tuple(int(a) % max(ndim, 1) for a in d) if ndim else ()


def keep_of(keepdim=False, keepdims=None) -> bool:
    return bool(keepdim if keepdims is None else keepdims)


def reduction(fn):
    """``fn(x, axis=, keepdims=)`` called with PyTorch's or NumPy's spelling of the axes."""

    def ref(x, dim=None, keepdim=False, *, axis=None, keepdims=None, **kwargs):
        return fn(x, axis=axes_of(dim, axis, x.ndim), keepdims=keep_of(keepdim, keepdims), **kwargs)

    ref.__name__ = getattr(fn, "__name__", "reduction")
    return ref


def sigmoid(x):
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True) if x.size else np.zeros((1,) * x.ndim)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def _shifted(x, a):
    """x minus its maximum along ``a`` (unmasked, as PyTorch: an infinite maximum makes the row NaN)."""
    if x.size == 0:
        return x
    return x - np.max(x, axis=a, keepdims=True)


def softmax(x, dim=-1, axis=None):
    a = dim if axis is None else axis
    if x.ndim == 0:
        return np.ones_like(x)
    e = np.exp(_shifted(x, a))
    return e / np.sum(e, axis=a, keepdims=True)


def log_softmax(x, dim=-1, axis=None):
    a = dim if axis is None else axis
    if x.ndim == 0:
        return np.zeros_like(x)
    shifted = _shifted(x, a)
    return shifted - np.log(np.sum(np.exp(shifted), axis=a, keepdims=True))


def erf(x):
    from scipy import special

    return special.erf(x)


def variance(x, dim=None, keepdim=False, *, axis=None, keepdims=None, correction=None, unbiased=None, ddof=None):
    corr = next((c for c in (correction, ddof) if c is not None), 1 if unbiased is None else int(unbiased))
    return np.var(x, axis=axes_of(dim, axis, x.ndim), keepdims=keep_of(keepdim, keepdims), ddof=corr)


def std(x, *args, **kwargs):
    return np.sqrt(variance(x, *args, **kwargs))


def norm(x, p=2, dim=None, keepdim=False, *, axis=None, keepdims=None):
    a, k = axes_of(dim, axis, x.ndim), keep_of(keepdim, keepdims)
    p = 2 if p == "fro" else p
    if p == 0:  # the number of nonzero elements
        return np.sum(x != 0, axis=a, keepdims=k).astype(x.dtype)
    if p == np.inf:
        return np.max(np.abs(x), axis=a, keepdims=k)
    if p == -np.inf:
        return np.min(np.abs(x), axis=a, keepdims=k)
    return np.sum(np.abs(x) ** p, axis=a, keepdims=k) ** (1 / p)


def extreme(kind):
    """max/min as PyTorch has them: all elements, ``dim`` (values and first indices), NumPy's axis, or
    another tensor (elementwise)."""
    values, index = (np.max, np.argmax) if kind == "max" else (np.min, np.argmin)

    def ref(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if isinstance(dim, np.ndarray):
            return (np.maximum if kind == "max" else np.minimum)(x, dim)
        if np.ndim(dim) == 0 and dim is not None and axis is None:  # PyTorch's (values, indices)
            if x.ndim == 0:
                return x.copy(), np.asarray(0)
            i = np.expand_dims(index(x, axis=dim), dim)
            v = np.take_along_axis(x, i, dim)
            return (v, i) if keepdim else (v.squeeze(dim), i.squeeze(dim))
        return values(x, axis=axes_of(dim, axis, x.ndim), keepdims=keep_of(keepdim, keepdims))

    ref.__name__ = kind
    return ref


def arg_extreme(fn):
    def ref(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
        a = axes_of(dim, axis, x.ndim)
        k = keep_of(keepdim, keepdims)
        if a is None:
            out = fn(x.reshape(-1)) if x.ndim else np.asarray(0)
            return out.reshape((1,) * x.ndim) if k else out
        return fn(x, axis=a[0], keepdims=k) if x.ndim else np.asarray(0)

    return ref


def sort(x, dim=-1, descending=False, *, axis=None):
    """Stable, with NaN the largest value (last ascending, first descending), as PyTorch."""
    a = dim if axis is None else axis
    if x.ndim == 0:
        return x.copy(), np.asarray(0)
    moved = np.moveaxis(x, a, -1)
    if not descending:
        order = np.argsort(moved, axis=-1, kind="stable")
    else:
        wide = moved.astype(np.float64 if x.dtype.kind == "f" else np.int64)
        nan = np.isnan(wide) if x.dtype.kind == "f" else np.zeros(wide.shape, bool)
        order = np.lexsort((np.where(nan, 0, -wide), ~nan), axis=-1)  # NaN first, then the largest
    order = np.moveaxis(order, -1, a)
    return np.take_along_axis(x, order, a), order


def argsort(x, dim=-1, descending=False, *, axis=None):
    return sort(x, dim, descending, axis=axis)[1]


def topk(x, k, dim=-1, largest=True, sorted=True):
    values, indices = sort(x, dim, descending=largest)
    return np.take(values, np.arange(k), axis=dim), np.take(indices, np.arange(k), axis=dim)


def cumsum(x, dim=None, *, axis=None):
    a = dim if axis is None else axis
    if x.ndim == 0:
        return np.cumsum(x).reshape(())
    out = np.cumsum(x, axis=a)
    return out.astype(np.int64) if x.dtype.kind in "biu" else out


def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return x.reshape(1)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:])


def squeeze(x, dim=None, *, axis=None):
    a = axes_of(dim, axis, x.ndim)
    if a is None:
        return np.squeeze(x)
    return np.squeeze(x, axis=tuple(i for i in a if x.ndim and x.shape[i] == 1))


def transpose(x, *dims):
    if not dims:
        return x.T
    if len(dims) == 2 and all(np.ndim(d) == 0 for d in dims):
        return np.swapaxes(x, *dims)
    return np.transpose(x, dims[0] if len(dims) == 1 else dims)


def permute(x, *dims):
    return np.transpose(x, dims[0] if len(dims) == 1 and not np.isscalar(dims[0]) else dims)


def shape_arg(shape):
    return tuple(shape[0]) if len(shape) == 1 and not np.isscalar(shape[0]) else tuple(shape)


def expand(x, *shape):
    shape = shape_arg(shape)
    lead = len(shape) - x.ndim
    return np.broadcast_to(x, tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(shape)))


def flip(x, *dims):
    return np.flip(x, shape_arg(dims)) if dims else x.copy()


def split(x, split_size_or_sections, dim=0):
    n = x.shape[dim]
    if np.ndim(split_size_or_sections) == 0:
        s = int(split_size_or_sections)
        cuts = list(range(s, n, s))
    else:
        cuts = np.cumsum(split_size_or_sections)[:-1].tolist()
    return tuple(np.split(x, cuts, axis=dim))


def chunk(x, chunks, dim=0):
    return split(x, max(1, -(-x.shape[dim] // chunks)), dim)


def unbind(x, dim=0):
    return tuple(np.moveaxis(x, dim, 0))


def repeat(x, *sizes):
    return np.tile(x, shape_arg(sizes))


def torch_pad_widths(ndim, pad):
    """PyTorch's flat (left, right, top, bottom, ...) padding, or NumPy's pairs, as NumPy's pairs."""
    pad = tuple(pad)
    if pad and isinstance(pad[0], (tuple, list)):
        return [tuple(p) for p in pad]
    pairs = [tuple(pad[i:i + 2]) for i in range(0, len(pad), 2)]
    return [(0, 0)] * (ndim - len(pairs)) + pairs[::-1]


def pad(x, pad, value=0.0):
    return np.pad(x, torch_pad_widths(x.ndim, pad), constant_values=value)


def gather(x, dim, index):
    leading = tuple(slice(None) if a == dim % x.ndim else slice(n) for a, n in enumerate(index.shape))
    return np.take_along_axis(x[leading], index, dim)


def where(condition, a, b):
    return np.where(condition, a, b)


def masked_fill(x, mask, value):
    return np.where(mask, value, x).astype(x.dtype)


def sign(x):
    """sign, with PyTorch's sign(NaN) = 0 and bools left as they are."""
    return x.copy() if x.dtype == np.bool_ else np.where(np.isnan(x), 0, np.sign(x)).astype(x.dtype)


def getitem(x, index):
    """``x[index]`` with PyTorch's placement rule: integer indices select first (they are not advanced
    indices), so ``t[0, :, [0, 1]]`` of a (2, 3, 4) tensor is (3, 2) where NumPy gives (2, 3)."""
    parts = index if isinstance(index, tuple) else (index,)
    if not any(isinstance(p, (int, np.integer)) for p in parts) or not any(
            isinstance(p, (list, np.ndarray)) for p in parts):
        return x[index]
    if any(p is Ellipsis for p in parts):
        at = parts.index(Ellipsis)
        used = sum(p is not None for p in parts if p is not Ellipsis)
        parts = parts[:at] + (slice(None),) * (x.ndim - used) + parts[at + 1:]
    dim, rest = 0, []
    for p in parts:
        if isinstance(p, (int, np.integer)):
            x = np.take(x, p, axis=dim)
            continue
        rest.append(p)
        dim += p is not None
    return x[tuple(rest)]


def einsum(spec, *operands):
    if len(operands) == 1 and isinstance(operands[0], list):  # einsum(spec, [a, b]), as PyTorch allows
        operands = operands[0]
    return np.einsum(spec, *operands)


def floor_divide(a, b):
    return np.floor_divide(a, b)


def remainder(a, b):
    return np.remainder(a, b)


def setitem(x, index, value):
    out = x.copy()
    out[index] = value
    return out


def copy(x, src):
    return np.broadcast_to(src, x.shape).astype(x.dtype)


def positive(x):
    return x.copy()


def gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


# ============================================================================ nn.functional
def _tuple(v, d):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * d


def softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(-np.abs(x * beta))) / beta + np.maximum(x, 0))


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def celu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha))


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(x):
    return SELU_SCALE * elu(x, SELU_ALPHA)


def silu(x):
    return x * sigmoid(x)


def mish(x):
    return x * np.tanh(softplus(x))


def hardtanh(x, min_val=-1.0, max_val=1.0):
    return np.clip(x, min_val, max_val)


def relu6(x):
    return np.clip(x, 0, 6)


def hardsigmoid(x):
    return np.clip(x / 6 + 0.5, 0, 1)


def hardswish(x):
    return x * hardsigmoid(x)


def logsigmoid(x):
    return -softplus(-x)


def softsign(x):
    return x / (1 + np.abs(x))


def softmin(x, dim=None):
    return softmax(-x, -1 if dim is None else dim)


def glu(x, dim=-1):
    a, b = np.split(x, 2, axis=dim)
    return a * sigmoid(b)


def linear(x, w, b=None):
    out = x @ w.T
    return out if b is None else out + b


def _pads(padding, kernel, dilation, d):
    if padding == "valid":
        return [(0, 0)] * d
    if padding == "same":  # PyTorch puts the odd one on the right
        totals = [dl * (k - 1) for k, dl in zip(kernel, dilation)]
        return [(t // 2, t - t // 2) for t in totals]
    return [(p, p) for p in _tuple(padding, d)]


def _windows(x, kernel, stride, dilation, out_sizes):
    """For each kernel offset: (offset, the strided slice of the padded input it reads)."""
    import itertools

    for offset in itertools.product(*[range(k) for k in kernel]):
        index = tuple(slice(o * dl, o * dl + s * (n - 1) + 1, s) for o, dl, s, n in
                      zip(offset, dilation, stride, out_sizes))
        yield offset, x[(Ellipsis,) + index]


def conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """conv1d/conv2d (any dimension) by summing over kernel offsets; unbatched input too."""
    unbatched = x.ndim == w.ndim - 1
    if unbatched:
        x = x[None]
    d = x.ndim - 2
    kernel, stride, dilation = w.shape[2:], _tuple(stride, d), _tuple(dilation, d)
    x = np.pad(x, [(0, 0), (0, 0)] + _pads(padding, kernel, dilation, d))
    out_sizes = [(n - dl * (k - 1) - 1) // s + 1 for n, k, s, dl in zip(x.shape[2:], kernel, stride, dilation)]
    cin, cout = x.shape[1] // groups, w.shape[0] // groups
    out = np.zeros((x.shape[0], w.shape[0], *out_sizes), dtype=np.result_type(x, w))
    for g in range(groups):
        xs, ws = x[:, g * cin:(g + 1) * cin], w[g * cout:(g + 1) * cout]
        for offset, window in _windows(xs, kernel, stride, dilation, out_sizes):
            out[:, g * cout:(g + 1) * cout] += np.einsum("nc...,oc->no...", window, ws[(Ellipsis,) + offset])
    if b is not None:
        out += b.reshape((1, -1) + (1,) * d)
    return out[0] if unbatched else out


def conv_transpose(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """conv_transpose2d: every input element adds its kernel, scaled, at stride steps; then the padding is cut off."""
    unbatched = x.ndim == w.ndim - 1
    if unbatched:
        x = x[None]
    d = x.ndim - 2
    kernel, stride, dilation = w.shape[2:], _tuple(stride, d), _tuple(dilation, d)
    padding, output_padding = _tuple(padding, d), _tuple(output_padding, d)
    full = [(n - 1) * s + dl * (k - 1) + 1 + op for n, s, dl, k, op in
            zip(x.shape[2:], stride, dilation, kernel, output_padding)]
    cin, cout = x.shape[1] // groups, w.shape[1]
    out = np.zeros((x.shape[0], cout * groups, *full), dtype=np.result_type(x, w))
    for g in range(groups):
        xs, ws = x[:, g * cin:(g + 1) * cin], w[g * cin:(g + 1) * cin]
        for offset, window in _windows(out[:, g * cout:(g + 1) * cout], kernel, stride, dilation, x.shape[2:]):
            window += np.einsum("nc...,co->no...", xs, ws[(Ellipsis,) + offset])
    out = out[(Ellipsis,) + tuple(slice(p, n - p) for p, n in zip(padding, full))]
    if b is not None:
        out = out + b.reshape((1, -1) + (1,) * d)
    return out[0] if unbatched else out


def _pool_sizes(n, k, s, p, dl, ceil_mode):
    span = n + 2 * p - dl * (k - 1) - 1
    out = -(-span // s) + 1 if ceil_mode else span // s + 1
    if ceil_mode and (out - 1) * s >= n + p:  # the last window must start inside the input or its left padding
        out -= 1
    return out


def pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False, *, kind="max",
         count_include_pad=True, divisor_override=None, d=2):
    """max/avg pooling over the last d dimensions, with PyTorch's windows, ceil mode and divisors."""
    kernel, padding, dilation = _tuple(kernel_size, d), _tuple(padding, d), _tuple(dilation, d)
    stride = kernel if stride is None or stride == () else _tuple(stride, d)
    sizes = x.shape[-d:]
    outs = [_pool_sizes(n, k, s, p, dl, ceil_mode) for n, k, s, p, dl in zip(sizes, kernel, stride, padding, dilation)]
    extra = [max(0, (o - 1) * s + dl * (k - 1) + 1 - (n + 2 * p)) for o, s, dl, k, n, p in
             zip(outs, stride, dilation, kernel, sizes, padding)]
    fill = -np.inf if kind == "max" else 0.0
    widths = [(0, 0)] * (x.ndim - d) + [(p, p + e) for p, e in zip(padding, extra)]
    xp = np.pad(x.astype(np.float64), widths, constant_values=fill)
    position = np.pad(np.arange(int(np.prod(sizes))).reshape(sizes), [(p, p + e) for p, e in zip(padding, extra)],
                      constant_values=-1)
    # per window: the values, the flat input positions, and (avg) whether each is inside the padded input
    inside_padded = np.pad(np.ones(sizes), [(p, p) for p in padding], constant_values=1)
    inside_padded = np.pad(inside_padded, [(0, e) for e in extra])
    windows = [w for _, w in _windows(xp, kernel, stride, dilation, outs)]
    positions = [w for _, w in _windows(position, kernel, stride, dilation, outs)]
    counted = [w for _, w in _windows(inside_padded, kernel, stride, dilation, outs)]
    stacked = np.stack(windows, -1)
    if kind == "max":
        first = np.argmax(stacked, axis=-1)  # the first maximum, in window order (row-major), as PyTorch
        values = np.take_along_axis(stacked, first[..., None], -1)[..., 0].astype(x.dtype)
        if not return_indices:
            return values
        index = np.take_along_axis(np.broadcast_to(np.stack(positions, -1), stacked.shape), first[..., None], -1)
        return values, index[..., 0].astype(np.int64)
    total = stacked.sum(-1)
    if divisor_override:
        count = divisor_override
    elif count_include_pad:
        count = np.stack(counted, -1).sum(-1)
    else:
        count = (np.stack(positions, -1) >= 0).sum(-1)
    return (total / count).astype(x.dtype)


def max_pool(d):
    return lambda *args, **kwargs: pool(*args, kind="max", d=d, **kwargs)


def avg_pool(d):
    return lambda *args, **kwargs: pool(*args, kind="avg", d=d, **kwargs)


def max_unpool(x, indices, kernel_size, stride=None, padding=0, output_size=None, *, d=2):
    kernel, padding = _tuple(kernel_size, d), _tuple(padding, d)
    stride = kernel if stride is None else _tuple(stride, d)
    if output_size is None:
        output_size = [(n - 1) * s - 2 * p + k for n, s, p, k in zip(x.shape[-d:], stride, padding, kernel)]
    output_size = tuple(output_size)[-d:]
    lead = x.shape[:-d]
    out = np.zeros(lead + (int(np.prod(output_size)),), x.dtype)
    flat_x, flat_i = x.reshape(lead + (-1,)), indices.reshape(lead + (-1,))
    np.put_along_axis(out, flat_i, flat_x, -1)
    return out.reshape(lead + output_size)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
    else:
        mean, var = running_mean, running_var
    out = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if weight is not None:
        out = out * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    axes = tuple(range(x.ndim - len(_tuple(normalized_shape, 1)), x.ndim))
    out = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


def embedding(index, weight, padding_idx=None, max_norm=None, norm_type=2.0):
    return weight[index]


def one_hot(index, num_classes=-1):
    n = int(index.max()) + 1 if num_classes == -1 else num_classes
    return (index[..., None] == np.arange(n)).astype(np.int64)


def normalize(x, p=2.0, dim=1, eps=1e-12):
    n = np.sum(np.abs(x) ** p, axis=dim, keepdims=True) ** (1 / p)
    return x / np.maximum(n, eps)


def pad_mode(x, pad, mode="constant", value=0.0):
    widths = [(0, 0)] * (x.ndim - len(pad) // 2) + [tuple(pad[i:i + 2]) for i in range(0, len(pad), 2)][::-1]
    if mode == "constant":
        return np.pad(x, widths, constant_values=value)
    return np.pad(x, widths, mode={"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode])


def _reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def mse_loss(x, t, reduction="mean"):
    return _reduce((x - t) ** 2, reduction)


def l1_loss(x, t, reduction="mean"):
    return _reduce(np.abs(x - t), reduction)


def smooth_l1_loss(x, t, reduction="mean", beta=1.0):
    diff = np.abs(x - t)
    return _reduce(np.where(diff < beta, 0.5 * diff**2 / beta, diff - 0.5 * beta) if beta else diff, reduction)


def huber_loss(x, t, reduction="mean", delta=1.0):
    diff = np.abs(x - t)
    return _reduce(np.where(diff < delta, 0.5 * diff**2, delta * (diff - 0.5 * delta)), reduction)


def _class_last(x):
    return np.moveaxis(x, 1, -1) if x.ndim > 1 else x


def cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    logp = _class_last(log_softmax(x, dim=1 if x.ndim > 1 else 0))
    c = logp.shape[-1]
    w = np.ones(c) if weight is None else weight
    if target.dtype.kind == "f":  # class probabilities
        t = _class_last(target) * (1 - label_smoothing) + label_smoothing / c
        loss = -(t * logp * w).sum(-1)
        return loss.mean() if reduction == "mean" else _reduce(loss, reduction)
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    picked = np.take_along_axis(logp, safe[..., None], -1)[..., 0]
    wt = w[safe] * keep
    loss = -(1 - label_smoothing) * picked * wt - label_smoothing / c * (logp * w).sum(-1) * keep
    if reduction == "mean":
        return loss.sum() / wt.sum()
    return _reduce(loss, reduction)


def nll_loss(x, target, weight=None, ignore_index=-100, reduction="mean"):
    logp = _class_last(x)
    w = np.ones(logp.shape[-1]) if weight is None else weight
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    wt = w[safe] * keep
    loss = -np.take_along_axis(logp, safe[..., None], -1)[..., 0] * wt
    return loss.sum() / wt.sum() if reduction == "mean" else _reduce(loss, reduction)


def binary_cross_entropy(x, t, weight=None, reduction="mean"):
    loss = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log(1 - x), -100))
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(x, t, weight=None, reduction="mean", pos_weight=None):
    p = 1 if pos_weight is None else pos_weight
    loss = -(p * t * logsigmoid(x) + (1 - t) * logsigmoid(-x))
    return _reduce(loss if weight is None else loss * weight, reduction)


def kl_div(x, t, reduction="mean", log_target=False):
    if log_target:
        loss = np.exp(t) * (t - x)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            loss = np.where(t > 0, t * (np.log(np.where(t > 0, t, 1)) - x), 0.0)
    if reduction == "batchmean":
        return loss.sum() / x.shape[0]
    return _reduce(loss, reduction)


def cosine_similarity(a, b, dim=1, eps=1e-8):
    na = np.sqrt((a * a).sum(dim))
    nb = np.sqrt((b * b).sum(dim))
    return (a * b).sum(dim) / np.maximum(na * nb, eps)


def pixel_shuffle(x, r):
    *lead, c, h, w = x.shape
    x = x.reshape(*lead, c // (r * r), r, r, h, w)
    n = len(lead)
    x = x.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(x, r):
    *lead, c, h, w = x.shape
    x = x.reshape(*lead, c, h // r, r, w // r, r)
    n = len(lead)
    x = x.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    kernel, dilation, padding, stride = (_tuple(v, 2) for v in (kernel_size, dilation, padding, stride))
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    outs = [(n - dl * (k - 1) - 1) // s + 1 for n, k, s, dl in zip(xp.shape[2:], kernel, stride, dilation)]
    cols = np.stack([w for _, w in _windows(xp, kernel, stride, dilation, outs)], 2)  # (N, C, k*k, oh, ow)
    out = cols.reshape(x.shape[0], -1, outs[0] * outs[1])
    return out[0] if unbatched else out


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    unbatched = x.ndim == 2
    if unbatched:
        x = x[None]
    output_size, kernel, dilation, padding, stride = (_tuple(v, 2) for v in
                                                      (output_size, kernel_size, dilation, padding, stride))
    padded = [n + 2 * p for n, p in zip(output_size, padding)]
    outs = [(n - dl * (k - 1) - 1) // s + 1 for n, k, s, dl in zip(padded, kernel, stride, dilation)]
    c = x.shape[1] // (kernel[0] * kernel[1])
    cols = x.reshape(x.shape[0], c, kernel[0] * kernel[1], outs[0], outs[1])
    out = np.zeros((x.shape[0], c, *padded), x.dtype)
    for j, (_, window) in enumerate(_windows(out, kernel, stride, dilation, outs)):
        window += cols[:, :, j]
    out = out[:, :, padding[0]:padded[0] - padding[0], padding[1]:padded[1] - padding[1]]
    return out[0] if unbatched else out


def _source(n_in, n_out, scale, mode, align_corners):
    """The source coordinate of each output position (PyTorch's, in float32 scale where it uses float32)."""
    dst = np.arange(n_out, dtype=np.float64)
    if mode.startswith("nearest"):
        s = n_in / n_out if scale is None else 1 / scale
        s = np.float32(s)
        src = np.floor((dst + 0.5) * s) if mode == "nearest-exact" else np.floor(dst * s)
        return np.minimum(src.astype(np.int64), n_in - 1)
    if align_corners:
        return dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    s = n_in / n_out if scale is None else 1 / scale
    return np.maximum((dst + 0.5) * s - 0.5, 0.0)


def interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
    d = x.ndim - 2
    if size is not None:
        sizes, scales = _tuple(size, d), [None] * d
    else:
        factors = _tuple(scale_factor, d)
        sizes = [int(np.floor(n * f)) for n, f in zip(x.shape[2:], factors)]
        scales = [None] * d if recompute_scale_factor else factors
    for axis, n_out, scale in zip(range(2, x.ndim), sizes, scales):
        n_in = x.shape[axis]
        src = _source(n_in, n_out, scale, mode, bool(align_corners))
        if mode.startswith("nearest"):
            x = np.take(x, src, axis=axis)
            continue
        i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        lam = (src - i0).reshape((n_out,) + (1,) * (x.ndim - axis - 1))
        x = np.take(x, i0, axis=axis) * (1 - lam) + np.take(x, i1, axis=axis) * lam
    return x


def scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if is_causal:
        attn_mask = np.tril(np.ones(scores.shape[-2:], bool))
    if attn_mask is not None:
        scores = np.where(attn_mask, scores, -np.inf) if attn_mask.dtype == np.bool_ else scores + attn_mask
    m = scores.max(-1, keepdims=True)
    e = np.exp(scores - np.where(np.isfinite(m), m, 0))
    total = e.sum(-1, keepdims=True)
    weights = np.where(total > 0, e / np.where(total > 0, total, 1), 0.0)  # a row with no allowed key: zeros
    return weights @ v


def dropout(x, p=0.5, training=True):
    if not training or p == 0:
        return x.copy()
    return np.zeros_like(x)  # p == 1 (the only other deterministic case)
