"""The op database, part 2: ``tinygrad_np.nn.functional`` (see ``opinfo``)."""

from __future__ import annotations

import numpy as np

from . import references as R
from .opinfo import FLOATS, ErrorInput, OpInfo, Raw, Sample, fixed, make_array, unary_samples

F64 = np.float64


def f64(*values):
    return np.array(values, dtype=F64)


def _functional(name, ref, samples, **kw):
    return OpInfo(name, ref, samples, variants=kw.pop("variants", (f"F.{name}",)),
                  torch=kw.pop("torch", f"torch.nn.functional.{name}"), dtypes=kw.pop("dtypes", FLOATS), **kw)


# ============================================================================ activations
def _activation(name, ref, low=-4.0, high=4.0, kinks=(), extra=None, **kw):
    return _functional(name, ref, unary_samples(low, high, kinks=kinks, extra=extra), **kw)


def _with(**kwargs):
    """Extra samples of an activation with these keyword arguments."""
    return lambda dtype: [Sample(make_array((2, 3), dtype, -4, 4, away=(0.0,)), **kwargs)]


ACTIVATIONS = [
    _activation("silu", R.silu),
    _activation("mish", R.mish),
    _activation("gelu", R.gelu, extra=_with(approximate="tanh")),
    _activation("softplus", R.softplus, -30, 30, extra=_with(beta=2.0),
                notes="PyTorch's threshold argument is not taken; above it the value differs by < exp(-threshold)"),
    _activation("logsigmoid", R.logsigmoid, -30, 30),
    _activation("softsign", R.softsign),
    _activation("elu", R.elu, kinks=(0.0,), extra=_with(alpha=0.5),
                kink="elu'(0) = alpha (the negative branch's slope), as PyTorch",
                kink_grads=[(Sample(f64(-1.0, 0.0, 2.0), 0.5), np.array([0.5 * np.exp(-1.0), 0.5, 1.0]))]),
    _activation("celu", R.celu, kinks=(0.0,), extra=_with(alpha=2.0),
                kink="celu'(0) = 1 (the negative branch's slope)",
                kink_grads=[(Sample(f64(-1.0, 0.0, 2.0), 2.0), np.array([np.exp(-0.5), 1.0, 1.0]))],
                errors=[ErrorInput(Sample(f64(1.0), 0.0), (ValueError, RuntimeError), "")]),
    _activation("selu", R.selu, kinks=(0.0,), kink="selu'(0) = scale·alpha (the negative branch's slope)",
                kink_grads=[(Sample(f64(0.0, 1.0)), np.array([R.SELU_SCALE * R.SELU_ALPHA, R.SELU_SCALE]))]),
    _activation("relu6", R.relu6, -2, 8, kinks=(0.0, 6.0), kink="the gradient is 0 at both kinks, 0 and 6",
                kink_grads=[(Sample(f64(-1.0, 0.0, 3.0, 6.0, 7.0)), np.array([0, 0, 1.0, 0, 0]))]),
    _activation("hardtanh", R.hardtanh, kinks=(-1.0, 1.0), extra=lambda d: [
        Sample(make_array((2, 3), d, -4, 4, away=(-2.0, 0.5)), -2.0, 0.5)],
                kink="the gradient is 0 at min_val and max_val", kink_grads=[
        (Sample(f64(-2.0, -1.0, 0.0, 1.0, 2.0)), np.array([0, 0, 1.0, 0, 0]))]),
    _activation("hardsigmoid", R.hardsigmoid, -5, 5, kinks=(-3.0, 3.0), kink="the gradient is 0 at -3 and 3",
                kink_grads=[(Sample(f64(-3.0, 0.0, 3.0)), np.array([0, 1 / 6, 0]))]),
    _activation("hardswish", R.hardswish, -5, 5, kinks=(-3.0, 3.0),
                kink="hardswish'(-3) = 0 and hardswish'(3) = 1 (the outer pieces' slopes), as PyTorch",
                kink_grads=[(Sample(f64(-4.0, -3.0, 3.0, 4.0)), np.array([0, 0, 1.0, 1.0]))]),
]


def _dim_samples(dtype, even=False):
    rng = np.random.default_rng(20)
    shapes = [((2, 4), 1), ((2, 4), -1), ((4, 2), 0), ((2, 2, 4), -1), ((4,), 0)] if even else \
        [((2, 3), 1), ((2, 3), 0), ((3,), 0), ((2, 3, 2), -1)]
    out = [Sample(make_array(s, dtype, rng=rng), d) for s, d in shapes]
    if not even:
        out.append(Sample(make_array((2, 3), dtype, rng=rng), name="default dim", extension=True))
    return out


ACTIVATIONS += [
    _functional("softmin", R.softmin, _dim_samples),
    _functional("glu", R.glu, lambda d: _dim_samples(d, even=True),
                errors=[ErrorInput(Sample(np.ones((2, 3)), 1), RuntimeError, "")]),
]


# ============================================================================ linear, convolution
def _linear_samples(dtype):
    rng = np.random.default_rng(21)
    x, w, b = make_array((3, 4), dtype, rng=rng), make_array((2, 4), dtype, rng=rng), make_array((2,), dtype, rng=rng)
    return [Sample(x, w, b), Sample(x, w), Sample(make_array((2, 3, 4), dtype, rng=rng), w, b, name="3-d input"),
            Sample(make_array((4,), dtype, rng=rng), w, b, name="unbatched"), Sample(np.zeros((0, 4), dtype), w, b)]


LINEAR = _functional("linear", R.linear, _linear_samples,
                     errors=[ErrorInput(Sample(np.ones((3, 4)), np.ones((2, 5))), RuntimeError, "")])


def _conv_samples(d):
    def samples(dtype):
        rng = np.random.default_rng(22 + d)
        size = (5,) * d

        def case(n, cin, cout, k, name="", unbatched=False, bias=True, groups=1, **kwargs):
            x = make_array(((cin,) if unbatched else (n, cin)) + size, dtype, -2, 2, rng)
            w = make_array((cout, cin // groups) + (k,) * d, dtype, -1, 1, rng)
            args = (x, w, make_array((cout,), dtype, -1, 1, rng)) if bias else (x, w)
            return Sample(*args, groups=groups, name=name, **kwargs) if groups > 1 else Sample(*args, name=name,
                                                                                               **kwargs)

        return [case(2, 2, 3, 3), case(1, 2, 2, 3, stride=2, padding=1), case(1, 2, 3, 2, bias=False),
                case(1, 2, 2, 2, "stride = kernel, dilation 2", stride=2, dilation=2),
                case(1, 2, 2, 3, "dilation 2, padding (1, 2)" if d == 2 else "dilation 2, padding 2", dilation=2,
                     padding=(1, 2) if d == 2 else 2),
                case(1, 4, 4, 3, "groups 2", groups=2, padding=1),
                case(1, 2, 2, 4, "padding='same', odd total", padding="same"),
                case(1, 2, 2, 3, "padding='same', dilation 2", padding="same", dilation=2),
                case(1, 2, 2, 3, "padding='valid'", padding="valid"),
                case(1, 2, 3, 3, "unbatched", unbatched=True),
                Sample(np.zeros((0, 2) + size, dtype), make_array((3, 2) + (3,) * d, dtype, rng=rng),
                       name="empty batch")]

    return samples


def _conv(d):
    name = f"conv{d}d"
    shape = (1, 2) + (5,) * d
    return _functional(name, R.conv, _conv_samples(d), errors=[
        ErrorInput(Sample(np.ones(shape), np.ones((3, 3) + (3,) * d)), RuntimeError, ""),
        ErrorInput(Sample(np.ones(shape), np.ones((2, 2) + (3,) * d), stride=2, padding="same"), (ValueError,
                                                                                                  RuntimeError), "")])


def _conv_transpose_samples(dtype):
    rng = np.random.default_rng(24)

    def case(cin, cout, k, name="", bias=True, groups=1, unbatched=False, **kwargs):
        x = make_array((cin, 3, 3) if unbatched else (1, cin, 3, 3), dtype, -2, 2, rng)
        w = make_array((cin, cout // groups, k, k), dtype, -1, 1, rng)
        args = (x, w, make_array((cout,), dtype, -1, 1, rng)) if bias else (x, w)
        return Sample(*args, name=name, **({"groups": groups} if groups > 1 else {}), **kwargs)

    return [case(2, 3, 3), case(2, 2, 3, stride=2, padding=1, output_padding=1), case(2, 2, 2, bias=False),
            case(2, 2, 2, "stride = kernel, dilation 2", stride=2, dilation=2),
            case(2, 2, 3, "dilation 2, padding 1", dilation=2, padding=1), case(4, 4, 3, "groups 2", groups=2),
            case(2, 3, 3, "unbatched", unbatched=True)]


CONVOLUTIONS = [
    _conv(1), _conv(2),
    _functional("conv_transpose2d", R.conv_transpose, _conv_transpose_samples,
                errors=[ErrorInput(Sample(np.ones((1, 2, 3, 3)), np.ones((3, 2, 3, 3))), RuntimeError, "")]),
]


# ============================================================================ pooling
def _distinct(shape, dtype, rng):
    n = int(np.prod(shape))
    return np.asarray(rng.permutation(n).reshape(shape) * 0.25 - n * 0.125).astype(dtype)


def _pool_samples(d, kind):
    def samples(dtype):
        rng = np.random.default_rng(25 + d)
        x = _distinct((1, 2) + (6,) * d, dtype, rng)
        y = _distinct((2, 1) + (5,) * d, dtype, rng)
        out = [Sample(x, 2), Sample(x, 3, stride=2, padding=1), Sample(y, 2, stride=1), Sample(y, 2, ceil_mode=True),
               Sample(y, 3, stride=2, padding=1, ceil_mode=True), Sample(y[0], 2, name="unbatched")]
        if kind == "max":
            out += [Sample(y, 2, stride=1, dilation=2), Sample(x, 2, return_indices=True),
                    Sample(y, 3, stride=2, padding=1, ceil_mode=True, return_indices=True)]
        else:
            out += [Sample(y, 3, stride=2, padding=1, count_include_pad=False),
                    Sample(y, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)]
            if d == 2:
                out.append(Sample(x, 2, divisor_override=3))
        if d == 2:
            out.append(Sample(y, (2, 3), stride=(1, 2), padding=(1, 0), name="rectangular"))
        return out

    return samples


def _max_pool_dtype(x, *args, return_indices=False, **kwargs):
    return (x.dtype, np.dtype(np.int64)) if return_indices else x.dtype


def _pool(kind, d):
    name = f"{kind}_pool{d}d"
    ref = R.max_pool(d) if kind == "max" else R.avg_pool(d)
    return _functional(name, ref, _pool_samples(d, kind), dtype_rule=_max_pool_dtype,
                       kink="ties: the first maximum in the window gets the gradient" if kind == "max" else None,
                       errors=[ErrorInput(Sample(np.ones((1, 1) + (4,) * d), 2, padding=2), RuntimeError, "")])


def _unpool_samples(d):
    def samples(dtype):
        rng = np.random.default_rng(27 + d)
        out = []
        for shape, k, kwargs in [((1, 2) + (4,) * d, 2, {}), ((2, 1) + (5,) * d, 2, {}),
                                 ((1, 1) + (5,) * d, 3, {"stride": 2, "padding": 1})]:
            x = _distinct(shape, np.float64, rng)
            values, indices = R.max_pool(d)(x, k, return_indices=True, **kwargs)
            out.append(Sample(values.astype(dtype), indices, k, **kwargs))
        x = _distinct((1, 1) + (5,) * d, np.float64, rng)
        values, indices = R.max_pool(d)(x, 2, return_indices=True)
        out.append(Sample(values.astype(dtype), indices, 2, output_size=(5,) * d, name="output_size"))
        return out

    return samples


POOLING = [_pool("max", 1), _pool("max", 2), _pool("avg", 1), _pool("avg", 2)]
POOLING += [_functional(f"max_unpool{d}d", lambda *a, d=d, **k: R.max_unpool(*a, d=d, **k), _unpool_samples(d))
            for d in (1, 2)]


# ============================================================================ normalization, embedding
def _batch_norm_samples(dtype):
    rng = np.random.default_rng(29)
    out = []
    for shape in [(4, 3), (2, 3, 4), (2, 3, 2, 2)]:
        x = make_array(shape, dtype, rng=rng)
        mean, var = make_array((3,), dtype, rng=rng), make_array((3,), dtype, 0.5, 2, rng)
        w, b = make_array((3,), dtype, rng=rng), make_array((3,), dtype, rng=rng)
        out += [Sample(x, mean, var, w, b), Sample(x, mean, var), Sample(x, None, None, w, b, training=True),
                Sample(x, None, None, training=True, eps=1e-3)]
    return out


def _layer_norm_samples(dtype):
    rng = np.random.default_rng(30)
    x = make_array((2, 3, 4), dtype, rng=rng)
    w, b = make_array((4,), dtype, rng=rng), make_array((4,), dtype, rng=rng)
    return [Sample(x, (4,), w, b), Sample(x, 4, name="an int shape", extension=True),
            Sample(x, (3, 4), make_array((3, 4), dtype, rng=rng)), Sample(x, [4], w, b, eps=0.1, name="eps 0.1"),
            Sample(x, (4,), None, b), Sample(np.zeros((0, 4), dtype), (4,))]


def _embedding_samples(dtype):
    rng = np.random.default_rng(31)
    w = make_array((5, 3), dtype, rng=rng)
    index = np.array([[0, 2, 4], [4, 4, 1]])
    # (the row at padding_idx gets no gradient, which finite differences do not see: kink_grads checks it)
    return [Sample(index, w), Sample(np.array(3), w), Sample(index, w, padding_idx=4, grad=False),
            Sample(index, w, padding_idx=-1, grad=False),
            Sample(index.astype(np.int32), w, name="int32 indices"), Sample(np.zeros((0,), np.int64), w)]


NORMALIZATION = [
    _functional("batch_norm", R.batch_norm, _batch_norm_samples, nondiff=(1, 2),
                kink="in training mode the running statistics are updated in place (None: not kept)",
                errors=[ErrorInput(Sample(np.ones((1, 3)), None, None, training=True), (ValueError, RuntimeError),
                                   "")]),
    _functional("layer_norm", R.layer_norm, _layer_norm_samples,
                errors=[ErrorInput(Sample(np.ones((2, 3)), (4,)), RuntimeError, "")]),
    _functional("embedding", R.embedding, _embedding_samples, dtype_rule=lambda index, w, *a, **k: w.dtype,
                kink="the row at padding_idx gets no gradient",
                kink_grads=[(Sample(np.array([0, 2, 0, 1]), np.ones((3, 2)), padding_idx=-1),
                             np.array([[2.0, 2.0], [1.0, 1.0], [0.0, 0.0]])),
                            (Sample(np.array([0, 2, 0, 1]), np.ones((3, 2)), padding_idx=0),
                             np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]))],
                errors=[ErrorInput(Sample(np.array([5]), np.ones((5, 3))), IndexError, "")]),
    _functional("normalize", R.normalize, lambda d: [
        Sample(make_array((2, 3), d, away=(0.0,))), Sample(make_array((2, 3), d, away=(0.0,)), 1.0, 0),
        Sample(make_array((3,), d, away=(0.0,)), dim=0),
        Sample(np.zeros((2, 2), d), name="zeros", grad=False),
        Sample(np.array([[np.nan, 3.0, 4.0]], d), name="NaN", grad=False, special=True)],
                ref_upcast=False, kink="a zero vector stays zero (its norm is clamped to eps; an eps of 1e-12 is 0 in "
                                       "float16, where zeros give NaN, as in PyTorch)"),
    _functional("one_hot", R.one_hot, lambda d: [
        Sample(np.array([0, 2, 1])), Sample(np.array([[1, 0], [3, 3]]), 5), Sample(np.array(2), 3),
        Sample(np.zeros((0,), np.int64), 3)],
                dtypes=(np.int64,), dtype_rule=fixed(np.int64), grad_order=0,
                errors=[ErrorInput(Sample(np.array([0, 3]), 2), RuntimeError, "")]),
]


# ============================================================================ losses
def _loss_samples(low=-2, high=2, target=(-2, 2), extra=None):
    def samples(dtype):
        rng = np.random.default_rng(32)
        out = []
        for shape in [(3, 4), (5,), ()]:
            x, t = make_array(shape, dtype, low, high, rng), make_array(shape, dtype, *target, rng)
            for reduction in ("mean", "sum", "none"):
                out.append(Sample(x, t, reduction=reduction))
        out.append(Sample(np.zeros((0, 2), dtype), np.zeros((0, 2), dtype), reduction="sum"))
        if extra is not None:
            out += extra(dtype, rng)
        return out

    return samples


def _away_from_target(kink_gap):
    """Inputs at least ``kink_gap`` from the target where the loss has a kink (|x - t| = 0 or beta)."""

    def samples(dtype, rng, **kwargs):
        t = make_array((3, 4), dtype, -2, 2, rng)
        gap = np.where(rng.random((3, 4)) < 0.5, -1, 1) * rng.uniform(0.2, 0.7, (3, 4))
        return [Sample((t + gap).astype(dtype), t, **kwargs)]

    return samples


def _kinked_loss_samples(name, **loss_kwargs):
    """Samples of a loss with kinks in x - t: every pair a gap away from them (gradients), plus ties."""

    def samples(dtype):
        rng = np.random.default_rng(33)
        out = []
        for reduction in ("mean", "sum", "none"):
            t = make_array((3, 4), dtype, -2, 2, rng)
            gap = np.where(rng.random((3, 4)) < 0.5, -1, 1) * np.where(rng.random((3, 4)) < 0.5, 0.3, 1.7)
            out.append(Sample((t + gap).astype(dtype), t, reduction=reduction, **loss_kwargs))
        t = make_array((4,), dtype, rng=rng)
        out.append(Sample(t.copy(), t, name="x = t", grad=False))
        out.append(Sample(make_array((), dtype, rng=rng) + 3, np.zeros((), dtype)))
        return out

    return samples


def _class_samples(dtype, with_probabilities=True):
    rng = np.random.default_rng(34)
    x = make_array((4, 3), dtype, rng=rng)
    y = np.array([0, 2, 1, 2])
    w = make_array((3,), dtype, 0.5, 2, rng)
    out = [Sample(x, y), Sample(x, y, reduction="sum"), Sample(x, y, reduction="none"), Sample(x, y, w),
           Sample(x, np.array([0, -100, 1, 2]), name="ignore_index"),
           Sample(x, np.array([0, 1, 1, 2]), w, ignore_index=1, reduction="mean"),
           Sample(make_array((2, 3, 2, 2), dtype, rng=rng), rng.integers(0, 3, (2, 2, 2)), name="spatial"),
           Sample(make_array((3,), dtype, rng=rng), np.array(1), name="unbatched")]
    if with_probabilities:
        p = R.softmax(make_array((4, 3), F64, rng=rng), 1).astype(dtype)
        out += [Sample(x, y, label_smoothing=0.2), Sample(x, y, w, label_smoothing=0.1, reduction="sum"),
                Sample(x, p, name="probabilities"), Sample(x, p, w, label_smoothing=0.3, name="probabilities")]
    return out


def _probability_samples(dtype):
    rng = np.random.default_rng(35)
    out = []
    for reduction in ("mean", "sum", "none"):
        x, t = make_array((3, 4), dtype, 0.05, 0.95, rng), make_array((3, 4), dtype, 0, 1, rng)
        out.append(Sample(x, t, reduction=reduction))
    x, t = make_array((3, 4), dtype, 0.05, 0.95, rng), make_array((3, 4), dtype, 0, 1, rng)
    out += [Sample(x, t, make_array((4,), dtype, 0.5, 2, rng)),
            Sample(np.array([0.0, 1.0, 0.5], dtype), np.array([1.0, 0.0, 0.5], dtype), name="log clamped at -100",
                   grad=False, special=True)]
    return out


def _logit_samples(dtype):
    rng = np.random.default_rng(36)
    out = []
    for reduction in ("mean", "sum", "none"):
        out.append(Sample(make_array((3, 4), dtype, -4, 4, rng), make_array((3, 4), dtype, 0, 1, rng),
                          reduction=reduction))
    x, t = make_array((3, 4), dtype, -4, 4, rng), make_array((3, 4), dtype, 0, 1, rng)
    out += [Sample(x, t, make_array((4,), dtype, 0.5, 2, rng)),
            Sample(x, t, pos_weight=make_array((4,), dtype, 0.5, 3, rng)),
            Sample(np.array([-1000.0, 1000.0, 0.0], dtype), np.array([1.0, 0.0, 0.5], dtype), name="extreme logits",
                   grad=False, special=True)]
    return out


def _kl_samples(dtype):
    rng = np.random.default_rng(37)
    logp = R.log_softmax(make_array((3, 4), F64, rng=rng), 1).astype(dtype)
    q = R.softmax(make_array((3, 4), F64, rng=rng), 1).astype(dtype)
    return [Sample(logp, q), Sample(logp, q, reduction="sum"), Sample(logp, q, reduction="batchmean"),
            Sample(logp, q, reduction="none"), Sample(logp, np.log(q), log_target=True),
            Sample(logp, np.array([[0.0, 0.5, 0.5, 0.0]] * 3, dtype), name="zero target", grad=False)]


def _cosine_samples(dtype):
    rng = np.random.default_rng(38)
    a, b = make_array((3, 4), dtype, rng=rng), make_array((3, 4), dtype, rng=rng)
    return [Sample(a, b), Sample(a, b, dim=0), Sample(a, make_array((4,), dtype, rng=rng), dim=-1),
            Sample(a, b, 1, 0.5, name="eps"), Sample(np.zeros((2, 4), dtype), b[:2], name="zero vector", grad=False)]


# the class weights are constants: PyTorch has no derivative for them (it raises), this library returns none
CLASS_WEIGHTS = "no gradient for the class weights (PyTorch raises if they require one)"

LOSSES = [
    _functional("mse_loss", R.mse_loss, _loss_samples()),
    _functional("l1_loss", R.l1_loss, _kinked_loss_samples("l1"), kink="∂/∂x = 0 where x = t",
                kink_grads=[(Sample(f64(1.0, 2.0), f64(1.0, 3.0), reduction="sum"), (g2 := (f64(0.0, -1.0),
                                                                                            f64(0.0, 1.0))))]),
    _functional("smooth_l1_loss", R.smooth_l1_loss, lambda d: _kinked_loss_samples("smooth_l1")(d) +
                _kinked_loss_samples("smooth_l1", beta=0.5)(d), kink="continuous gradient; the second derivative "
                "jumps at |x - t| = beta"),
    _functional("huber_loss", R.huber_loss, lambda d: _kinked_loss_samples("huber")(d) +
                _kinked_loss_samples("huber", delta=0.5)(d), kink="continuous gradient; the second derivative "
                "jumps at |x - t| = delta"),
    _functional("cross_entropy", R.cross_entropy, _class_samples, nondiff=(2,), notes=CLASS_WEIGHTS,
                errors=[ErrorInput(Sample(np.ones((2, 3)), np.array([0, 3])), IndexError, "")]),
    _functional("nll_loss", R.nll_loss, lambda d: _class_samples(d, with_probabilities=False), nondiff=(2,),
                notes=CLASS_WEIGHTS,
                errors=[ErrorInput(Sample(np.ones((2, 3)), np.array([0, 3])), IndexError, "")]),
    _functional("binary_cross_entropy", R.binary_cross_entropy, _probability_samples,
                kink="log is clamped at -100, as PyTorch"),
    _functional("binary_cross_entropy_with_logits", R.binary_cross_entropy_with_logits, _logit_samples),
    _functional("kl_div", R.kl_div, _kl_samples, kink="a zero target contributes 0 (not 0·log 0 = NaN)"),
    _functional("cosine_similarity", R.cosine_similarity, _cosine_samples, ref_upcast=False,
                kink="the norms' product is clamped to eps (an eps of 1e-8 is 0 in float16: zero vectors give NaN)"),
]


# ============================================================================ shapes and resampling
def _pad_samples(dtype):
    rng = np.random.default_rng(39)
    x = make_array((1, 2, 4, 5), dtype, rng=rng)
    return [Sample(x, (1, 2)), Sample(x, (1, 2, 2, 0), value=1.5), Sample(x, (2, 1, 1, 3), mode="reflect"),
            Sample(x, (2, 1, 1, 3), mode="replicate"), Sample(x, (2, 1, 1, 3), mode="circular"),
            Sample(make_array((2, 5), dtype, rng=rng), (3, 1), mode="reflect")]


def _interpolate_samples(dtype):
    rng = np.random.default_rng(40)
    x3, x4 = make_array((1, 2, 4), dtype, rng=rng), make_array((1, 2, 3, 4), dtype, rng=rng)
    x5 = make_array((1, 1, 2, 3, 2), dtype, rng=rng)
    return [Sample(x4, (5, 7)), Sample(x4, scale_factor=2), Sample(x4, (2, 3)), Sample(x3, 7, mode="nearest-exact"),
            Sample(x4, (5, 7), mode="bilinear"), Sample(x4, (5, 7), mode="bilinear", align_corners=True),
            Sample(x4, scale_factor=1.5, mode="bilinear"), Sample(x4, (2, 2), mode="bilinear"),
            Sample(x3, 6, mode="linear"), Sample(x5, (3, 4, 3), mode="trilinear", align_corners=True),
            Sample(x4, scale_factor=(1.5, 2.5), mode="bilinear", recompute_scale_factor=True)]


def _attention_samples(dtype):
    rng = np.random.default_rng(41)
    q, k, v = (make_array(s, dtype, -1, 1, rng) for s in [(2, 3, 4), (2, 5, 4), (2, 5, 3)])
    bool_mask = rng.random((3, 5)) < 0.7
    bool_mask[:, 0] = True
    return [Sample(q, k, v), Sample(q, k, v, scale=0.5), Sample(q, k, v, Raw(bool_mask), name="bool mask"),
            Sample(q, k, v, make_array((3, 5), dtype, rng=rng), name="float mask"),
            Sample(q, k[:, :3], v[:, :3], is_causal=True), Sample(q[0], k[0], v[0], name="no batch"),
            Sample(q, k, v, Raw(np.zeros((3, 5), bool)), name="all masked", grad=False, special=True)]


VISION = [
    OpInfo("nn.functional.pad", R.pad_mode, _pad_samples, variants=("F.pad",), torch="torch.nn.functional.pad",
           dtypes=FLOATS, errors=[ErrorInput(Sample(np.ones((1, 1, 2)), (3, 3), mode="reflect"), RuntimeError, "")]),
    _functional("interpolate", R.interpolate, _interpolate_samples,
                errors=[ErrorInput(Sample(np.ones((1, 1, 2, 2)), (3, 3), mode="linear"), (NotImplementedError,
                                                                                           ValueError), "")]),
    _functional("pixel_shuffle", R.pixel_shuffle, lambda d: [Sample(make_array((1, 8, 2, 3), d), 2),
                                                             Sample(make_array((9, 2, 2), d), 3)],
                errors=[ErrorInput(Sample(np.ones((1, 3, 2, 2)), 2), RuntimeError, "")]),
    _functional("pixel_unshuffle", R.pixel_unshuffle, lambda d: [Sample(make_array((1, 2, 4, 6), d), 2),
                                                                 Sample(make_array((1, 6, 3), d), 3)]),
    _functional("unfold", R.unfold, lambda d: [
        Sample(make_array((1, 2, 4, 5), d), 2), Sample(make_array((2, 1, 5, 5), d), (2, 3), dilation=(1, 2),
                                                         padding=1, stride=2),
        Sample(make_array((2, 4, 4), d), 3, name="unbatched")]),
    _functional("fold", R.fold, lambda d: [
        Sample(make_array((1, 8, 12), d), (4, 5), 2), Sample(make_array((2, 6, 6), d), (5, 5), (2, 3),
                                                             dilation=(1, 2), padding=1, stride=2),
        Sample(make_array((9, 4), d), (4, 4), 3, name="unbatched")]),
    _functional("scaled_dot_product_attention", R.scaled_dot_product_attention, _attention_samples,
                kink="a query with no allowed key gets zeros (and a zero gradient)"),
    _functional("dropout", R.dropout, lambda d: [
        Sample(make_array((2, 3), d), 0.0), Sample(make_array((2, 3), d), 0.5, False),
        Sample(make_array((4,), d), p=1.0),
        Sample(make_array((2, 3), d), training=False)],
                notes="random masks (0 < p < 1 in training) are tested in tests/test_nn_layers.py"),
]

OPS = ACTIVATIONS + [LINEAR] + CONVOLUTIONS + POOLING + NORMALIZATION + LOSSES + VISION
