"""The activations silu ... glu and their modules: values against NumPy/SciPy references written
from PyTorch's definitions, gradients at the kinks and infinities (PyTorch's conventions),
gradcheck and gradgradcheck in float64 away from the kinks, dtypes, empty inputs and errors."""

import numpy as np
import pytest
from scipy.special import expit, log_expit

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np.testing import GradcheckError, gradcheck, gradgradcheck

RNG = np.random.default_rng(0)
ALPHA, SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
INF, NAN = np.inf, np.nan


def elu_ref(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def softmax_ref(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# name -> (F function, keyword arguments, NumPy reference)
REFERENCES = {
    "silu": (F.silu, {}, lambda x: x * expit(x)),
    "elu": (F.elu, {}, elu_ref),
    "elu alpha=0.5": (F.elu, {"alpha": 0.5}, lambda x: elu_ref(x, 0.5)),
    "celu alpha=2": (F.celu, {"alpha": 2.0}, lambda x: np.maximum(x, 0) + np.minimum(0, 2 * np.expm1(x / 2))),
    "selu": (F.selu, {}, lambda x: SCALE * elu_ref(x, ALPHA)),
    "mish": (F.mish, {}, lambda x: x * np.tanh(np.logaddexp(0, x))),
    "relu6": (F.relu6, {}, lambda x: np.minimum(np.maximum(x, 0), 6)),
    "hardtanh": (F.hardtanh, {}, lambda x: np.clip(x, -1, 1)),
    "hardtanh (-2, 0.5)": (F.hardtanh, {"min_val": -2.0, "max_val": 0.5}, lambda x: np.clip(x, -2, 0.5)),
    "hardsigmoid": (F.hardsigmoid, {}, lambda x: np.clip(x + 3, 0, 6) / 6),
    "hardswish": (F.hardswish, {}, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "logsigmoid": (F.logsigmoid, {}, log_expit),
    "softsign": (F.softsign, {}, lambda x: x / (1 + np.abs(x))),
}
SPECIAL = np.array([0.0, -0.0, INF, -INF, NAN, 3.0, -3.0, 6.0, 1.0, -1.0, 1000.0, -1000.0, 2.5, -0.5])


@pytest.mark.parametrize("name", REFERENCES)
def test_values_match_the_reference_at_random_and_special_points(name):
    fn, kwargs, ref = REFERENCES[name]
    x = np.concatenate([RNG.standard_normal(50) * 5, SPECIAL])
    with np.errstate(all="ignore"):  # inf * 0 and the like, in both
        np.testing.assert_allclose(fn(tg.tensor(x), **kwargs).data, ref(x), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", REFERENCES)
def test_float32_stays_float32_and_empty_batches_work(name):
    fn, kwargs, ref = REFERENCES[name]
    x = (RNG.standard_normal((3, 4)) * 4).astype(np.float32)
    out = fn(tg.tensor(x), **kwargs)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, ref(x.astype(np.float64)), rtol=2e-6, atol=2e-6)
    assert fn(tg.zeros(0, 4), **kwargs).shape == (0, 4)
    assert fn(tg.tensor(1.5), **kwargs).shape == ()


# the gradient PyTorch gives at kinks, infinities and NaN: {point: derivative}
POINT_GRADS = {
    "silu": {0.0: 0.5, INF: NAN, -INF: NAN, NAN: NAN},
    "elu": {0.0: 1.0, INF: 1.0, -INF: 0.0, NAN: NAN},
    "elu alpha=0.5": {0.0: 0.5, -INF: 0.0},
    "celu alpha=2": {0.0: 1.0, INF: 1.0, -INF: 0.0},
    "selu": {0.0: SCALE * ALPHA, INF: SCALE, -INF: 0.0},
    "mish": {0.0: 0.6, INF: NAN, -INF: NAN, -1000.0: 0.0},
    "relu6": {0.0: 0.0, 6.0: 0.0, 3.0: 1.0, INF: 0.0, -INF: 0.0, NAN: 0.0},
    "hardtanh": {-1.0: 0.0, 1.0: 0.0, 0.0: 1.0, NAN: 0.0},
    "hardtanh (-2, 0.5)": {-2.0: 0.0, 0.5: 0.0, 0.0: 1.0},
    "hardsigmoid": {-3.0: 0.0, 3.0: 0.0, 0.0: 1 / 6, NAN: 0.0},
    "hardswish": {-3.0: 0.0, 3.0: 1.0, 0.0: 0.5, 1.0: 5 / 6, INF: 1.0, -INF: 0.0, NAN: NAN},
    "logsigmoid": {0.0: 0.5, INF: 0.0, -INF: 1.0, NAN: NAN},
    "softsign": {0.0: 1.0, 1.0: 0.25, INF: NAN, -INF: NAN, NAN: NAN},
}


@pytest.mark.parametrize("name", POINT_GRADS)
def test_gradients_at_kinks_infinities_and_nan_follow_pytorch(name):
    fn, kwargs, _ = REFERENCES[name]
    points, expected = zip(*POINT_GRADS[name].items())
    x = tg.Tensor(np.array(points), requires_grad=True)
    with np.errstate(all="ignore"):
        fn(x, **kwargs).backward(np.ones(len(points)))
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12, atol=1e-300)


def away_from_kinks(*shape, kinks=(0.0,), gap=0.15):
    """Uniform in [-5, 5], moved away from each kink by at least ``gap`` (finite differences
    across a kink measure neither side)."""
    x = RNG.uniform(-5, 5, shape)
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + gap * np.where(x[near] >= k, 1.0, -1.0) * 1.5
    return tg.Tensor(x, requires_grad=True)


KINKS = {"relu6": (0.0, 6.0), "hardtanh": (-1.0, 1.0), "hardtanh (-2, 0.5)": (-2.0, 0.5), "hardsigmoid": (-3.0, 3.0),
         "hardswish": (-3.0, 3.0)}


@pytest.mark.parametrize("name", REFERENCES)
def test_gradcheck_and_gradgradcheck(name):
    fn, kwargs, _ = REFERENCES[name]
    x = away_from_kinks(3, 5, kinks=KINKS.get(name, (0.0,)))
    assert gradcheck(lambda t: fn(t, **kwargs), (x,))
    assert gradgradcheck(lambda t: fn(t, **kwargs), (x,))


def test_gradcheck_catches_a_wrong_composition():
    # silu with the sigmoid cut out of the graph has the right value and a wrong gradient
    x = away_from_kinks(4)
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: t * t.sigmoid().detach(), (x,))
    assert gradcheck(F.silu, (x,))


def test_integer_tensors():
    ints = tg.tensor([1, 7, -2])
    assert F.relu6(ints).dtype == np.int64 and F.relu6(ints).tolist() == [1, 6, 0]  # as PyTorch: stays integer
    assert F.hardtanh(ints).tolist() == [1, 1, -1]
    np.testing.assert_allclose(F.softsign(ints).data, [0.5, 0.875, -2 / 3], rtol=1e-6)
    assert F.softsign(ints).dtype == np.float32  # the default float
    for fn in (F.silu, F.elu, F.celu, F.selu, F.mish, F.hardsigmoid, F.hardswish, F.logsigmoid, F.softmin, F.glu):
        with pytest.raises(TypeError, match="floating-point"):
            fn(tg.tensor([2, 4]))


# ----------------------------------------------------------------------------- softmin and glu
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmin_is_softmax_of_the_negation(dim):
    x = RNG.standard_normal((3, 4, 5))
    np.testing.assert_allclose(F.softmin(tg.tensor(x), dim=dim).data, softmax_ref(-x, dim), rtol=1e-12)
    t = tg.Tensor(x, requires_grad=True)
    assert gradcheck(lambda a: F.softmin(a, dim), (t,))
    assert gradgradcheck(lambda a: F.softmin(a, dim), (t,))


def test_softmin_defaults_to_the_last_axis_and_takes_a_dtype():
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(F.softmin(tg.tensor(x)).data, softmax_ref(-x, -1))
    assert F.softmin(tg.tensor(x), dim=0, dtype=np.float32).dtype == np.float32
    assert F.softmin(tg.tensor([1, 2, 3]), dtype=tg.float64).dtype == np.float64
    np.testing.assert_allclose(F.softmin(tg.tensor([1000.0, -1000.0])).data, [0.0, 1.0])  # stable
    with np.errstate(invalid="ignore"):  # -inf gives NaN (inf - inf), as in PyTorch
        assert np.isnan(F.softmin(tg.tensor([0.0, -np.inf])).data).all()


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_glu_gates_the_first_half_with_the_second(dim):
    x = RNG.standard_normal((4, 6, 2))
    a, b = np.split(x, 2, axis=dim)
    np.testing.assert_allclose(F.glu(tg.tensor(x), dim).data, a * expit(b), rtol=1e-12)
    t = tg.Tensor(x, requires_grad=True)
    assert gradcheck(lambda v: F.glu(v, dim), (t,))
    assert gradgradcheck(lambda v: F.glu(v, dim), (t,))


def test_glu_errors():
    with pytest.raises(ValueError, match="even"):
        F.glu(tg.ones(2, 3))
    with pytest.raises(ValueError, match="0-d"):
        F.glu(tg.tensor(1.0))
    with pytest.raises(IndexError):
        F.glu(tg.ones(2, 4), dim=2)


def test_argument_errors():
    with pytest.raises(ValueError, match="alpha cannot be 0"):
        F.celu(tg.ones(2), alpha=0.0)
    with pytest.raises(ValueError, match="greater than max_val"):
        F.hardtanh(tg.ones(2), 2.0, 1.0)
    np.testing.assert_array_equal(F.hardtanh(tg.tensor([0.0, 2.0]), 1.0, 1.0).data, [1.0, 1.0])  # min == max is fine
    with pytest.raises(ValueError, match="must be greater than min_val"):
        nn.Hardtanh(1.0, 1.0)  # the module is stricter, as in PyTorch


# ----------------------------------------------------------------------------- modules
MODULES = [
    (nn.SiLU(), F.silu, {}), (nn.ELU(0.3), F.elu, {"alpha": 0.3}), (nn.CELU(1.7), F.celu, {"alpha": 1.7}),
    (nn.SELU(), F.selu, {}), (nn.Mish(), F.mish, {}), (nn.ReLU6(), F.relu6, {}),
    (nn.Hardtanh(-0.5, 2.0), F.hardtanh, {"min_val": -0.5, "max_val": 2.0}), (nn.Hardsigmoid(), F.hardsigmoid, {}),
    (nn.Hardswish(), F.hardswish, {}), (nn.LogSigmoid(), F.logsigmoid, {}), (nn.Softsign(), F.softsign, {}),
    (nn.Softmin(0), F.softmin, {"dim": 0}), (nn.GLU(0), F.glu, {"dim": 0}),
]


@pytest.mark.parametrize("module, fn, kwargs", MODULES, ids=lambda v: type(v).__name__ if isinstance(v, nn.Module)
                         else None)
def test_modules_call_their_function_and_have_no_state(module, fn, kwargs):
    x = tg.tensor(RNG.standard_normal((4, 3)))
    np.testing.assert_array_equal(module(x).data, fn(x, **kwargs).data)
    assert module.state_dict() == {} and list(module.parameters()) == []


def test_module_reprs_and_inplace():
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(nn.Hardtanh(-2.0, 2.0)) == "Hardtanh(min_val=-2.0, max_val=2.0)"
    assert repr(nn.Softmin(1)) == "Softmin(dim=1)" and repr(nn.GLU()) == "GLU(dim=-1)"
    assert repr(nn.SiLU()) == "SiLU()" and repr(nn.LogSigmoid()) == "LogSigmoid()"
    assert nn.Hardtanh(min_value=-3.0).min_val == -3.0  # PyTorch's deprecated spelling
    x = tg.tensor([-1.0, 2.0])
    out = nn.ReLU6(inplace=True)(x)  # accepted for PyTorch code; computed out of place
    assert out.tolist() == [0.0, 2.0] and x.tolist() == [-1.0, 2.0]
    assert not isinstance(nn.CELU(), nn.ELU) and not isinstance(nn.GLU(), nn.Softmin)
