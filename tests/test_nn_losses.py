"""Losses against NumPy references written from PyTorch's definitions; gradients by gradcheck."""

import itertools

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)
REDUCTIONS = ["mean", "sum", "none"]


def t64(*shape, grad=True, scale=1.0):
    return tg.Tensor(RNG.standard_normal(shape) * scale, requires_grad=grad)


def reduce(v, reduction):
    return v.mean() if reduction == "mean" else v.sum() if reduction == "sum" else v


# ----------------------------------------------------------------------------- references
def log_softmax_np(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def cross_entropy_ref(x, y, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """PyTorch's definition: (1 - ls) * NLL + ls/C * (smoothing term); 'mean' divides both by the
    summed weight of the non-ignored targets (by N*d1*... for probability targets)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y)
    if x.ndim == 1:
        x, y = x[None], y[None]
    c = x.shape[1]
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    lp = log_softmax_np(np.moveaxis(x, 1, -1).reshape(-1, c), 1)
    if y.dtype.kind == "f":  # class probabilities
        t = np.moveaxis(y, 1, -1).reshape(-1, c) * (1 - label_smoothing) + label_smoothing / c
        losses = -(lp * t * w).sum(1)
        out_shape = y.shape[:1] + y.shape[2:]
        if reduction == "mean":
            return losses.sum() / len(losses)
        return losses.sum() if reduction == "sum" else losses.reshape(out_shape)
    flat = y.reshape(-1)
    valid = flat != ignore_index
    safe = np.where(valid, flat, 0)
    nll = -w[safe] * lp[np.arange(len(flat)), safe] * valid
    smooth = -(lp * w).sum(1) * valid
    losses = (1 - label_smoothing) * nll + label_smoothing / c * smooth
    if reduction == "none":
        return losses.reshape(y.shape)
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / (w[safe] * valid).sum()


def bce_ref(x, t, weight=None):
    with np.errstate(divide="ignore"):
        v = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log(1 - x), -100))
    return v if weight is None else v * weight


def bce_logits_ref(x, t, weight=None, pos_weight=None):
    lw = 1.0 if pos_weight is None else 1 + (pos_weight - 1) * t
    v = (1 - t) * x + lw * (np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0))
    return v if weight is None else v * weight


# ----------------------------------------------------------------------------- cross_entropy
CE_SHAPES = [((6, 4), (6,)), ((3, 4, 2, 3), (3, 2, 3)), ((5,), ())]


@pytest.mark.parametrize("shapes", CE_SHAPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted, ignore, smoothing", list(itertools.product([False, True], [False, True], [0, 0.2])))
def test_cross_entropy_index_targets_match_reference(shapes, reduction, weighted, ignore, smoothing):
    x_shape, y_shape = shapes
    c = x_shape[1] if len(x_shape) > 1 else x_shape[0]
    x = RNG.standard_normal(x_shape) * 3
    y = RNG.integers(0, c, y_shape)
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    if weighted:
        kw["weight"] = RNG.uniform(0.5, 2.0, c)
    if ignore and y.ndim:
        y.reshape(-1)[::3] = -1
        kw["ignore_index"] = -1
    out = F.cross_entropy(tg.tensor(x), y, **kw)
    np.testing.assert_allclose(out.data, cross_entropy_ref(x, y, **kw), rtol=1e-10, atol=1e-12)
    assert out.shape == (() if reduction != "none" else y_shape)
    xt = tg.Tensor(x, requires_grad=True)
    assert gradcheck(lambda x: F.cross_entropy(x, y, **kw), (xt,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_is_twice_differentiable(reduction, smoothing):
    y = np.array([0, 2, 1, 2])
    kw = dict(reduction=reduction, label_smoothing=smoothing, weight=np.array([1.0, 2.0, 0.5]))
    assert gradgradcheck(lambda x: F.cross_entropy(x, y, **kw), (t64(4, 3),))
    assert gradgradcheck(lambda x: F.cross_entropy(x, y, reduction=reduction), (t64(4, 3),))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_probability_targets(reduction, smoothing):
    x = RNG.standard_normal((4, 3, 2))
    p = RNG.uniform(0, 1, (4, 3, 2))
    p /= p.sum(1, keepdims=True)
    w = np.array([1.0, 0.5, 2.0])
    kw = dict(reduction=reduction, label_smoothing=smoothing, weight=w)
    out = F.cross_entropy(tg.tensor(x), tg.tensor(p), **kw)
    np.testing.assert_allclose(out.data, cross_entropy_ref(x, p, **kw), rtol=1e-10)
    xt, pt = tg.Tensor(x, requires_grad=True), tg.Tensor(p, requires_grad=True)
    assert gradcheck(lambda x, p: F.cross_entropy(x, p, **kw), (xt, pt))  # both logits and targets


def test_cross_entropy_equals_nll_of_log_softmax_and_one_hot_probabilities():
    x = RNG.standard_normal((5, 4))
    y = np.array([0, 3, 1, 1, 2])
    ce = F.cross_entropy(tg.tensor(x), y).item()
    assert ce == pytest.approx(F.nll_loss(F.log_softmax(tg.tensor(x), 1), y).item(), rel=1e-12)
    onehot = F.one_hot(tg.tensor(y), 4).data.astype(np.float64)
    assert ce == pytest.approx(F.cross_entropy(tg.tensor(x), onehot).item(), rel=1e-12)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    x = RNG.standard_normal((8, 5)).astype(np.float32)
    y = RNG.integers(0, 5, 8)
    xt = tg.Tensor(x, requires_grad=True)
    loss = F.cross_entropy(xt, y)
    assert loss.dtype == np.float32
    loss.backward()
    e = np.exp(x - x.max(1, keepdims=True))
    expected = e / e.sum(1, keepdims=True)
    expected[np.arange(8), y] -= 1
    assert xt.grad.dtype == np.float32
    np.testing.assert_allclose(xt.grad.data, expected / 8, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_extreme_logits(dtype):
    x = tg.tensor(np.array([[1e4, 0.0, -1e4], [1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [3e4, 3e4, -3e4]], dtype=dtype),
                  requires_grad=True)
    y = np.array([0, 2, 1, 0])
    losses = F.cross_entropy(x, y, reduction="none")
    np.testing.assert_allclose(losses.data, [0.0, 2e4, np.log(3), np.log(2)], rtol=1e-6)
    F.cross_entropy(x, y).backward()
    g = x.grad.data
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, np.array([[0, 0, 0], [1, 0, -1], [1 / 3, -2 / 3, 1 / 3], [-0.5, 0.5, 0]]) / 4,
                               atol=1e-7)
    smoothed = F.cross_entropy(x, y, label_smoothing=0.1)
    assert np.isfinite(smoothed.item())


def test_cross_entropy_all_ignored_mean_is_nan_like_pytorch():
    x = tg.Tensor(RNG.standard_normal((3, 2)), requires_grad=True)
    y = np.array([-100, -100, -100])
    assert np.isnan(F.cross_entropy(x, y).item())
    assert F.cross_entropy(x, y, reduction="sum").item() == 0


def test_cross_entropy_errors():
    x = tg.randn(4, 3)
    with pytest.raises(IndexError, match="target 3 is out of range for 3 classes"):
        F.cross_entropy(x, np.array([0, 1, 3, 0]))
    with pytest.raises(IndexError, match="out of range"):
        F.cross_entropy(x, np.array([0, -2, 1, 0]))
    with pytest.raises(ValueError, match=r"needs a target of shape \(4,\), got \(3,\)"):
        F.cross_entropy(x, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"class-probability target must have the input's shape \(4, 3\)"):
        F.cross_entropy(x, np.zeros((4, 2), np.float32))
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(x, np.array([True, False, True, True]))
    with pytest.raises(TypeError, match="floating-point"):
        F.cross_entropy(tg.tensor([[1, 2]]), np.array([0]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, np.array([0, 1, 2, 0]), reduction="avg")
    with pytest.raises(ValueError, match="weight"):
        F.cross_entropy(x, np.array([0, 1, 2, 0]), weight=np.ones(4))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, np.array([0, 1, 2, 0]), label_smoothing=1.5)


# ----------------------------------------------------------------------------- nll_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_reference(reduction):
    lp = log_softmax_np(RNG.standard_normal((6, 4)), 1)
    y = np.array([0, 3, -100, 1, 2, 2])
    w = np.array([1.0, 2.0, 0.5, 1.5])
    out = F.nll_loss(tg.tensor(lp), y, weight=w, reduction=reduction)
    valid = y != -100
    safe = np.where(valid, y, 0)
    per = -w[safe] * lp[np.arange(6), safe] * valid
    expected = per if reduction == "none" else per.sum() if reduction == "sum" else per.sum() / (w[safe] * valid).sum()
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert gradcheck(lambda x: F.nll_loss(x, y, weight=w, reduction=reduction), (tg.Tensor(lp, requires_grad=True),))
    assert nn.NLLLoss(weight=w, reduction=reduction)(tg.tensor(lp), y).data == pytest.approx(expected)


def test_nll_loss_spatial():
    lp = log_softmax_np(RNG.standard_normal((2, 3, 4)), 1)
    y = RNG.integers(0, 3, (2, 4))
    expected = -np.take_along_axis(lp, y[:, None], 1).mean()
    assert F.nll_loss(tg.tensor(lp), y).item() == pytest.approx(expected, rel=1e-12)


# ----------------------------------------------------------------------------- regression losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_and_l1(reduction):
    x, t = t64(3, 4), t64(3, 4)
    d = x.data - t.data
    np.testing.assert_allclose(F.mse_loss(x, t, reduction).data, reduce(d**2, reduction), rtol=1e-12)
    np.testing.assert_allclose(F.l1_loss(x, t, reduction).data, reduce(np.abs(d), reduction), rtol=1e-12)
    assert gradcheck(lambda x, t: F.mse_loss(x, t, reduction), (x, t))
    assert gradcheck(lambda x, t: F.l1_loss(x, t, reduction), (x, t))
    assert gradgradcheck(lambda x, t: F.mse_loss(x, t, reduction), (x, t))
    np.testing.assert_allclose(nn.MSELoss(reduction)(x, t).data, reduce(d**2, reduction))
    np.testing.assert_allclose(nn.L1Loss(reduction)(x, t).data, reduce(np.abs(d), reduction))


def test_regression_losses_reject_mismatched_shapes():
    with pytest.raises(ValueError, match=r"input of shape \(3, 1\) and target of shape \(3,\)"):
        F.mse_loss(tg.randn(3, 1), tg.randn(3))
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss("avg")


# ----------------------------------------------------------------------------- binary cross-entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    x = tg.Tensor(RNG.uniform(0.05, 0.95, (3, 4)), requires_grad=True)
    t = tg.Tensor(RNG.uniform(0, 1, (3, 4)), requires_grad=True)
    w = RNG.uniform(0.5, 2, (3, 4))
    out = F.binary_cross_entropy(x, t, weight=w, reduction=reduction)
    np.testing.assert_allclose(out.data, reduce(bce_ref(x.data, t.data, w), reduction), rtol=1e-12)
    assert gradcheck(lambda x, t: F.binary_cross_entropy(x, t, reduction=reduction), (x, t))
    assert gradgradcheck(lambda x, t: F.binary_cross_entropy(x, t, reduction=reduction), (x, t))
    np.testing.assert_allclose(nn.BCELoss(weight=w, reduction=reduction)(x, t).data, out.data)


def test_binary_cross_entropy_clamps_the_log_at_minus_100():
    x = tg.tensor([0.0, 1.0, 0.0, 1.0, 0.5], dtype=np.float64, requires_grad=True)
    t = tg.tensor([1.0, 0.0, 0.0, 1.0, 1.0], dtype=np.float64)
    losses = F.binary_cross_entropy(x, t, reduction="none")
    np.testing.assert_allclose(losses.data, [100, 100, 0, 0, np.log(2)])
    losses.sum().backward()
    # PyTorch's gradient: (x - t) / max(x (1 - x), 1e-12): large but finite at 0 and 1
    np.testing.assert_allclose(x.grad.data, [-1e12, 1e12, 0, 0, -2])


def test_binary_cross_entropy_errors():
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(tg.tensor([1.5]), tg.tensor([1.0]))
    with pytest.raises(ValueError, match="same shape"):
        F.binary_cross_entropy(tg.tensor([0.5, 0.5]), tg.tensor([1.0]))
    with pytest.raises(TypeError, match="target must be a floating-point"):
        F.binary_cross_entropy(tg.tensor([0.5]), tg.tensor([1]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction):
    x, t = t64(3, 4, scale=3), tg.Tensor(RNG.uniform(0, 1, (3, 4)), requires_grad=True)
    w, pw = RNG.uniform(0.5, 2, (3, 4)), RNG.uniform(0.5, 3, 4)
    out = F.binary_cross_entropy_with_logits(x, t, weight=w, reduction=reduction, pos_weight=pw)
    np.testing.assert_allclose(out.data, reduce(bce_logits_ref(x.data, t.data, w, pw), reduction), rtol=1e-12)
    fn = lambda x, t: F.binary_cross_entropy_with_logits(x, t, weight=w, reduction=reduction, pos_weight=pw)  # noqa
    assert gradcheck(fn, (x, t))
    assert gradgradcheck(fn, (x, t))
    mod = nn.BCEWithLogitsLoss(weight=w, reduction=reduction, pos_weight=pw)
    np.testing.assert_allclose(mod(x, t).data, out.data)
    # equals BCE of the sigmoid where that is accurate
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, t, reduction=reduction).data,
                               F.binary_cross_entropy(x.sigmoid(), t, reduction=reduction).data, rtol=1e-10)


def test_binary_cross_entropy_with_logits_is_stable():
    x = tg.tensor([-1000.0, 1000.0, 0.0, -1000.0, 1000.0], requires_grad=True)
    t = tg.tensor([0.0, 1.0, 1.0, 1.0, 0.0])
    losses = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(losses.data, [0, 0, np.log(2), 1000, 1000], rtol=1e-6)
    losses.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0, 0, -0.5, -1, 1], atol=1e-7)  # sigmoid(x) - t


def test_loss_modules_repr():
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"


def test_cross_entropy_loss_module():
    x = t64(5, 3)
    y = np.array([0, 1, 2, 1, -100])
    w = np.array([1.0, 2.0, 3.0])
    mod = nn.CrossEntropyLoss(weight=w, label_smoothing=0.1)
    assert list(mod.state_dict()) == ["weight"]
    np.testing.assert_allclose(mod(x, y).data, cross_entropy_ref(x.data, y, weight=w, label_smoothing=0.1),
                               rtol=1e-12)
