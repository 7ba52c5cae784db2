"""Tests of tinygrad_np.testing itself: the checks must pass on correct rules and catch wrong ones
(a factor off, a transposed gradient, a wrong axis, a detached second derivative), say where, and
leave the caller's tensors alone."""

from __future__ import annotations

import contextlib
import io
import linecache
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_np as tg
from tinygrad_np import Function, Tensor, nn
from tinygrad_np.testing import GradcheckError, gradcheck, gradgradcheck, op_property_test
from tinygrad_np.testing.strategies import broadcastable_shapes, ndarrays, tensors, valid_axes


def leaf(*shape, seed=0, low=-2.0, high=2.0):
    return Tensor(np.random.default_rng(seed).uniform(low, high, shape), requires_grad=True)


# ----------------------------------------------------------------------------- custom ops, right and wrong
class Cube(Function):
    """x**3 with a correct, twice-differentiable rule."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x * x * g


class CubeTwiceTooSteep(Function):
    """x**3 whose rule is off by a factor of 2."""

    @staticmethod
    def forward(ctx, x):
        return x**3

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return 6 * x * x * g


class CubeDetached(Function):
    """x**3 with a right first derivative that drops out of the graph (np.asarray detaches a Tensor),
    so its second derivative w.r.t. x is wrongly 0."""

    @staticmethod
    def forward(ctx, x):
        return x**3

    @staticmethod
    def backward(ctx, g):
        x = np.asarray(ctx.inputs[0])
        return 3 * x * x * g


class MatVecTransposedGrad(Function):
    """W @ x whose rule returns the transpose of dL/dW (only visible with a non-symmetric upstream)."""

    @staticmethod
    def forward(ctx, w, x):
        return w @ x

    @staticmethod
    def backward(ctx, g):
        w, x = ctx.inputs
        return (x[:, None] * g[None, :]), w.T @ g  # should be g[:, None] * x[None, :]


class SumAxis0WrongAxis(Function):
    """x.sum(axis=0) of a square matrix whose rule broadcasts the gradient along the wrong axis."""

    @staticmethod
    def forward(ctx, x):
        return x.sum(axis=0)

    @staticmethod
    def backward(ctx, g):
        return np.broadcast_to(g.reshape(-1, 1), ctx.inputs[0].shape)  # should be g.reshape(1, -1)


class HalfSquareReturningItsInput(Function):
    """x**2 / 2 whose rule hands back the input array itself (wrong, and aliased with the input)."""

    @staticmethod
    def forward(ctx, x):
        return x * x / 2

    @staticmethod
    def backward(ctx, g):
        return ctx.inputs[0]


# ============================================================================= gradcheck
def test_gradcheck_passes_on_correct_rules():
    x, w, b = leaf(3, 4), leaf(4, 2, seed=1), leaf(2, seed=2)
    assert gradcheck(lambda x, w, b: (x @ w + b).tanh(), (x, w, b)) is True
    assert gradcheck(lambda x: Cube.apply(x), leaf(5)) is True  # a single Tensor needs no tuple
    assert gradcheck(lambda x: x.softmax(axis=1).log(), (x,), fast_mode=True) is True


def test_gradcheck_multiple_outputs_constants_and_integer_outputs():
    x, c = leaf(2, 3), Tensor(np.arange(6.0).reshape(2, 3))  # c: a constant (no requires_grad)

    def fn(x, c, k, arr):
        y = x * c + k * arr
        return y.sum(axis=0), y.argmax(), x.exp(), Tensor(np.ones(2))  # int and constant outputs are fine

    assert gradcheck(fn, (x, c, 2.5, np.full((2, 3), 0.5)))
    assert gradcheck(lambda x: x, (x,))  # an output that is the input itself (aliasing is handled)
    assert gradcheck(lambda x: x.reshape(-1)[::-1], (x,))  # a view of the perturbed input


def test_gradcheck_catches_a_factor_error_and_names_the_entry():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: CubeTwiceTooSteep.apply(x), (x,), names=("x",))
    e = info.value
    message = str(e)
    assert "input 0 ('x', shape (3,))" in message
    assert e.input_index == 0 and e.input_name == "x" and e.output_index == 0
    assert e.index == (2,) and e.output_element == (2,)  # the largest error: at x = 2 (dy/dx = 12, got 24)
    assert "d output[2] / d x[2]" in message
    np.testing.assert_allclose([e.analytical, e.numerical], [24.0, 12.0], rtol=1e-6)
    assert "2.4000000000e+01" in message and "1.2000000000e+01" in message
    assert "3 of 9 Jacobian entries" in message


def test_gradcheck_catches_a_transposed_grad():
    w, x = leaf(3, 3), leaf(3, seed=1)
    with pytest.raises(GradcheckError, match=r"input 0 \('W', shape \(3, 3\)\)") as info:
        gradcheck(lambda w, x: MatVecTransposedGrad.apply(w, x), (w, x), names=("W", "x"))
    e = info.value
    (k,), (i, j) = e.output_element, e.index
    assert i != j  # d out[k] / d W[i, j] = x[j] if k == i; the transposed rule gives x[i] if k == j
    np.testing.assert_allclose([e.analytical, e.numerical], [x.data[i] * (k == j), x.data[j] * (k == i)], atol=1e-6)


def test_gradcheck_catches_a_wrong_axis():
    x = leaf(3, 3)
    assert not gradcheck(lambda x: SumAxis0WrongAxis.apply(x), (x,), raise_exception=False)
    with pytest.raises(GradcheckError, match="worst entry: d output"):
        gradcheck(lambda x: SumAxis0WrongAxis.apply(x), (x,))


@pytest.mark.parametrize("case", ["factor", "transpose", "axis"])
def test_fast_mode_catches_wrong_rules_and_locates_them(case):
    fn, inputs = {
        "factor": (lambda x: CubeTwiceTooSteep.apply(x), (leaf(4),)),
        "transpose": (lambda w, x: MatVecTransposedGrad.apply(w, x), (leaf(3, 3), leaf(3, seed=1))),
        "axis": (lambda x: SumAxis0WrongAxis.apply(x), (leaf(3, 3),)),
    }[case]
    assert gradcheck(fn, inputs, fast_mode=True, raise_exception=False) is False
    with pytest.raises(GradcheckError, match="fast mode") as info:
        gradcheck(fn, inputs, fast_mode=True)
    assert "u^T J v" in str(info.value) and "Located with the full Jacobian" in str(info.value)
    assert info.value.input_index == 0 and info.value.index is not None


def test_fast_mode_on_a_big_input_passes_quickly():
    x = leaf(200, 50)  # 10,000 elements: the full Jacobian would need 10,000 backward passes
    assert gradcheck(lambda x: (x.tanh() * x).sum(axis=1).sigmoid(), (x,), fast_mode=True)
    assert gradcheck(lambda x: (x.tanh() * x).sum(axis=1).sigmoid(), (x,), fast_mode=True, seed=123)


def test_gradcheck_catches_a_detached_output():
    x = leaf(3)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: x * 1 + Tensor(x.data * 2), (x,))  # the second term is outside the graph
    np.testing.assert_allclose([info.value.analytical, info.value.numerical], [1.0, 3.0], rtol=1e-6)


def test_gradcheck_catches_nan_gradients():
    x = Tensor(np.array([1.0, 4.0]), requires_grad=True)

    class NanGrad(Function):
        @staticmethod
        def forward(ctx, x):
            return x.copy()

        @staticmethod
        def backward(ctx, g):
            return g * np.nan

    assert not gradcheck(lambda x: NanGrad.apply(x), (x,), raise_exception=False)


def test_gradcheck_refuses_float32():
    x32 = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    with pytest.raises(TypeError, match=r"float32.*float64.*\.double\(\)"):
        gradcheck(lambda x: x * 2, (x32,))
    x = leaf(3)
    with pytest.raises(TypeError, match="output 0 has dtype float32"):
        gradcheck(lambda x: x.float() * 2, (x,))
    w32 = Tensor(np.ones(3, dtype=np.float32))  # a float32 constant next to a float64 input is harmless
    assert gradcheck(lambda x, w: x * w, (x, w32))


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda x: x * 2, (Tensor(np.ones(3)),))
    with pytest.raises(ValueError, match="2 names for 1 inputs"):
        gradcheck(lambda x: x * 2, (leaf(2),), names=("a", "b"))


def test_gradcheck_leaves_inputs_alone_even_when_the_check_fails():
    # values that do not survive x + eps - eps exactly, a -0.0, a non-contiguous view, a .grad already set
    base = np.array([[0.1, -0.0, 1e-3, 7.3], [1 / 3, 2.0, -5.5, 0.7]])
    x = Tensor._wrap(base[:, ::-1].T, None)
    x.requires_grad = True
    marker = Tensor(np.ones(x.shape))
    x.grad = marker
    w = leaf(2, 3)
    before_x, before_w, before_base = x.data.copy(), w.data.copy(), base.copy()
    for fn, fast in [(lambda x, w: (x @ w).sin(), False), (lambda x, w: CubeTwiceTooSteep.apply(x) @ w, False),
                     (lambda x, w: CubeTwiceTooSteep.apply(x) @ w, True)]:
        gradcheck(fn, (x, w), raise_exception=False, fast_mode=fast)
        gradgradcheck(fn, (x, w), raise_exception=False, fast_mode=fast)
    assert x.data.view(np.uint64).tolist() == before_x.view(np.uint64).tolist()  # bit for bit (-0.0 included)
    assert base.view(np.uint64).tolist() == before_base.view(np.uint64).tolist()
    np.testing.assert_array_equal(w.data, before_w)
    assert x.grad is marker and w.grad is None and x.requires_grad and x.is_leaf


def test_gradcheck_leaves_inputs_alone_when_fn_raises_midway():
    x = Tensor(np.array([0.1, 0.2, 0.3]), requires_grad=True)
    before = x.data.copy()
    calls = []

    def flaky(x):
        calls.append(1)
        if len(calls) == 4:  # in the middle of the finite differences
            raise RuntimeError("boom")
        return x * 2

    with pytest.raises(RuntimeError, match="boom"):
        gradcheck(flaky, (x,))
    assert x.data.tolist() == before.tolist()


def test_gradcheck_multiple_outputs_named_in_messages():
    x = leaf(2)
    with pytest.raises(GradcheckError, match=r"d output 1\[\d\] / d input 0\[\d\]"):
        gradcheck(lambda x: (x * 2, CubeTwiceTooSteep.apply(x)), (x,))


# ----------------------------------------------------------------------------- params: a model's parameters
def small_model():
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()


def test_gradcheck_of_a_model_through_params():
    model, x = small_model(), leaf(5, 3)
    arrays = [p.data for p in model.parameters()]
    before = [a.copy() for a in arrays]
    assert gradcheck(lambda x: model(x), (x,), params=model.named_parameters())
    assert gradcheck(lambda: model(x.detach()).sum(), (), params=list(model.parameters()), fast_mode=True)
    assert gradgradcheck(lambda x: model(x), (x,), params=dict(model.named_parameters()))
    for p, a, b in zip(model.parameters(), arrays, before):  # the same arrays are back, unchanged
        assert p.data is a and p.grad is None
        np.testing.assert_array_equal(a, b)


class ScaleWrongRule(Function):
    """x * w whose rule for w is off by a factor of 2."""

    @staticmethod
    def forward(ctx, x, w):
        return x * w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.inputs
        return g * w, 2 * g * x


class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(np.array([1.5, -0.5]))

    def forward(self, x):
        return ScaleWrongRule.apply(x, self.w)


def test_gradcheck_names_a_wrong_parameter_gradient():
    model, x = Scale(), leaf(3, 2)
    with pytest.raises(GradcheckError, match=r"parameter 'w' \(shape \(2,\)\) is wrong") as info:
        gradcheck(lambda x: model(x), (x,), params=model.named_parameters())
    assert info.value.input_name == "w" and info.value.input_index is None
    with pytest.raises(GradcheckError, match="parameter 'w'"):
        gradcheck(lambda x: model(x), (x,), params=model.named_parameters(), fast_mode=True)
    assert model.w.data.tolist() == [1.5, -0.5]


def test_gradcheck_params_must_be_float64_tensors_that_require_grad():
    model = nn.Linear(3, 2)  # float32
    x = leaf(4, 3)
    with pytest.raises(TypeError, match=r"model.double\(\)"):
        gradcheck(lambda x: model(x), (x,), params=model.parameters())
    with pytest.raises(TypeError, match="requires grad"):
        gradcheck(lambda x: x * 2, (x,), params=[Tensor(np.ones(2))])
    w = model.weight
    assert model.weight is w and model.weight.dtype == np.float32


# ============================================================================= gradgradcheck
def test_gradgradcheck_passes_on_correct_rules():
    x, w = leaf(3, 4), leaf(4, 2, seed=1)
    assert gradgradcheck(lambda x, w: (x @ w).tanh(), (x, w))
    assert gradgradcheck(lambda x: Cube.apply(x), (leaf(4),))
    assert gradgradcheck(lambda x: x.sigmoid() * x.exp(), (leaf(5),), fast_mode=True)
    assert gradgradcheck(lambda x: (x.log_softmax(axis=1), x.var()), (x,))  # two outputs


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    assert gradcheck(lambda x: CubeDetached.apply(x), (x,))  # the first derivative is right
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(lambda x: CubeDetached.apply(x), (x,), names=("x",))
    e = info.value
    assert "gradgradcheck" in str(e)
    assert re.search(r"d grad\[x\]\[(\d)\] / d x\[\1\]", str(e))  # d(3 x_k^2 u_k)/d x_k = 6 x_k u_k
    assert e.input_name == "x" and e.output_index == 0
    assert e.analytical == 0.0 and abs(e.numerical) > 1e-3  # the detached rule does not depend on x
    assert not gradgradcheck(lambda x: CubeDetached.apply(x), (x,), raise_exception=False)


def test_gradgradcheck_fast_mode_catches_a_wrong_second_derivative():
    x = leaf(6)
    with pytest.raises(GradcheckError, match="gradgradcheck \\(fast mode\\)"):
        gradgradcheck(lambda x: CubeDetached.apply(x), (x,), fast_mode=True)


def test_gradgradcheck_with_explicit_grad_outputs():
    x = leaf(2, 3)
    u = Tensor(np.random.default_rng(5).standard_normal((2, 3)), requires_grad=True)  # checked too
    assert gradgradcheck(lambda x: x.tanh(), (x,), grad_outputs=(u,))
    assert gradgradcheck(lambda x: x.tanh(), (x,), grad_outputs=np.ones((2, 3)))  # a constant
    with pytest.raises(ValueError, match="shape"):
        gradgradcheck(lambda x: x.tanh(), (x,), grad_outputs=(np.ones(3),))
    with pytest.raises(ValueError, match="grad_outputs"):
        gradgradcheck(lambda x: x.tanh(), (x,), grad_outputs=(u, u))


def test_gradgradcheck_of_a_linear_function():
    # the gradient does not depend on x (zero second derivative) and the grad map returns the upstream itself
    x, y = leaf(3), leaf(3, seed=1)
    assert gradgradcheck(lambda x, y: x + y, (x, y))
    assert gradgradcheck(lambda x, y: 2 * x - y.sum(), (x, y))


# ============================================================================= op_property_test
QUICK = settings(max_examples=30, database=None, phases=[Phase.explicit, Phase.generate], derandomize=True,
                 report_multiple_bugs=False, suppress_health_check=[HealthCheck.too_slow])


def expect_failure(test, match):
    with pytest.raises(GradcheckError, match=match) as info:
        QUICK(test)()
    return info.value


def test_property_test_passes_on_a_correct_custom_op():
    QUICK(op_property_test(lambda x: Cube.apply(x), lambda x: x**3, elements=(-3, 3), gradgrad=True))()


def test_property_test_catches_a_factor_error():
    e = expect_failure(op_property_test(lambda x: CubeTwiceTooSteep.apply(x), lambda x: x**3, names=("x",)),
                       "random upstream gradient is wrong")
    assert e.input_name == "x" and e.index is not None
    np.testing.assert_allclose(e.analytical, 2 * e.numerical, rtol=1e-4)


def test_property_test_catches_a_transposed_grad():
    expect_failure(op_property_test(lambda w, x: MatVecTransposedGrad.apply(w, x), np.matmul, 2,
                                    shapes=[(3, 3), (3,)]), r"input 0 \(shape \(3, 3\)\)")


def test_property_test_catches_a_wrong_axis():
    expect_failure(op_property_test(lambda x: SumAxis0WrongAxis.apply(x), lambda x: x.sum(axis=0),
                                    shapes=st.integers(2, 4).map(lambda n: ((n, n),))), "is wrong")


def test_property_test_catches_a_wrong_second_derivative():
    test = op_property_test(lambda x: CubeDetached.apply(x), lambda x: x**3, elements=(-3, 3))
    QUICK(test)()  # first order only: passes
    expect_failure(op_property_test(lambda x: CubeDetached.apply(x), lambda x: x**3, elements=(-3, 3),
                                    gradgrad=True), "second order")


def test_property_test_catches_a_wrong_forward():
    with pytest.raises(AssertionError, match="forward differs from the reference"):
        QUICK(op_property_test(lambda x: x.tanh(), lambda x: np.tanh(x) + 1e-6))()
    expect_failure(op_property_test(lambda x: x.sum(axis=0), np.sum, shapes=[(2, 3)]), "shape")
    expect_failure(op_property_test(lambda x: x.float(), lambda x: x, grad=False), "dtype")


def test_property_test_catches_an_op_that_mutates_its_input():
    def mutating(x):
        x.data[...] = x.data * 1.0 + 0.0  # same values: fine
        out = x * 2
        x.data.flat[0] += 1.0  # after the fact: the input changed
        return out

    expect_failure(op_property_test(mutating, None), "was modified")


def test_property_test_catches_a_gradient_aliasing_an_input():
    expect_failure(op_property_test(lambda x: HalfSquareReturningItsInput.apply(x), lambda x: x * x / 2),
                   "shares memory with input 0")


def test_property_test_needs_grad_false_for_ops_without_a_gradient():
    expect_failure(op_property_test(lambda a, b: a < b, np.less, 2), "pass grad=False")
    QUICK(op_property_test(lambda a, b: a < b, np.less, 2, grad=False))()


def test_property_test_options():
    # kwargs as a dict of strategies / callables, constants, per-input bounds, distinct values, a fixed shape
    test = op_property_test(
        lambda x, c, axis, p: (x * c).max(axis=axis) ** p, lambda x, c, axis, p: np.max(x * c, axis=axis) ** p, 2,
        shapes=broadcastable_shapes(2, min_dims=1), elements=[(0.5, 2), (1, 3)], constant_inputs=(1,),
        kwargs={"axis": lambda s: valid_axes(len(np.broadcast_shapes(*s))), "p": 2}, gradgrad=True,
        assume=lambda x, c, axis, p: np.all(np.diff(np.sort((x * c).ravel())) > 1e-3),  # no near ties
    )
    QUICK(test)()
    QUICK(op_property_test(lambda a, b: tg.maximum(a, b), np.maximum, 2, distinct=True, gradgrad=True))()
    QUICK(op_property_test(lambda a: a.reshape(-1), lambda a: a.reshape(-1), shapes=[(2, 3)], name="flat"))()
    QUICK(op_property_test(lambda x, kw: x.sum(**kw), lambda x, kw: np.sum(x, **kw),
                           kwargs=lambda s: st.fixed_dictionaries({"kw": valid_axes(len(s[0]), with_keepdims=True)})))()


def test_property_test_argument_errors():
    with pytest.raises(ValueError, match="elements has 3 entries for 2 inputs"):
        op_property_test(lambda a, b: a + b, np.add, 2, elements=[(0, 1), (0, 1), (0, 1)])
    with pytest.raises(ValueError, match="distinct"):
        op_property_test(lambda a, b: a + b, np.add, 2, elements=[(0, 1), (0, 2)], distinct=True)
    with pytest.raises(ValueError, match="num_inputs"):
        op_property_test(lambda: None, None, 0)


def test_property_test_decorator_form():
    @op_property_test(reference=np.multiply, num_inputs=2, gradgrad=True)
    def test_product(a, b):
        return a * b

    assert test_product.__name__ == "test_product" and test_product.__module__ == __name__
    QUICK(test_product)()

    @op_property_test(reference=lambda x: x**3, elements=(-3, 3))
    def test_cube_twice_too_steep(x):
        return CubeTwiceTooSteep.apply(x)

    expect_failure(test_cube_twice_too_steep, "random upstream gradient is wrong")


def test_property_test_names():
    # called with the op: the name comes from name=, else the op's name, else the reference's, else "op"
    def product(a, b):
        return a * b

    named = [op_property_test(lambda a, b: a * b, np.multiply, 2, name="mul")]
    unnamed = [op_property_test(lambda a, b: a * b, np.multiply, 2)]
    assert named[0].__name__ == "test_mul" and unnamed[0].__name__ == "test_multiply"
    assert op_property_test(product, np.multiply, 2).__name__ == "test_product"
    assert op_property_test(lambda x: x, lambda x: x).__name__ == "test_op"
    # separate example databases, also for tests made from the same code (a helper's lambdas)
    made = [op_property_test(lambda a, b: a * b, np.multiply, 2, name="mul") for _ in range(2)]
    digests = {t.hypothesis.inner_test._hypothesis_internal_add_digest for t in (*named, *unnamed, *made)}
    assert len(digests) == 4


# ============================================================================= strategies
@given(tensors(elements=(-2, 3), min_magnitude=0.25))
def test_tensors_respect_bounds_and_magnitude(t):
    assert isinstance(t, Tensor) and t.dtype == np.float64 and t.requires_grad and t.is_leaf
    assert np.all((t.data >= -2) & (t.data <= 3) & (np.abs(t.data) >= 0.25))


@given(tensors((3, 4), distinct=True, elements=(-1, 1)))
def test_distinct_values_are_a_gap_apart(t):
    values = np.sort(t.data.ravel())
    assert t.shape == (3, 4) and np.all(np.diff(values) >= 1e-3 * (1 - 1e-9))


@given(tensors(dtype=np.int64, elements=(-5, 5)), ndarrays(dtype=np.float32, elements=(0.1, 0.2)))
def test_integer_and_float32_strategies(i, f):
    assert i.dtype == np.int64 and not i.requires_grad and np.all(np.abs(i.data) <= 5)
    assert f.dtype == np.float32 and np.all((f >= np.float32(0.1)) & (f <= np.float32(0.2)))


def test_tensors_argument_errors():
    with pytest.raises(ValueError, match="cannot require grad"):
        tensors(dtype=np.int64, requires_grad=True)
    with pytest.raises(ValueError, match="magnitude"):
        tensors(elements=(-1, 1), min_magnitude=2).example()


@given(st.integers(1, 4).flatmap(lambda n: st.tuples(st.just(n), broadcastable_shapes(n))))
def test_broadcastable_shapes_broadcast(n_shapes):
    n, shapes = n_shapes
    assert len(shapes) == n
    np.broadcast_shapes(*shapes)


@given(broadcastable_shapes(signature=np.matmul.signature))
def test_broadcastable_shapes_with_a_signature(shapes):
    a, b = shapes
    np.matmul(np.zeros(a), np.zeros(b))


@given(hnp.array_shapes(min_dims=0, max_dims=4).flatmap(lambda s: st.tuples(st.just(s), valid_axes(len(s)))))
def test_valid_axes_are_valid(shape_axis):
    shape, axis = shape_axis
    np.sum(np.zeros(shape), axis=axis)
    assert axis != ()


@given(st.integers(1, 4).flatmap(lambda n: valid_axes(n, allow_none=False, allow_tuple=False)))
def test_valid_axes_single(axis):
    assert isinstance(axis, int)


@given(valid_axes(3, with_keepdims=True))
def test_valid_axes_with_keepdims(kw):
    assert set(kw) == {"axis", "keepdims"} and isinstance(kw["keepdims"], bool)
    np.sum(np.zeros((2, 3, 4)), **kw)


# ============================================================================= docs/testing.md
@pytest.mark.parametrize("page", ["testing.md", "testing.ko.md"])  # the English page and the Korean edition
def test_docs_page_examples_run(page):
    """Every Python block of docs/testing.md runs, in order; the tests it defines pass; the first
    printed failure message is the one shown on the page."""
    text = (Path(__file__).resolve().parents[1] / "docs" / page).read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    shown = re.findall(r"```text\n(.*?)```", text, flags=re.S)[0]
    namespace: dict = {"__name__": "docs_testing"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for i, block in enumerate(blocks):
            filename = f"<docs/{page}, block {i}>"
            linecache.cache[filename] = (len(block), None, block.splitlines(True), filename)  # for inspect/hypothesis
            exec(compile(block, filename, "exec"), namespace)
    assert printed.getvalue() == shown
    tests = [obj for name, obj in namespace.items() if name.startswith("test_") and callable(obj)]
    assert len(tests) >= 10
    for test in tests:
        QUICK(test)()
