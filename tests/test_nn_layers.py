"""Layers and activations: forward against NumPy references, gradients by gradcheck (float64)."""

import math

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np.testing import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def t64(*shape, low=-1.0, high=1.0, grad=True):
    return tg.Tensor(RNG.uniform(low, high, shape), requires_grad=grad)


def away_from_zero(*shape):
    """Values in +-[0.1, 1]: keeps relu-like kinks out of finite differences."""
    v = RNG.uniform(0.1, 1.0, shape) * RNG.choice([-1.0, 1.0], shape)
    return tg.Tensor(v, requires_grad=True)


# ----------------------------------------------------------------------------- Linear
def test_linear_forward_matches_numpy_and_layout_is_out_by_in():
    lin = nn.Linear(5, 3)
    assert lin.weight.shape == (3, 5) and lin.bias.shape == (3,)
    x = RNG.standard_normal((4, 5)).astype(np.float32)
    out = lin(tg.tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, x @ lin.weight.data.T + lin.bias.data, rtol=1e-6, atol=1e-6)
    x3 = RNG.standard_normal((2, 4, 5)).astype(np.float32)  # any leading axes
    np.testing.assert_allclose(lin(tg.tensor(x3)).data, x3 @ lin.weight.data.T + lin.bias.data, rtol=1e-6, atol=1e-6)
    assert nn.Linear(5, 3, bias=False)(tg.tensor(x)).shape == (4, 3)


@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 5), (5,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(shape, bias):
    x, w = t64(*shape), t64(3, 5)
    b = t64(3) if bias else None
    inputs = (x, w, b) if bias else (x, w)
    assert gradcheck(lambda *a: F.linear(*a), inputs)


def test_linear_gradgradcheck():
    assert gradgradcheck(lambda x, w, b: F.linear(x, w, b), (t64(3, 4), t64(2, 4), t64(2)))


def test_linear_default_init_like_pytorch():
    tg.manual_seed(1)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    assert np.abs(lin.weight.data).max() <= bound and np.abs(lin.bias.data).max() <= bound
    assert abs(lin.weight.data.std() - bound / math.sqrt(3)) < 0.01 * bound  # U(-b, b) has std b/sqrt(3)
    tg.manual_seed(1)
    np.testing.assert_array_equal(nn.Linear(400, 300).weight.data, lin.weight.data)  # the global generator


def test_linear_errors_name_shapes():
    with pytest.raises(ValueError, match=r"input of shape \(2, 4\) does not match weight of shape \(3, 5\)"):
        nn.Linear(5, 3)(tg.ones(2, 4))


def test_linear_float64_input_promotes():
    lin = nn.Linear(3, 2)
    out = lin(tg.ones(2, 3, dtype=np.float64))
    assert out.dtype == np.float64


# ----------------------------------------------------------------------------- activations
def np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


ACTIVATIONS = [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x))),
    (nn.Softplus(beta=2.0), lambda x: np.log1p(np.exp(2 * x)) / 2),
    (nn.Softmax(dim=1), lambda x: np_softmax(x, 1)),
    (nn.Softmax(dim=0), lambda x: np_softmax(x, 0)),
    (nn.LogSoftmax(dim=1), lambda x: np.log(np_softmax(x, 1))),
    (nn.Identity(), lambda x: x),
]


@pytest.mark.parametrize("module, ref", ACTIVATIONS, ids=lambda v: repr(v) if isinstance(v, nn.Module) else "")
def test_activation_forward_and_gradcheck(module, ref):
    x = away_from_zero(3, 4)
    np.testing.assert_allclose(module(x).data, ref(x.data), rtol=1e-10, atol=1e-12)
    if not isinstance(module, nn.Identity):
        assert gradcheck(module, (x,))


def test_softmax_and_log_softmax_are_stable_for_extreme_inputs():
    x = tg.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]])
    p = F.softmax(x, dim=1).data
    np.testing.assert_allclose(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-7)
    lp = F.log_softmax(x, dim=1).data
    assert np.all(np.isfinite(lp)) and lp[0, 0] == 0 and lp[0, 1] == -1e4


def test_softplus_extremes():
    x = tg.tensor([-1000.0, 0.0, 1000.0], dtype=np.float64, requires_grad=True)
    y = F.softplus(x)
    np.testing.assert_allclose(y.data, [0.0, math.log(2), 1000.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.5, 1.0])


def test_flatten():
    x = tg.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0)(x).shape == (120,)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)


# ----------------------------------------------------------------------------- Dropout
def test_dropout_statistics_and_scaling():
    tg.manual_seed(0)
    x = tg.ones(200, 500)
    y = nn.Dropout(0.3)(x).data
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.02  # the expectation is preserved
    assert y.dtype == np.float32


def test_dropout_gradient_is_the_mask():
    tg.manual_seed(3)
    x = tg.randn(50, 40, requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.where(y.data != 0, 2.0, 0.0))


def test_dropout_eval_identity_and_edges():
    x = tg.randn(10, 10)
    d = nn.Dropout(0.5).eval()
    assert d(x) is x
    assert F.dropout(x, 0.0) is x
    assert np.all(F.dropout(x, 1.0).data == 0)
    with pytest.raises(ValueError):
        nn.Dropout(1.5)
    tg.manual_seed(5)
    a = F.dropout(tg.ones(100), 0.5).data
    tg.manual_seed(5)
    np.testing.assert_array_equal(a, F.dropout(tg.ones(100), 0.5).data)  # uses the global generator


# ----------------------------------------------------------------------------- BatchNorm
def bn_reference(x, axes, rm, rv, w, b, momentum, eps):
    """One training step of batch norm in NumPy: output and the updated running stats."""
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    n = x.size // x.shape[1]
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * w.reshape(shape) + b.reshape(shape)
    return y, (1 - momentum) * rm + momentum * mean, (1 - momentum) * rv + momentum * var * n / (n - 1)


@pytest.mark.parametrize("cls, shape, axes", [
    (nn.BatchNorm1d, (8, 3), (0,)), (nn.BatchNorm1d, (4, 3, 5), (0, 2)), (nn.BatchNorm2d, (4, 3, 5, 6), (0, 2, 3)),
])
def test_batchnorm_training_and_running_stats_over_steps(cls, shape, axes):
    bn = cls(3, momentum=0.2).double()
    bn.weight.data[:] = [0.5, 1.0, 2.0]
    bn.bias.data[:] = [0.1, -0.2, 0.3]
    rm, rv = np.zeros(3), np.ones(3)
    for step in range(4):
        x = RNG.standard_normal(shape) * (step + 1) + step
        y = bn(tg.tensor(x))
        ref, rm, rv = bn_reference(x, axes, rm, rv, bn.weight.data, bn.bias.data, 0.2, 1e-5)
        np.testing.assert_allclose(y.data, ref, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(bn.running_mean.data, rm, rtol=1e-12)
        np.testing.assert_allclose(bn.running_var.data, rv, rtol=1e-12)
    assert int(bn.num_batches_tracked.data) == 4
    bn.eval()
    x = RNG.standard_normal(shape)
    s = [1, 3] + [1] * (len(shape) - 2)
    expected = (x - rm.reshape(s)) / np.sqrt(rv.reshape(s) + 1e-5) * bn.weight.data.reshape(s) + bn.bias.data.reshape(s)
    np.testing.assert_allclose(bn(tg.tensor(x)).data, expected, rtol=1e-10)
    assert int(bn.num_batches_tracked.data) == 4  # eval does not count


def test_batchnorm_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None).double()
    xs = [RNG.standard_normal((6, 2)) + i for i in range(3)]
    for x in xs:
        bn(tg.tensor(x))
    np.testing.assert_allclose(bn.running_mean.data, np.mean([x.mean(0) for x in xs], axis=0), rtol=1e-12)


def test_batchnorm_without_affine_or_running_stats():
    bn = nn.BatchNorm1d(3, affine=False, track_running_stats=False).double()
    assert list(bn.parameters()) == [] and list(bn.state_dict()) == []
    x = RNG.standard_normal((5, 3))
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
    np.testing.assert_allclose(bn(tg.tensor(x)).data, expected, rtol=1e-10)
    bn.eval()  # without running stats eval uses the batch too, as in PyTorch
    np.testing.assert_allclose(bn(tg.tensor(x)).data, expected, rtol=1e-10)


def test_batchnorm_gradcheck_train_and_eval():
    x, w, b = t64(4, 3, 2, 2), t64(3), t64(3)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    rm, rv = np.zeros(3), np.full(3, 2.0)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), (x, w, b))
    assert gradgradcheck(lambda x, w: F.batch_norm(x, None, None, w, None, training=True), (t64(5, 2), t64(2)))


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="num_features=3"):
        nn.BatchNorm1d(3)(tg.ones(4, 2))
    with pytest.raises(ValueError, match="4-D"):
        nn.BatchNorm2d(3)(tg.ones(4, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(tg.ones(1, 3))


# ----------------------------------------------------------------------------- LayerNorm
def test_layernorm_forward_and_gradcheck():
    ln = nn.LayerNorm((3, 4)).double()
    ln.weight.data[...] = RNG.uniform(0.5, 1.5, (3, 4))
    ln.bias.data[...] = RNG.uniform(-0.5, 0.5, (3, 4))
    x = RNG.standard_normal((2, 3, 4))
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(ln(tg.tensor(x)).data, (x - mean) / np.sqrt(var + 1e-5) * ln.weight.data + ln.bias.data,
                               rtol=1e-10)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, 4, w, b), (t64(2, 4), t64(4), t64(4)))
    assert gradgradcheck(lambda x: F.layer_norm(x, 3), (t64(2, 3),))
    assert list(nn.LayerNorm(4, elementwise_affine=False).parameters()) == []
    with pytest.raises(ValueError, match="normalized_shape"):
        ln(tg.ones(2, 4, 3))


# ----------------------------------------------------------------------------- Embedding
def test_embedding_lookup_and_accumulated_gradient():
    emb = nn.Embedding(5, 3)
    idx = np.array([[0, 2], [2, 4]])
    out = emb(idx)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.data, emb.weight.data[idx])
    g = RNG.standard_normal((2, 2, 3)).astype(np.float32)
    out.backward(g)
    expected = np.zeros((5, 3), np.float32)
    np.add.at(expected, idx, g)
    np.testing.assert_allclose(emb.weight.grad.data, expected, rtol=1e-6)


def test_embedding_padding_idx_gets_no_gradient():
    emb = nn.Embedding(4, 2, padding_idx=1)
    assert np.all(emb.weight.data[1] == 0)
    emb(tg.tensor([1, 1, 3])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data[1], [0, 0])
    np.testing.assert_array_equal(emb.weight.grad.data[3], [1, 1])


def test_embedding_max_norm_rescales_the_rows_looked_up_in_place():
    emb = nn.Embedding(4, 2, max_norm=1.0, dtype=np.float64)
    emb.weight.data[:] = [[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [0.0, 2.0]]
    out = emb(np.array([0, 1, 0]))
    # row 0 (norm 5) is scaled to norm 1 (PyTorch's max_norm / (norm + 1e-7)); row 1 is short enough;
    # rows 2 and 3 were not looked up, so they stay as they were
    np.testing.assert_allclose(emb.weight.data, [[0.6, 0.8], [0.3, 0.4], [6.0, 8.0], [0.0, 2.0]], rtol=1e-6)
    np.testing.assert_allclose(out.data, emb.weight.data[[0, 1, 0]])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data, [[2, 2], [1, 1], [0, 0], [0, 0]])
    emb1 = nn.Embedding(2, 2, max_norm=2.0, norm_type=1.0, dtype=np.float64)
    emb1.weight.data[:] = [[3.0, -1.0], [0.5, 0.5]]
    emb1(np.array([0, 1]))
    np.testing.assert_allclose(emb1.weight.data, [[1.5, -0.5], [0.5, 0.5]], rtol=1e-6)
    assert "max_norm=2.0" in repr(emb1)


def test_embedding_errors():
    emb = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match="out of range"):
        emb(np.array([4]))
    with pytest.raises(TypeError, match="integer"):
        emb(tg.tensor([1.0]))


# ----------------------------------------------------------------------------- init
def test_kaiming_normal_matches_the_seed_he_init():
    tg.manual_seed(0)
    w = nn.Parameter(np.zeros((500, 400), np.float32))
    assert nn.init.kaiming_normal_(w, nonlinearity="relu") is w
    assert abs(w.data.std() - math.sqrt(2 / 400)) < 0.01 * math.sqrt(2 / 400)
    assert abs(w.data.mean()) < 1e-3
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.data.std() - math.sqrt(2 / 500)) < 0.01 * math.sqrt(2 / 500)


def test_init_bounds_and_fans():
    w = tg.zeros(64, 32, 3, 3)  # fan_in = 32*9, fan_out = 64*9
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    assert np.abs(w.data).max() <= 1 / math.sqrt(32 * 9)
    nn.init.xavier_uniform_(w)
    bound = math.sqrt(6 / (32 * 9 + 64 * 9))
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.95 * bound
    nn.init.xavier_normal_(w, gain=2.0)
    assert abs(w.data.std() - 2 * math.sqrt(2 / (32 * 9 + 64 * 9))) < 0.03 * w.data.std()
    nn.init.uniform_(w, 2, 3)
    assert w.data.min() >= 2 and w.data.max() <= 3
    nn.init.normal_(w, 5.0, 0.1)
    assert abs(w.data.mean() - 5) < 0.01
    assert np.all(nn.init.zeros_(w).data == 0) and np.all(nn.init.ones_(w).data == 1)
    assert np.all(nn.init.constant_(w, 0.25).data == 0.25) and w.dtype == np.float32
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(tg.zeros(3))
    with pytest.raises(ValueError):
        nn.init.kaiming_normal_(w, mode="fan_avg")


def test_init_modifies_in_place_without_recording():
    lin = nn.Linear(3, 3)
    array = lin.weight.data
    nn.init.zeros_(lin.weight)
    assert lin.weight.data is array and lin.weight.grad_fn is None and lin.weight.is_leaf


def test_calculate_gain():
    g = nn.init.calculate_gain
    assert g("relu") == math.sqrt(2) and g("tanh") == 5 / 3 and g("linear") == 1 and g("sigmoid") == 1
    assert g("leaky_relu", 0.2) == math.sqrt(2 / 1.04) and g("conv2d") == 1
    with pytest.raises(ValueError):
        g("swish")


# ----------------------------------------------------------------------------- a model, second order
def test_small_mlp_second_order():
    tg.manual_seed(0)
    w1, b1, w2 = t64(4, 3), t64(4), t64(2, 4)

    def mlp(x, w1, b1, w2):
        return F.linear(F.tanh(F.linear(x, w1, b1)), w2).sigmoid()

    x = t64(5, 3)
    assert gradcheck(mlp, (x, w1, b1, w2))
    assert gradgradcheck(mlp, (x, w1, b1, w2))


def test_training_a_tiny_model_reduces_the_loss():
    tg.manual_seed(0)
    x = tg.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0])
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    losses = []
    for _ in range(300):
        loss = F.cross_entropy(model(x), y)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.5 * p.grad.data
        losses.append(loss.item())
    assert losses[-1] < 0.05 < losses[0]
    assert np.all(model(x).data.argmax(1) == y)


def test_float32_stays_float32_through_every_layer_and_loss():
    x = tg.randn(4, 3, 8, 8)
    layers = [nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.LeakyReLU(), nn.MaxPool2d(2),
              nn.AvgPool2d(2, padding=1, count_include_pad=False), nn.Dropout(0.2), nn.Flatten(), nn.Linear(36, 6),
              nn.LayerNorm(6), nn.Tanh(), nn.Sigmoid(), nn.Softplus(), nn.Softmax(), nn.LogSoftmax()]
    h = x
    for layer in layers:
        h = layer(h)
        assert h.dtype == np.float32, layer
    y = np.array([0, 1, 2, 3])
    for loss in (F.cross_entropy(h, y), F.cross_entropy(h, y, label_smoothing=0.1, weight=np.ones(6)),
                 F.nll_loss(h, y), F.mse_loss(h, tg.zeros(4, 6)), F.l1_loss(h, tg.zeros(4, 6)),
                 F.binary_cross_entropy(h.exp(), tg.ones(4, 6)), F.binary_cross_entropy_with_logits(h, tg.ones(4, 6))):
        assert loss.dtype == np.float32
    assert nn.Embedding(3, 2)(np.array([0, 2])).dtype == np.float32
    bn = nn.BatchNorm2d(4).eval()
    assert bn(tg.randn(2, 4, 3, 3)).dtype == np.float32


def test_bias_false_layers_register_a_none_bias():
    for layer in (nn.Linear(3, 2, bias=False), nn.Conv2d(1, 2, 3, bias=False)):
        assert layer.bias is None and "bias" not in layer.state_dict() and len(list(layer.parameters())) == 1
    assert "bias=False" in repr(nn.Conv2d(1, 2, 3, bias=False))
    assert nn.Conv2d(1, 2, 3, bias=False)(tg.randn(1, 1, 4, 4)).shape == (1, 2, 2, 2)
