"""What the op database (tinygrad_np.testing.opinfo, swept by tests/test_opinfo.py) does not say: zeros from
piecewise-constant ops under an infinite upstream gradient, no floating-point warnings at extreme inputs,
bit-for-bit scalar operands, the size switch in Sum's rule, and the ``elementwise`` flag's promise.

Values, dtypes, special values, gradients (first and second order), kink conventions and errors of every
op are checked from the table; add cases there rather than here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Tensor
from tinygrad_np.testing import references as R

SCALAR_FORMS = {
    "x + c": lambda x, c: x + c, "c + x": lambda x, c: c + x, "x - c": lambda x, c: x - c,
    "c - x": lambda x, c: c - x, "x * c": lambda x, c: x * c, "c * x": lambda x, c: c * x,
    "x / c": lambda x, c: x / c, "c / x": lambda x, c: c / x,
}


def test_piecewise_constant_ops_pass_zeros_even_for_an_infinite_upstream_gradient():
    x = Tensor(np.array([-1.5, 0.25, 2.75]), requires_grad=True)
    b = Tensor(np.array([0.7]), requires_grad=True)
    for y in (x.floor(), x.ceil(), x.trunc(), x.round(), x.round(1), x.sign(), x // b):
        x.grad = b.grad = None
        y.backward(np.array([np.inf, np.nan, 1.0]))
        np.testing.assert_array_equal(x.grad.data, np.zeros(3))  # PyTorch's zeros, not inf * 0 = nan
    np.testing.assert_array_equal(b.grad.data, [0.0])
    assert x.floor().grad_fn.name == "Floor" and (x // b).grad_fn.name == "FloorDivide"
    # under create_graph the zeros join the graph as a constant: grad() still returns Tensors
    (g,) = tg.grad(x.floor().sum(), x, create_graph=True)
    assert isinstance(g, Tensor) and g.tolist() == [0.0, 0.0, 0.0]
    (g,) = tg.grad((x.floor() * x).sum(), x, create_graph=True)  # floor(x) + x * 0
    np.testing.assert_array_equal(g.data, np.floor(x.data))
    (gg,) = tg.grad(g.sum(), x, allow_unused=True)
    assert gg is None or not gg.data.any()


def test_sigmoid_extreme_inputs_no_warnings():
    x = np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        t = Tensor(x, requires_grad=True)
        s = t.sigmoid()
        (g,) = tg.grad(s.sum(), [t], create_graph=True)
        (gg,) = tg.grad(g.sum(), [t])
    expected = R.sigmoid(x)
    np.testing.assert_allclose(s.data, expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(g.data, expected * (1 - expected), rtol=1e-12, atol=1e-300)
    assert np.all(np.isfinite(gg.data))


def test_softmax_log_softmax_extreme_logits_no_warnings():
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0], [1e300, 0.0, -1e300]])
    u = np.random.default_rng(0).standard_normal(x.shape)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        for method, reference in [("softmax", R.softmax), ("log_softmax", R.log_softmax)]:
            t = Tensor(x[:2], requires_grad=True)
            out = getattr(t, method)(axis=-1)
            out.backward(u[:2])
            np.testing.assert_allclose(out.data, reference(x[:2], -1), rtol=1e-12)
            assert np.all(np.isfinite(t.grad.data))
            assert np.all(np.isfinite(getattr(Tensor(x[2:]), method)().data[:, :2]))


@pytest.mark.parametrize("shape", [(3, 4), (300, 100)])  # Sum's rule fills small gradients, broadcasts big ones
def test_sum_gradient_small_and_large(shape):
    x = Tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape), requires_grad=True)
    y = Tensor(np.ones(shape), requires_grad=True)
    (x.sum(axis=1) * np.arange(shape[0])).sum().backward()
    (y.sum() * 2.0).backward()
    np.testing.assert_array_equal(x.grad.data, np.broadcast_to(np.arange(shape[0])[:, None], shape))
    np.testing.assert_array_equal(y.grad.data, np.full(shape, 2.0))
    for g in (x.grad.data, y.grad.data):  # the user's own arrays: writable, never a view of something shared
        assert g.flags.writeable and g.base is None and g.shape == shape


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("scalar", [1.1, -0.0, 3, True, 1e-8])
def test_python_scalar_operands_match_numpy_bit_for_bit(dtype, scalar):
    # the engine passes Python scalars to NumPy as 0-d arrays of the tensor's dtype: same values as NumPy's own
    a = np.array([0.3, -1.7, 2.0, 0.0], dtype=dtype)
    for form, f in SCALAR_FORMS.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            expected, got = f(a, scalar), f(Tensor(a), scalar)
        assert got.dtype == dtype, form
        np.testing.assert_array_equal(got.data, expected, err_msg=form)
        np.testing.assert_array_equal(np.signbit(got.data), np.signbit(expected), err_msg=form)  # signed zeros too


def test_numpy_scalars_do_not_upcast_float32():
    x = Tensor(np.array([0.5, 1.5], dtype=np.float32))
    assert (x * np.float64(2.5)).dtype == np.float32
    assert (x / np.sqrt(2.0)).dtype == np.float32  # np.sqrt of a Python float is an np.float64


def test_float64_arrays_stay_float64_and_python_floats_are_float32():
    assert Tensor(np.array([0.5])).dtype == np.float64 and tg.from_numpy(np.zeros(2)).dtype == np.float64
    assert Tensor([0.5]).dtype == np.float32 and tg.tensor(1.5).dtype == np.float32  # as in PyTorch


ELEMENTWISE_OPS = sorted(
    (op for op in vars(tg.ops).values()
     if isinstance(op, type) and issubclass(op, tg.Function) and op.elementwise
     and op not in (tg.ops.Elementwise, tg.ops.Flat)),  # (the two bases have no forward of their own)
    key=lambda op: op.__name__,
)


def test_the_ops_marked_elementwise():
    names = {op.__name__ for op in ELEMENTWISE_OPS}
    assert names == {"Abs", "Ceil", "Clone", "Cos", "Erf", "Exp", "Expm1", "Floor", "Log", "Log1p", "Neg", "Relu",
                     "Round", "Sigmoid", "Sign", "Sin", "Sqrt", "Tanh", "Trunc",
                     "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Exp2", "Log2", "Log10"}


@pytest.mark.parametrize("op", ELEMENTWISE_OPS, ids=lambda op: op.__name__)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
@pytest.mark.parametrize("create_graph", [False, True])
def test_elementwise_rules_keep_the_shape_and_dtype(op, dtype, shape, create_graph):
    # The engine does not check or cast the gradients of these ops' rules (Function.elementwise),
    # so each rule must give its input's shape and dtype by itself, on arrays and on Tensors.
    rng = np.random.default_rng(0)
    low = 1.2 if op is tg.ops.Acosh else 0.2  # in every op's domain
    x = Tensor(rng.uniform(low, low + 0.7, shape).astype(dtype), requires_grad=True)
    y = op.apply(x)
    assert y.shape == shape and y.dtype == dtype
    upstream = Tensor(rng.uniform(-1, 1, shape).astype(dtype), requires_grad=create_graph)
    (gx,) = tg.grad(y, x, grad_outputs=upstream, create_graph=create_graph)
    assert gx.shape == shape and gx.dtype == dtype


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_integer_tensors_cannot_require_grad(dtype):
    with pytest.raises(RuntimeError, match="floating-point"):
        Tensor(np.zeros(2, dtype=dtype), requires_grad=True)
    with pytest.raises(RuntimeError, match="floating-point"):
        Tensor(np.zeros(2, dtype=dtype)).requires_grad_()


def test_clone_copies():
    x = Tensor(np.arange(3.0), requires_grad=True)
    y = x.clone()
    assert not np.shares_memory(x.data, y.data)
    np.testing.assert_array_equal(x.data, y.data)
