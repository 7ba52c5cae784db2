"""cosine_similarity, kl_div, smooth_l1_loss, huber_loss and their modules: against NumPy
references written from PyTorch's definitions, special values, gradcheck / gradgradcheck in
float64 (away from the kinks) and PyTorch's errors."""

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def t64(a):
    return tg.Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def reduce(v, reduction):
    return v.mean() if reduction == "mean" else v.sum() if reduction == "sum" else v


# ----------------------------------------------------------------------------- cosine_similarity
def cosine_ref(a, b, dim=1, eps=1e-8):
    a, b = np.broadcast_arrays(a, b)
    na = np.maximum(np.sqrt((a * a).sum(dim, keepdims=True)), eps)
    nb = np.maximum(np.sqrt((b * b).sum(dim, keepdims=True)), eps)
    return ((a / na) * (b / nb)).sum(dim)


@pytest.mark.parametrize("shapes, dim", [(((4, 5), (4, 5)), 1), (((4, 5), (4, 5)), 0), (((2, 3, 4), (3, 1)), 1),
                                         (((3,), (3,)), 0), (((2, 3), (3,)), -1)])
def test_cosine_similarity_matches_the_reference(shapes, dim):
    a, b = RNG.standard_normal(shapes[0]), RNG.standard_normal(shapes[1])
    out = F.cosine_similarity(tg.tensor(a), tg.tensor(b), dim)
    np.testing.assert_allclose(out.data, cosine_ref(a, b, dim), rtol=1e-12)
    assert gradcheck(lambda x, y: F.cosine_similarity(x, y, dim), (t64(a), t64(b)))
    assert gradgradcheck(lambda x, y: F.cosine_similarity(x, y, dim), (t64(a), t64(b)))


def test_cosine_similarity_clamps_small_norms_with_the_derivative_of_the_value():
    a, b = np.array([[0.0, 0.0, 0.0], [0.1, 0.2, -0.05], [1.0, 2.0, 3.0]]), np.array([[1.0, 2.0, 3.0]] * 3)
    out = F.cosine_similarity(tg.tensor(a), tg.tensor(b), eps=0.5)
    np.testing.assert_allclose(out.data, cosine_ref(a, b, eps=0.5), rtol=1e-12)
    assert out.data[0] == 0.0
    x = t64(a)
    F.cosine_similarity(x, tg.tensor(b), eps=0.5).sum().backward()
    # below eps the norm is the constant eps: the gradient is b / (eps * |b|), also at x = 0
    np.testing.assert_allclose(x.grad.data[:2], np.broadcast_to(b[0] / (0.5 * np.linalg.norm(b[0])), (2, 3)))
    assert gradcheck(lambda v: F.cosine_similarity(v, tg.tensor(b[1:]), eps=0.5), (t64(a[1:]),))


def test_cosine_similarity_special_values_dtypes_and_errors():
    with np.errstate(invalid="ignore"):
        assert np.isnan(F.cosine_similarity(tg.tensor([[np.nan, 1.0]]), tg.tensor([[1.0, 2.0]])).data).all()
        assert np.isnan(F.cosine_similarity(tg.tensor([[np.inf, 1.0]]), tg.tensor([[1.0, 2.0]])).data).all()
    np.testing.assert_allclose(F.cosine_similarity(tg.tensor([[1e-5, 1e-5]]), tg.tensor([[1e-5, 1e-5]])).data, [1.0])
    f32 = F.cosine_similarity(tg.tensor(np.ones((2, 3), np.float32)), tg.tensor(np.ones((2, 3), np.float32)))
    assert f32.dtype == np.float32
    assert F.cosine_similarity(tg.zeros(0, 3), tg.zeros(0, 3)).shape == (0,)
    with pytest.raises(TypeError, match="floating-point"):
        F.cosine_similarity(tg.tensor([[1, 2]]), tg.tensor([[1, 2]]))
    with pytest.raises(IndexError, match="out of range"):
        F.cosine_similarity(tg.ones(3), tg.ones(3))  # dim=1 of a 1-D tensor
    m = nn.CosineSimilarity(dim=0, eps=1e-6)
    a, b = tg.randn(3, 2), tg.randn(3, 2)
    np.testing.assert_array_equal(m(a, b).data, F.cosine_similarity(a, b, 0, 1e-6).data)
    assert repr(m) == "CosineSimilarity(dim=0, eps=1e-06)"


# ----------------------------------------------------------------------------- kl_div
def kl_ref(x, t, reduction="mean", log_target=False):
    if log_target:
        loss = np.exp(t) * (t - x)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            loss = np.where(t == 0, 0.0, t * np.log(t)) - t * x
    if reduction == "batchmean":
        return loss.sum() / x.shape[0]
    return reduce(loss, reduction)


@pytest.mark.parametrize("reduction", ["batchmean", "mean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_the_reference(reduction, log_target):
    x = np.log(RNG.dirichlet(np.ones(5), size=4))
    t = RNG.dirichlet(np.ones(5), size=4)
    t[0, 1] = 0.0  # a zero target contributes 0 (not 0 * log 0 = nan)
    t = np.log(t + 0.1) if log_target else t
    out = F.kl_div(tg.tensor(x), tg.tensor(t), reduction=reduction, log_target=log_target)
    np.testing.assert_allclose(out.data, kl_ref(x, t, reduction, log_target), rtol=1e-12)
    assert not np.isnan(out.data).any()
    module = nn.KLDivLoss(reduction=reduction, log_target=log_target)
    np.testing.assert_array_equal(module(tg.tensor(x), tg.tensor(t)).data, out.data)
    args = (t64(x), t64(t if log_target else t + 0.05))  # the target's gradient needs t > 0 (log t)
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target), args)
    assert gradgradcheck(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target), args)


def test_kl_div_input_gradient_is_minus_target_and_zero_targets_are_fine():
    x, t = t64(np.log([[0.2, 0.8], [0.5, 0.5]])), np.array([[0.0, 1.0], [0.3, 0.7]])
    F.kl_div(x, t, reduction="sum").backward()
    np.testing.assert_array_equal(x.grad.data, -t)


def test_kl_div_broadcasts_legacy_arguments_dtypes_and_errors():
    assert F.kl_div(tg.randn(3, 1), tg.rand(1, 4), reduction="none").shape == (3, 4)
    x, t = tg.tensor(np.log([0.5, 0.5])), tg.tensor(np.array([0.25, 0.75]))
    assert F.kl_div(tg.tensor(-1.0), tg.tensor(0.5), reduction="batchmean").item() == pytest.approx(
        0.5 * np.log(0.5) + 0.5)  # a 0-d input is not divided
    np.testing.assert_allclose(F.kl_div(x, t, None, False).data, kl_ref(x.data, t.data, "none"))  # reduce=False
    np.testing.assert_allclose(F.kl_div(x, t, False).data, kl_ref(x.data, t.data, "sum"))  # size_average=False
    assert F.kl_div(tg.tensor(np.zeros(3, np.float32)), tg.tensor([0.2, 0.3, 0.5])).dtype == np.float32
    with np.errstate(invalid="ignore"):
        assert np.isnan(F.kl_div(tg.zeros(0, 3), tg.zeros(0, 3), reduction="batchmean").item())
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.kl_div(x, t, reduction="average")
    with pytest.raises(ValueError, match="not a valid value"):
        nn.KLDivLoss(reduction="average")
    with pytest.raises(TypeError, match="floating-point"):
        F.kl_div(tg.tensor([1, 2]), t)


# ----------------------------------------------------------------------------- smooth L1 and Huber
def smooth_l1_ref(d, beta):
    return np.where(np.abs(d) < beta, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta)


def huber_ref(d, delta):
    return np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


def away_from(values, kinks, gap=0.1):
    """``values`` with any within ``gap`` of a kink (|d| = beta) moved outside that band."""
    v = np.array(values)
    for k in kinks:
        near = np.abs(v - k) < gap
        v[near] = k + np.where(v[near] >= k, 2, -2) * gap
    return v


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0])
def test_smooth_l1_and_huber_match_the_references(reduction, beta):
    target = RNG.standard_normal(30)
    x = target + away_from(RNG.standard_normal(30) * 2, (beta, -beta))
    out = F.smooth_l1_loss(tg.tensor(x), tg.tensor(target), reduction=reduction, beta=beta)
    np.testing.assert_allclose(out.data, reduce(smooth_l1_ref(x - target, beta), reduction), rtol=1e-12)
    hub = F.huber_loss(tg.tensor(x), tg.tensor(target), reduction=reduction, delta=beta)
    np.testing.assert_allclose(hub.data, reduce(huber_ref(x - target, beta), reduction), rtol=1e-12)
    np.testing.assert_allclose(hub.data, beta * out.data, rtol=1e-12)  # huber = delta * smooth_l1(beta=delta)
    args = (t64(x), t64(target))
    assert gradcheck(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=beta), args)
    assert gradgradcheck(lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=beta), args)


def test_smooth_l1_and_huber_gradients_at_the_kinks_and_infinities():
    d = np.array([0.0, 1.0, -1.0, 0.5, np.inf, -np.inf, np.nan])
    x = t64(d)
    with np.errstate(invalid="ignore"):
        loss = F.smooth_l1_loss(x, tg.zeros(7).double(), reduction="none")
        loss.backward(np.ones(7))
        np.testing.assert_allclose(loss.data, [0.0, 0.5, 0.5, 0.125, np.inf, np.inf, np.nan])
    np.testing.assert_allclose(x.grad.data, [0.0, 1.0, -1.0, 0.5, 1.0, -1.0, np.nan])  # |d| = beta: the linear side
    y = t64(d * 2)
    with np.errstate(invalid="ignore"):
        F.huber_loss(y, tg.zeros(7).double(), reduction="none", delta=2.0).backward(np.ones(7))
    np.testing.assert_allclose(y.grad.data, [0.0, 2.0, -2.0, 1.0, 2.0, -2.0, np.nan])


def test_smooth_l1_beta_zero_is_l1_and_huber_weight():
    x, t = tg.tensor([0.5, -2.0, 3.0]), tg.tensor([0.0, 0.0, 1.0])
    np.testing.assert_array_equal(F.smooth_l1_loss(x, t, beta=0.0).data, F.l1_loss(x, t).data)
    w = tg.tensor([1.0, 2.0, 3.0])
    expected = huber_ref(x.data - t.data, 1.0) * w.data
    np.testing.assert_allclose(F.huber_loss(x, t, weight=w).data, expected.mean())
    np.testing.assert_allclose(F.huber_loss(x, t, "none", weight=w).data, expected)
    np.testing.assert_allclose(F.smooth_l1_loss(x, t, None, False).data, smooth_l1_ref(x.data - t.data, 1.0))


def test_smooth_l1_and_huber_dtypes_empty_modules_and_errors():
    x32 = tg.tensor(np.array([0.5, 3.0], np.float32))
    assert F.smooth_l1_loss(x32, tg.tensor([0, 0])).dtype == np.float32  # an integer target is promoted
    assert F.huber_loss(x32, x32 * 0).dtype == np.float32
    assert F.smooth_l1_loss(tg.zeros(0), tg.zeros(0), reduction="none").shape == (0,)
    assert F.huber_loss(tg.zeros(0), tg.zeros(0), reduction="sum").item() == 0.0
    a, b = tg.randn(4), tg.randn(4)
    np.testing.assert_array_equal(nn.SmoothL1Loss(beta=0.3)(a, b).data, F.smooth_l1_loss(a, b, beta=0.3).data)
    np.testing.assert_array_equal(nn.HuberLoss("sum", 0.7)(a, b).data, F.huber_loss(a, b, "sum", 0.7).data)
    assert nn.SmoothL1Loss(reduce=False).reduction == "none"
    with pytest.raises(ValueError, match="non-negative"):
        F.smooth_l1_loss(a, b, beta=-1.0)
    with pytest.raises(ValueError, match="positive"):
        F.huber_loss(a, b, delta=0.0)
    with pytest.raises(ValueError, match="same shape"):
        F.huber_loss(tg.zeros(3, 1), tg.zeros(3))
    with pytest.raises(ValueError, match="reduction"):
        F.smooth_l1_loss(a, b, reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        nn.HuberLoss(reduction="avg")
