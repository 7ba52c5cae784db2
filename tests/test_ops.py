"""Property tests of every differentiable core op, built with ``tinygrad_np.testing.op_property_test``,
plus deterministic tests of the kink conventions, comparisons, argmax/argmin and dtype promotion.

Each property test draws float64 inputs of mutually broadcastable shapes and checks the forward
against NumPy, the gradients for a random upstream gradient against central differences, the
second derivatives (``gradgrad=True``: every twice-differentiable op) against central differences
of the gradients, that gradients have the input's dtype and shape and alias nothing, and that
inputs are not mutated.

Tolerances. Gradients use the helper's defaults, PyTorch's gradcheck values: eps=1e-6,
atol=1e-5, rtol=1e-3. A float64 central difference errs by about eps**2/6 * |f'''| (truncation;
<= 1e-9 for the bounds below, e.g. log on [0.1, 10] has |f'''| <= 2000) plus about
1e-16 * |f| / eps per output element (rounding; |f| <= 1e3 here, so <= 1e-7 even summed over the
<= 64 outputs weighted by the random upstream gradient). Both are far below atol, while a wrong
rule (a factor, a transpose, a wrong axis) is off by O(1). The forward tolerance (rtol=1e-7,
atol=1e-10) only absorbs rounding differences between equivalent float64 formulas. Inputs stay
in the op's domain (log/sqrt positive, pow bases positive, divisors |b| >= 0.5) and, for ops with
kinks, at least 1e-3 away from them (min_magnitude, distinct, assume), i.e. 1000 steps of eps.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_np as tg
from tinygrad_np import Tensor
from tinygrad_np.testing import broadcastable_shapes, ndarrays, op_property_test, valid_axes

# shapes of 1 to 3 dimensions (ops that need an axis)
SHAPES_1D_UP = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def one(shape_strategy):
    """A shapes strategy for a single input."""
    return shape_strategy.map(lambda s: (s,))


def reduction_kwargs(shapes, torch_names=None):
    """axis/keepdims, spelled the NumPy way or the PyTorch way (dim/keepdim): ``torch_names`` says which."""
    torch_names = st.booleans() if torch_names is None else torch_names
    return st.tuples(valid_axes(len(shapes[0]), with_keepdims=True), torch_names).map(
        lambda t: {**t[0], "torch_names": t[1]}
    )


def numpy_names_only(shapes):
    # logsumexp(dim=...) is broken (see test_dim_keyword_of_ops_with_a_default_axis): NumPy names only for now
    return reduction_kwargs(shapes, torch_names=st.just(False))


def reduce_with(method, **extra):
    """``x.<method>(axis=, keepdims=)`` or ``x.<method>(dim=, keepdim=)``."""

    def op(x, axis, keepdims, torch_names, **kw):
        if torch_names:
            out = getattr(x, method)(dim=axis, keepdim=keepdims, **kw, **extra)
            return out.values if isinstance(out, tuple) else out  # max(dim=int) is (values, indices)
        return getattr(x, method)(axis=axis, keepdims=keepdims, **kw, **extra)

    return op


def numpy_reduce(fn):
    return lambda x, axis, keepdims, torch_names, **kw: fn(x, axis=axis, keepdims=keepdims, **kw)


def reduced_count(shape, axis) -> int:
    if axis is None:
        return int(np.prod(shape))
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes]))


# ============================================================================ binary arithmetic
test_add = op_property_test(lambda a, b: a + b, np.add, 2, gradgrad=True)
test_sub = op_property_test(lambda a, b: a - b, np.subtract, 2, gradgrad=True)
test_mul = op_property_test(lambda a, b: a * b, np.multiply, 2, gradgrad=True)
test_div = op_property_test(lambda a, b: a / b, np.divide, 2, elements=(-5, 5), min_magnitude=[None, 0.5],
                            gradgrad=True)
test_pow = op_property_test(lambda a, b: a**b, np.power, 2, elements=[(0.5, 3), (-2, 2)], gradgrad=True)

# function forms: tinygrad_np.add(a, b) etc., and NumPy ufuncs on Tensors (via __array_ufunc__)
BINARY_FUNCTIONS = {
    "tg.add": (tg.add, np.add), "tg.sub": (tg.sub, np.subtract), "tg.mul": (tg.mul, np.multiply),
    "tg.div": (tg.div, np.divide), "np.add": (np.add, np.add), "np.multiply": (np.multiply, np.multiply),
    "np.true_divide": (np.true_divide, np.true_divide),
}
test_binary_function_forms = op_property_test(
    lambda a, b, form: BINARY_FUNCTIONS[form][0](a, b), lambda a, b, form: BINARY_FUNCTIONS[form][1](a, b), 2,
    elements=(-5, 5), min_magnitude=[None, 0.5], kwargs={"form": st.sampled_from(sorted(BINARY_FUNCTIONS))},
    gradgrad=True,
)

# scalar exponents, including 0, negative and fractional ones (positive base)
test_pow_scalar_exponent = op_property_test(
    lambda x, p: x**p, lambda x, p: x**p, elements=(0.5, 3),
    kwargs={"p": st.sampled_from([0, 1, 2, 3, -1, -2, 0.5, -0.5, 1.5, 2.5, -1.25])}, gradgrad=True,
)
# integer exponents are defined for negative bases too
test_pow_integer_exponent_negative_base = op_property_test(
    lambda x, p: x**p, lambda x, p: x**p, elements=(-3, 3), min_magnitude=0.5,
    kwargs={"p": st.sampled_from([2, 3, -1, -2])}, gradgrad=True,
)
# reflected: scalar ** tensor
test_rpow_scalar_base = op_property_test(
    lambda x, c: c**x, lambda x, c: c**x, elements=(-3, 3), kwargs={"c": st.sampled_from([0.5, 2, 2.5, 10.0])},
    gradgrad=True,
)

# a Python scalar on either side of every arithmetic operator (the same lambdas work on arrays)
SCALAR_FORMS = {
    "x + c": lambda x, c: x + c, "c + x": lambda x, c: c + x, "x - c": lambda x, c: x - c,
    "c - x": lambda x, c: c - x, "x * c": lambda x, c: x * c, "c * x": lambda x, c: c * x,
    "x / c": lambda x, c: x / c, "c / x": lambda x, c: c / x,
}
test_scalar_operands = op_property_test(
    lambda x, c, form: SCALAR_FORMS[form](x, c), lambda x, c, form: SCALAR_FORMS[form](x, c),
    elements=(-5, 5), min_magnitude=0.5,
    kwargs={"c": st.sampled_from([2, -3, 0.5, -1.75, 2.5]), "form": st.sampled_from(sorted(SCALAR_FORMS))},
    gradgrad=True,
)

# a NumPy array on either side (ndarray <op> Tensor defers to the Tensor); c is a constant input
ARRAY_FORMS = {
    "x + c": lambda x, c: x + c, "c + x": lambda x, c: c + x, "x - c": lambda x, c: x - c,
    "c - x": lambda x, c: c - x, "x * c": lambda x, c: x * c, "c * x": lambda x, c: c * x,
    "x / c": lambda x, c: x / c, "c / x": lambda x, c: c / x, "c ** x": lambda x, c: c**x,
}
test_ndarray_operands = op_property_test(
    lambda x, c, form: ARRAY_FORMS[form](x, c), lambda x, c, form: ARRAY_FORMS[form](x, c), 2,
    elements=[(-3, 3), (0.5, 3)], min_magnitude=[0.5, None], constant_inputs=(1,),
    kwargs={"form": st.sampled_from(sorted(ARRAY_FORMS))}, gradgrad=True,
)

NEG_FORMS = {"-x": lambda x: -x, "tg.neg": tg.neg, "np.negative": np.negative}
test_neg = op_property_test(lambda x, form: NEG_FORMS[form](x), lambda x, form: -x,
                            kwargs={"form": st.sampled_from(sorted(NEG_FORMS))}, gradgrad=True)

# ============================================================================ matmul
# np.matmul.signature is "(n?,k),(k,m?)->(n?,m?)": 1-D operands, 2-D, batched, broadcast batch dims
MATMUL_SHAPES = broadcastable_shapes(signature=np.matmul.signature, max_dims=2, max_side=3)
MATMUL_FORMS = {"@": lambda a, b: a @ b, "tg.matmul": tg.matmul, "method": lambda a, b: a.matmul(b),
                "np.matmul": np.matmul}
test_matmul = op_property_test(lambda a, b, form: MATMUL_FORMS[form](a, b), lambda a, b, form: a @ b, 2,
                               shapes=MATMUL_SHAPES, elements=(-3, 3),
                               kwargs={"form": st.sampled_from(sorted(MATMUL_FORMS))}, gradgrad=True)
test_rmatmul_ndarray = op_property_test(lambda a, b: a @ b, np.matmul, 2, shapes=MATMUL_SHAPES, elements=(-3, 3),
                                        constant_inputs=(0,), gradgrad=True)


# ============================================================================ unary elementwise
def unary(name, reference, *, numpy_form=None, extra_forms=None, **options):
    """x.<name>(), tinygrad_np.<name>(x) and, for ufuncs Tensors support, np.<ufunc>(x)."""
    forms = {"method": lambda x: getattr(x, name)(), "function": getattr(tg, name), **(extra_forms or {})}
    if numpy_form is not None:
        forms["numpy"] = numpy_form
    return op_property_test(lambda x, form: forms[form](x), lambda x, form: reference(x),
                            kwargs={"form": st.sampled_from(sorted(forms))}, **options)


def stable_sigmoid(x):
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


test_exp = unary("exp", np.exp, numpy_form=np.exp, elements=(-5, 5), gradgrad=True)
test_log = unary("log", np.log, numpy_form=np.log, elements=(0.1, 10), gradgrad=True)
test_sqrt = unary("sqrt", np.sqrt, numpy_form=np.sqrt, elements=(0.1, 10), gradgrad=True)
test_sin = unary("sin", np.sin, numpy_form=np.sin, gradgrad=True)
test_cos = unary("cos", np.cos, numpy_form=np.cos, gradgrad=True)
test_tanh = unary("tanh", np.tanh, numpy_form=np.tanh, elements=(-5, 5), gradgrad=True)
test_sigmoid = unary("sigmoid", stable_sigmoid, elements=(-30, 30), gradgrad=True)
test_sigmoid_extreme = unary("sigmoid", stable_sigmoid, elements=(-1000, 1000), gradgrad=True)
# kinks at 0 are kept 1e-3 away; the conventions at 0 are tested below
test_relu = unary("relu", lambda x: np.maximum(x, 0), min_magnitude=1e-3, gradgrad=True)
test_abs = unary("abs", np.abs, numpy_form=np.abs, extra_forms={"builtin": abs}, min_magnitude=1e-3, gradgrad=True)
LEAKY_FORMS = {  # slope None: the default, 0.01
    "method": lambda x, s: x.leaky_relu() if s is None else x.leaky_relu(s),
    "tg.leaky_relu": lambda x, s: tg.leaky_relu(x) if s is None else tg.leaky_relu(x, negative_slope=s),
}
test_leaky_relu = op_property_test(
    lambda x, slope, form: LEAKY_FORMS[form](x, slope),
    lambda x, slope, form: np.where(x > 0, x, x * (0.01 if slope is None else slope)), min_magnitude=1e-3,
    kwargs={"slope": st.sampled_from([None, 0.1, 0.3]), "form": st.sampled_from(sorted(LEAKY_FORMS))}, gradgrad=True,
)
test_square = op_property_test(lambda x: x.square(), np.square, gradgrad=True)

# piecewise constant: zero gradient; inputs are kept 0.05 away from their jumps (multiples of 0.5)
OFF_JUMPS = st.builds(lambda k, f: k / 2 + f, st.integers(-12, 11), st.floats(0.05, 0.45))
test_floor = unary("floor", np.floor, numpy_form=np.floor, elements=[OFF_JUMPS], gradgrad=True)
test_ceil = unary("ceil", np.ceil, numpy_form=np.ceil, elements=[OFF_JUMPS], gradgrad=True)
test_trunc = unary("trunc", np.trunc, numpy_form=np.trunc, elements=[OFF_JUMPS], gradgrad=True)
test_round = unary("round", np.round, extra_forms={"builtin": round}, elements=[OFF_JUMPS], gradgrad=True)
test_sign = unary("sign", np.sign, numpy_form=np.sign, elements=[OFF_JUMPS], gradgrad=True)
test_round_decimals = op_property_test(lambda x, d: x.round(d), lambda x, d: np.round(x, d), grad=False,
                                       kwargs={"d": st.integers(-1, 3)})


def quotients_off_integers(a, b, form):
    q = a / b  # a % b and a // b jump where a / b is an integer
    return bool(np.all(np.abs(q - np.round(q)) > 0.02))


REMAINDER_FORMS = {"operator": lambda a, b: a % b, "function": tg.remainder, "numpy": np.remainder}
FLOOR_DIVIDE_FORMS = {"operator": lambda a, b: a // b, "function": tg.floor_divide, "numpy": np.floor_divide}
test_remainder = op_property_test(
    lambda a, b, form: REMAINDER_FORMS[form](a, b), lambda a, b, form: np.remainder(a, b), 2,
    shapes=broadcastable_shapes(2, max_dims=2, max_side=3), elements=(-5, 5), min_magnitude=[None, 0.5],
    kwargs={"form": st.sampled_from(sorted(REMAINDER_FORMS))}, assume=quotients_off_integers, gradgrad=True,
)
test_floor_divide = op_property_test(
    lambda a, b, form: FLOOR_DIVIDE_FORMS[form](a, b), lambda a, b, form: np.floor_divide(a, b), 2,
    shapes=broadcastable_shapes(2, max_dims=2, max_side=3), elements=(-5, 5), min_magnitude=[None, 0.5],
    kwargs={"form": st.sampled_from(sorted(FLOOR_DIVIDE_FORMS))}, assume=quotients_off_integers, gradgrad=True,
)


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


def test_remainder_and_floor_divide_follow_python_with_scalars_and_ints():
    a = np.array([7.5, -7.5, 2.0, -0.25])
    for c in (2, -2, 0.75, -3.5):
        np.testing.assert_array_equal((Tensor(a) % c).data, a % c)
        np.testing.assert_array_equal((c % Tensor(a)).data, c % a)
        np.testing.assert_array_equal((Tensor(a) // c).data, a // c)
        np.testing.assert_array_equal((c // Tensor(a)).data, c // a)
    i = Tensor(np.array([7, -7, 6]))
    assert (i % 3).tolist() == [1, 2, 0] and (i // 2).tolist() == [3, -4, 3] and (i % 3).dtype == np.int64
    x = Tensor(np.array([7.5, -7.5], dtype=np.float32), requires_grad=True)
    (x % 2.0).sum().backward()  # d(x mod c)/dx = 1 between the jumps
    assert (x % 2.0).dtype == np.float32 and x.grad.tolist() == [1.0, 1.0]

# clip/clamp: bounds that are not "round" numbers, and a margin of 1e-3 around them
CLIP_BOUNDS = [(-0.73, 0.61), (None, 0.37), (-0.29, None), (-1.5, 1.5)]
CLIP_FORMS = {
    "clip": lambda x, lo, hi: x.clip(lo, hi), "clamp": lambda x, lo, hi: x.clamp(lo, hi),
    "tg.clip": lambda x, lo, hi: tg.clip(x, lo, hi), "tg.clamp": lambda x, lo, hi: tg.clamp(x, lo, hi),
    "np.clip": lambda x, lo, hi: np.clip(x, lo, hi), "keywords": lambda x, lo, hi: x.clip(min=lo, max=hi),
}


def away_from_clip_bounds(x, bounds, form):
    return all(b is None or np.all(np.abs(x - b) > 1e-3) for b in bounds)


test_clip = op_property_test(
    lambda x, bounds, form: CLIP_FORMS[form](x, *bounds), lambda x, bounds, form: np.clip(x, *bounds),
    elements=(-2, 2), kwargs={"bounds": st.sampled_from(CLIP_BOUNDS), "form": st.sampled_from(sorted(CLIP_FORMS))},
    assume=away_from_clip_bounds, gradgrad=True,
)

# maximum/minimum: distinct values, so that no finite difference crosses a tie
MAXMIN_FORMS = {
    "tg.maximum": (tg.maximum, np.maximum), "tg.minimum": (tg.minimum, np.minimum),
    "method maximum": (lambda a, b: a.maximum(b), np.maximum),
    "method minimum": (lambda a, b: a.minimum(b), np.minimum),
    "np.maximum": (np.maximum, np.maximum), "np.minimum": (np.minimum, np.minimum),
}
test_maximum_minimum = op_property_test(
    lambda a, b, form: MAXMIN_FORMS[form][0](a, b), lambda a, b, form: MAXMIN_FORMS[form][1](a, b), 2,
    distinct=True, kwargs={"form": st.sampled_from(sorted(MAXMIN_FORMS))}, gradgrad=True,
)
test_maximum_scalar = op_property_test(
    lambda x, c, fn: getattr(tg, fn)(x, c), lambda x, c, fn: getattr(np, fn)(x, c),
    kwargs={"c": st.sampled_from([0.5, -1.25, 3]), "fn": st.sampled_from(["maximum", "minimum"])},
    assume=lambda x, c, fn: np.all(np.abs(x - c) > 1e-3), gradgrad=True,
)


# where: a condition that itself broadcasts with both branches
def where_kwargs(shapes):
    cond_shape = broadcastable_shapes(1, base_shape=np.broadcast_shapes(*shapes)).map(lambda s: s[0])
    forms = st.sampled_from(["tg.where", "tg.where(Tensor)", "method", "np.where"])
    return st.fixed_dictionaries({"cond": hnp.arrays(np.bool_, cond_shape), "form": forms})


def where_op(a, b, cond, form):
    if form == "method":
        return a.where(cond, b)
    if form == "np.where":
        return np.where(cond, a, b)
    return tg.where(Tensor(cond) if form == "tg.where(Tensor)" else cond, a, b)


test_where = op_property_test(where_op, lambda a, b, cond, form: np.where(cond, a, b), 2, kwargs=where_kwargs,
                              gradgrad=True)
test_where_scalar_branch = op_property_test(
    lambda x, cond, side: tg.where(cond, x, 0.5) if side else tg.where(cond, -2, x),
    lambda x, cond, side: np.where(cond, x, 0.5) if side else np.where(cond, -2.0, x),
    kwargs={"cond": lambda s: hnp.arrays(np.bool_, s[0]), "side": st.booleans()}, gradgrad=True,
)

# ============================================================================ reductions
test_sum = op_property_test(reduce_with("sum"), numpy_reduce(np.sum), kwargs=reduction_kwargs, gradgrad=True)
test_mean = op_property_test(reduce_with("mean"), numpy_reduce(np.mean), kwargs=reduction_kwargs, gradgrad=True)
test_max = op_property_test(reduce_with("max"), numpy_reduce(np.max), kwargs=reduction_kwargs, distinct=True,
                            gradgrad=True)
test_min = op_property_test(reduce_with("min"), numpy_reduce(np.min), kwargs=reduction_kwargs, distinct=True,
                            gradgrad=True)
# aliases and function forms: x.amax/x.amin, tinygrad_np.sum(x, axis) etc., np.sum/np.mean on Tensors
REDUCTION_FORMS = {
    "x.amax": lambda x, axis: x.amax(axis), "x.amin": lambda x, axis: x.amin(axis),
    "tg.sum": lambda x, axis: tg.sum(x, axis), "tg.mean": lambda x, axis: tg.mean(x, axis),
    "tg.max": lambda x, axis: tg.max(x, axis=axis), "tg.min": lambda x, axis: tg.min(x, axis=axis),
    "np.sum": lambda x, axis: np.sum(x, axis=axis), "np.mean": lambda x, axis: np.mean(x, axis=axis),
}
test_reduction_aliases_and_function_forms = op_property_test(
    lambda x, axis, form: REDUCTION_FORMS[form](x, axis),
    lambda x, axis, form: getattr(np, form.split(".")[1].lstrip("a"))(x, axis=axis),
    kwargs={"axis": lambda s: valid_axes(len(s[0])), "form": st.sampled_from(sorted(REDUCTION_FORMS))}, distinct=True,
)


# var/std: the correction spelled as ddof (NumPy), correction or unbiased (PyTorch), or the default (1)
def variance_kwargs(shapes):
    spelling = st.sampled_from([{"ddof": 0}, {"ddof": 1}, {"correction": 0}, {"correction": 1}, {"unbiased": False},
                                {"unbiased": True}, {}])
    return st.tuples(reduction_kwargs(shapes), spelling).map(lambda t: {**t[0], "spelling": t[1]})


def _ddof(spelling) -> int:
    if "unbiased" in spelling:
        return int(spelling["unbiased"])
    return spelling.get("ddof", spelling.get("correction", 1))


def variance_op(method):
    return lambda x, spelling, **kw: reduce_with(method)(x, **kw, **spelling)


def variance_reference(fn):
    return lambda x, axis, keepdims, torch_names, spelling: fn(x, axis=axis, keepdims=keepdims, ddof=_ddof(spelling))


def enough_degrees_of_freedom(x, axis, spelling, **_):
    return reduced_count(x.shape, axis) > _ddof(spelling)


# sides of at least 2: every reduction has at least 2 elements, enough for ddof=1
VARIANCE_SHAPES = one(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=3))
test_var = op_property_test(variance_op("var"), variance_reference(np.var), shapes=VARIANCE_SHAPES,
                            kwargs=variance_kwargs, gradgrad=True)
# std = sqrt(var) has a kink at zero variance: distinct values keep it away
test_std = op_property_test(variance_op("std"), variance_reference(np.std), shapes=VARIANCE_SHAPES,
                            kwargs=variance_kwargs, distinct=True, gradgrad=True)


def stable_logsumexp(x, axis, keepdims):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


test_logsumexp = op_property_test(reduce_with("logsumexp"), numpy_reduce(stable_logsumexp), kwargs=numpy_names_only,
                                  gradgrad=True)
test_logsumexp_extreme = op_property_test(reduce_with("logsumexp"), numpy_reduce(stable_logsumexp),
                                          elements=(-1000, 1000), kwargs=numpy_names_only, gradgrad=True)


def stable_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def stable_log_softmax(x, axis):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def single_axis(shapes):
    # softmax(dim=...) is broken (see test_dim_keyword_of_ops_with_a_default_axis): NumPy names only for now
    return st.fixed_dictionaries({"axis": valid_axes(len(shapes[0]), allow_none=False, allow_tuple=False),
                                  "torch_names": st.just(False)})


def softmax_op(method):
    return lambda x, axis, torch_names: getattr(x, method)(dim=axis) if torch_names else getattr(x, method)(axis)


test_softmax = op_property_test(softmax_op("softmax"), lambda x, axis, torch_names: stable_softmax(x, axis),
                                shapes=one(SHAPES_1D_UP), kwargs=single_axis, gradgrad=True)
test_log_softmax = op_property_test(softmax_op("log_softmax"), lambda x, axis, torch_names: stable_log_softmax(x, axis),
                                    shapes=one(SHAPES_1D_UP), kwargs=single_axis, gradgrad=True)
# logits of +-1000 (exp overflows without the shift); outputs of size ~2000 cost rounding of 1e-16 * 2000 / eps
test_softmax_extreme = op_property_test(softmax_op("softmax"), lambda x, axis, torch_names: stable_softmax(x, axis),
                                        shapes=one(SHAPES_1D_UP), kwargs=single_axis, elements=(-1000, 1000),
                                        gradgrad=True)
test_log_softmax_extreme = op_property_test(
    softmax_op("log_softmax"), lambda x, axis, torch_names: stable_log_softmax(x, axis), shapes=one(SHAPES_1D_UP),
    kwargs=single_axis, elements=(-1000, 1000), gradgrad=True,
)
# the default axis (-1), method and function forms
DEFAULT_AXIS_FORMS = {
    "tg.softmax": (tg.softmax, stable_softmax), "tg.log_softmax": (tg.log_softmax, stable_log_softmax),
    "x.softmax()": (lambda x: x.softmax(), stable_softmax),
    "tg.logsumexp": (tg.logsumexp, lambda x, axis: stable_logsumexp(x, axis, False)),
    "x.logsumexp()": (lambda x: x.logsumexp(), lambda x, axis: stable_logsumexp(x, axis, False)),
}
test_default_axis_and_function_forms = op_property_test(
    lambda x, form: DEFAULT_AXIS_FORMS[form][0](x), lambda x, form: DEFAULT_AXIS_FORMS[form][1](x, -1),
    shapes=one(SHAPES_1D_UP), kwargs={"form": st.sampled_from(sorted(DEFAULT_AXIS_FORMS))},
)


# ============================================================================ shapes
@st.composite
def reshape_targets(draw, shape):
    """A shape with the same number of elements, possibly with a -1."""
    n, factors, p = int(np.prod(shape)), [], 2
    m = n
    while m > 1:
        while m % p == 0:
            factors.append(p)
            m //= p
        p += 1
    factors = draw(st.permutations(factors))
    cuts = sorted(draw(st.sets(st.integers(1, max(len(factors) - 1, 1)), max_size=3))) if len(factors) > 1 else []
    bounds = [0, *[c for c in cuts if c < len(factors)], len(factors)]
    dims = [int(np.prod(factors[a:b])) for a, b in zip(bounds, bounds[1:]) if b > a]
    for _ in range(draw(st.integers(0, 2))):
        dims.insert(draw(st.integers(0, len(dims))), 1)
    if dims and draw(st.booleans()):
        dims[draw(st.integers(0, len(dims) - 1))] = -1
    return tuple(dims)


RESHAPE_FORMS = {
    "reshape(shape)": lambda x, s: x.reshape(s), "reshape(*shape)": lambda x, s: x.reshape(*s),
    "view": lambda x, s: x.view(s), "tg.reshape": lambda x, s: tg.reshape(x, s),
    "np.reshape": lambda x, s: np.reshape(x, s),
}
test_reshape = op_property_test(
    lambda x, shape, form: RESHAPE_FORMS[form](x, shape), lambda x, shape, form: np.reshape(x, shape),
    kwargs={"shape": lambda s: reshape_targets(s[0]), "form": st.sampled_from(sorted(RESHAPE_FORMS))}, gradgrad=True,
)

test_permute = op_property_test(
    lambda x, perm, form: x.permute(*perm) if form == "*dims" else x.permute(perm) if form == "tuple" else tg.permute(
        x, perm), lambda x, perm, form: np.transpose(x, perm),
    kwargs={"perm": lambda s: st.permutations(range(len(s[0]))).map(tuple),
            "form": st.sampled_from(["*dims", "tuple", "tg.permute"])}, gradgrad=True,
)


@st.composite
def transpose_kwargs(draw, shapes):
    ndim = len(shapes[0])
    forms = ["reverse", "T", "np.transpose", "tg.transpose"]
    if ndim >= 1:
        forms += ["swap", "swapaxes", "np.swapaxes", "perm"]
    form = draw(st.sampled_from(forms))
    dims = draw(st.tuples(st.integers(-ndim, ndim - 1), st.integers(-ndim, ndim - 1))) if ndim else (0, 0)
    perm = tuple(draw(st.permutations(range(ndim))))
    return {"form": form, "dims": dims, "perm": perm}


def transpose_op(x, form, dims, perm):
    return {
        "reverse": lambda: x.transpose(), "T": lambda: x.T, "np.transpose": lambda: np.transpose(x),
        "tg.transpose": lambda: tg.transpose(x), "swap": lambda: x.transpose(*dims),
        "swapaxes": lambda: x.swapaxes(*dims), "np.swapaxes": lambda: np.swapaxes(x, *dims),
        "perm": lambda: x.transpose(perm),
    }[form]()


def transpose_reference(x, form, dims, perm):
    if form in ("swap", "swapaxes", "np.swapaxes"):
        return np.swapaxes(x, *dims)
    return np.transpose(x, perm) if form == "perm" else np.transpose(x)


test_transpose = op_property_test(transpose_op, transpose_reference, kwargs=transpose_kwargs, gradgrad=True)


@st.composite
def flatten_kwargs(draw, shapes):
    ndim = len(shapes[0])
    if ndim == 0 or draw(st.booleans()):
        return {"dims": draw(st.sampled_from([None, "tg"]))}
    start, end = sorted(draw(st.tuples(st.integers(0, ndim - 1), st.integers(0, ndim - 1))))
    # either may be spelled negatively
    start -= ndim * draw(st.integers(0, 1))
    end -= ndim * draw(st.integers(0, 1))
    return {"dims": (start, end)}


def flatten_reference(x, dims):
    if x.ndim == 0:
        return x.reshape(1)
    start, end = (0, x.ndim - 1) if dims is None else (dims[0] % x.ndim, dims[1] % x.ndim)
    return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1 :])


def flatten_op(x, dims):
    if dims is None:
        return x.flatten()
    return tg.flatten(x) if dims == "tg" else x.flatten(*dims)


test_flatten = op_property_test(flatten_op, lambda x, dims: flatten_reference(x, None if dims == "tg" else dims),
                                kwargs=flatten_kwargs, gradgrad=True)

# squeeze: shapes with many size-1 dimensions; a named dimension whose size is not 1 is left alone (PyTorch)
SQUEEZE_SHAPES = one(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=2))


def squeeze_reference(x, axis, torch_names):
    if axis is None:
        return np.squeeze(x)
    axes = tuple(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
    return np.squeeze(x, axis=tuple(a for a in axes if x.shape[a] == 1))


test_squeeze = op_property_test(
    lambda x, axis, torch_names: x.squeeze(dim=axis) if torch_names else x.squeeze(axis), squeeze_reference,
    shapes=SQUEEZE_SHAPES, kwargs={"axis": lambda s: valid_axes(len(s[0])), "torch_names": st.booleans()},
    gradgrad=True,
)
test_unsqueeze = op_property_test(
    lambda x, dim, form: x.unsqueeze(dim) if form == "method" else tg.unsqueeze(x, dim) if form == "tg" else
    np.expand_dims(x, dim), lambda x, dim, form: np.expand_dims(x, dim),
    kwargs={"dim": lambda s: st.integers(-len(s[0]) - 1, len(s[0])), "form": st.sampled_from(["method", "tg", "np"])},
    gradgrad=True,
)


def expand_kwargs(shapes):
    shape = shapes[0]
    target = broadcastable_shapes(1, base_shape=shape).map(lambda s: np.broadcast_shapes(shape, s[0]))
    return st.fixed_dictionaries({"target": target, "form": st.sampled_from(["expand", "-1", "tg", "np"])})


def expand_op(x, target, form):
    if form == "-1" and x.ndim and x.shape[-1] == target[-1]:  # PyTorch: -1 keeps that dimension's size
        return x.expand(*target[:-1], -1)
    return {"tg": lambda: tg.expand(x, target), "np": lambda: np.broadcast_to(x, target)}.get(
        form, lambda: x.expand(target))()


test_expand = op_property_test(expand_op, lambda x, target, form: np.broadcast_to(x, target), kwargs=expand_kwargs,
                               gradgrad=True)

# ============================================================================ indexing
# basic indices: ints (negative too), slices with any step (negative too), None and ...
test_getitem_basic = op_property_test(
    lambda x, index: x[index], lambda x, index: x[index],
    kwargs={"index": lambda s: hnp.basic_indices(s[0], allow_newaxis=True, allow_ellipsis=True)}, gradgrad=True,
)
# integer arrays: repeated indices must accumulate their gradients (checked by the finite differences)
INT_INDEX_RESULT = hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=5)
test_getitem_integer_arrays = op_property_test(
    lambda x, index: x[index], lambda x, index: x[index], shapes=one(SHAPES_1D_UP),
    kwargs={"index": lambda s: hnp.integer_array_indices(s[0], result_shape=INT_INDEX_RESULT)}, gradgrad=True,
)


@st.composite
def mixed_int_index(draw, shapes):
    """x[idx], x[list], x[Tensor idx] or x[:, idx]: one integer array (with repeats) along one axis."""
    shape = shapes[0]
    axis = draw(st.integers(0, len(shape) - 1))
    idx = draw(hnp.arrays(np.int64, st.integers(1, 6), elements=st.integers(-shape[axis], shape[axis] - 1)))
    form = draw(st.sampled_from(["array", "list", "tensor"]))
    return {"axis": axis, "idx": idx, "form": form}


def mixed_int_getitem(x, axis, idx, form):
    index = {"array": idx, "list": idx.tolist(), "tensor": Tensor(idx)}[form] if isinstance(x, Tensor) else idx
    if form == "list":  # a list inside a tuple does not accumulate (see test_list_inside_a_tuple_index_accumulates)
        return x[index] if axis == 0 else x[(slice(None),) * axis + (idx,)]
    return x[(slice(None),) * axis + (index,)]


test_getitem_int_array_along_axis = op_property_test(mixed_int_getitem, mixed_int_getitem, shapes=one(SHAPES_1D_UP),
                                                     kwargs=mixed_int_index, gradgrad=True)


def mask_kwargs(shapes):
    shape = shapes[0]
    mask = st.integers(1, len(shape)).flatmap(lambda k: hnp.arrays(np.bool_, shape[:k]))
    return st.fixed_dictionaries({"mask": mask, "as_tensor": st.booleans()})


test_getitem_boolean_mask = op_property_test(
    lambda x, mask, as_tensor: x[Tensor(mask) if as_tensor else mask], lambda x, mask, as_tensor: x[mask],
    shapes=one(SHAPES_1D_UP), kwargs=mask_kwargs, gradgrad=True,
)


# ============================================================================ joining and padding
@st.composite
def cat_shapes(draw, n=3):
    base = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    axis = draw(st.integers(0, len(base) - 1))
    sizes = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return tuple(base[:axis] + (s,) + base[axis + 1 :] for s in sizes)


def cat_kwargs(shapes):
    ndim = len(shapes[0])
    valid = [a for a in range(ndim) if len({s[:a] + s[a + 1 :] for s in shapes}) == 1]
    axis = st.sampled_from(valid).flatmap(lambda a: st.sampled_from([a, a - ndim]))
    return st.fixed_dictionaries({"axis": axis, "form": st.sampled_from(["cat", "cat axis=", "concatenate", "np"])})


def cat_op(*xs, axis, form):
    if form == "cat":
        return tg.cat(list(xs), dim=axis)
    if form == "cat axis=":
        return tg.cat(xs, axis=axis)
    return tg.concatenate(xs, axis) if form == "concatenate" else np.concatenate(xs, axis=axis)


test_cat = op_property_test(cat_op, lambda *xs, axis, form: np.concatenate(xs, axis=axis), 3, shapes=cat_shapes(),
                            kwargs=cat_kwargs, gradgrad=True)
test_stack = op_property_test(
    lambda *xs, axis, form: tg.stack(xs, dim=axis) if form == "tg" else np.stack(xs, axis=axis),
    lambda *xs, axis, form: np.stack(xs, axis=axis), 3,
    shapes=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3).map(lambda s: (s, s, s)),
    kwargs={"axis": lambda s: st.integers(-len(s[0]) - 1, len(s[0])), "form": st.sampled_from(["tg", "np"])},
    gradgrad=True,
)


@st.composite
def pad_kwargs(draw, shapes):
    ndim = len(shapes[0])
    widths = draw(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=ndim, max_size=ndim))
    value = draw(st.sampled_from([0.0, 1.5, -2]))
    if draw(st.booleans()):
        return {"pad": tuple(widths), "value": value, "form": "numpy"}
    k = draw(st.integers(1, ndim))  # PyTorch's flat form pads the last k dimensions, last one first
    flat = tuple(v for pair in reversed(widths[ndim - k :]) for v in pair)
    return {"pad": flat, "value": value, "form": draw(st.sampled_from(["torch", "tg.pad"]))}


def pad_reference(x, pad, value, form):
    if form == "numpy":
        widths = pad
    else:
        pairs = [pad[i : i + 2] for i in range(0, len(pad), 2)]
        widths = [(0, 0)] * (x.ndim - len(pairs)) + pairs[::-1]
    return np.pad(x, widths, constant_values=value)


test_pad = op_property_test(
    lambda x, pad, value, form: tg.pad(x, pad, value) if form == "tg.pad" else x.pad(pad, value=value),
    pad_reference, shapes=one(SHAPES_1D_UP), kwargs=pad_kwargs, gradgrad=True,
)

# ============================================================================ dtype conversion and copies
test_double_and_clone = op_property_test(
    lambda x, form: {"double": x.double(), "astype": x.astype(np.float64), "to": x.to("float64"),
                     "clone": x.clone()}[form],
    lambda x, form: x.copy(), kwargs={"form": st.sampled_from(["double", "astype", "to", "clone"])}, gradgrad=True,
)
# a float32 round trip: the finite differences then see float32 rounding (spacing 1.2e-7 on [-1, 1]), so a larger
# step eps=1e-2 keeps its error below 2 * 6e-8 / 2e-2 = 6e-6 < atol
test_float32_round_trip = op_property_test(
    lambda x, form: (x.float() if form == "float" else x.astype(np.float32)).double(),
    lambda x, form: x.astype(np.float32).astype(np.float64), elements=(-1, 1), eps=1e-2,
    kwargs={"form": st.sampled_from(["float", "astype"])},
)


# ============================================================================ kink conventions
def grad_of(fn, *values, upstream=None):
    xs = [Tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in values]
    out = fn(*xs)
    out.backward(np.ones(out.shape) if upstream is None else upstream)
    return [x.grad.data for x in xs]


def test_relu_grad_at_zero_is_zero():
    (g,) = grad_of(lambda x: x.relu(), [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])


def test_abs_grad_at_zero_is_zero():
    (g,) = grad_of(lambda x: x.abs(), [-1.5, 0.0, 2.0])
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0])


def test_leaky_relu_grad_at_zero_is_the_slope():
    (g,) = grad_of(lambda x: x.leaky_relu(0.2), [-1.0, 0.0, 2.0])
    np.testing.assert_allclose(g, [0.2, 0.2, 1.0])


def test_max_ties_split_the_gradient_equally():
    (g,) = grad_of(lambda x: x.max(), [1.0, 3.0, 3.0])
    np.testing.assert_array_equal(g, [0.0, 0.5, 0.5])
    (g,) = grad_of(lambda x: x.max(axis=1), [[2.0, 2.0, 2.0], [1.0, 5.0, 5.0]], upstream=np.array([3.0, 4.0]))
    np.testing.assert_allclose(g, [[1.0, 1.0, 1.0], [0.0, 2.0, 2.0]])
    (g,) = grad_of(lambda x: x.min(axis=0, keepdims=True), [[1.0, 4.0], [1.0, 2.0]], upstream=np.ones((1, 2)))
    np.testing.assert_array_equal(g, [[0.5, 0.0], [0.5, 1.0]])


def test_maximum_minimum_ties_split_the_gradient_equally():
    ga, gb = grad_of(tg.maximum, [1.0, 2.0, 3.0], [1.0, 5.0, 3.0], upstream=np.array([2.0, 2.0, 4.0]))
    np.testing.assert_array_equal(ga, [1.0, 0.0, 2.0])
    np.testing.assert_array_equal(gb, [1.0, 2.0, 2.0])
    ga, gb = grad_of(tg.minimum, [1.0, 2.0], [1.0, 5.0])
    np.testing.assert_array_equal(ga, [0.5, 1.0])
    np.testing.assert_array_equal(gb, [0.5, 0.0])
    (g,) = grad_of(lambda x: tg.maximum(x, 0.0), [0.0, -1.0, 1.0])  # relu written as maximum: 1/2 at the tie
    np.testing.assert_array_equal(g, [0.5, 0.0, 1.0])


def test_clip_passes_the_gradient_at_the_bounds():
    (g,) = grad_of(lambda x: x.clip(-1.0, 1.0), [-2.0, -1.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0, 1.0, 0.0])
    (g,) = grad_of(lambda x: x.clamp(min=0.0), [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0])


def test_repeated_integer_indices_accumulate():
    (g,) = grad_of(lambda x: x[np.array([0, 2, 0, 0])], [1.0, 2.0, 3.0], upstream=np.array([1.0, 10.0, 100.0, 1000.0]))
    np.testing.assert_array_equal(g, [1101.0, 0.0, 10.0])
    (g,) = grad_of(lambda x: x[np.array([1, 1]), np.array([0, 0])], np.zeros((2, 2)), upstream=np.array([2.0, 3.0]))
    np.testing.assert_array_equal(g, [[0.0, 0.0], [5.0, 0.0]])
    (g,) = grad_of(lambda x: x[:, np.array([0, 0])], np.zeros((2, 2)))
    np.testing.assert_array_equal(g, [[2.0, 0.0], [2.0, 0.0]])


def test_list_inside_a_tuple_index_accumulates():
    (g,) = grad_of(lambda x: x[[1, 1], [0, 0]], np.zeros((2, 2)), upstream=np.array([2.0, 3.0]))
    np.testing.assert_array_equal(g, [[0.0, 0.0], [5.0, 0.0]])  # got [[0, 0], [3, 0]]
    (g,) = grad_of(lambda x: x[:, [0, 0]], np.zeros((2, 2)))
    np.testing.assert_array_equal(g, [[2.0, 0.0], [2.0, 0.0]])  # got [[1, 0], [1, 0]]


@pytest.mark.parametrize("method", ["softmax", "log_softmax", "logsumexp"])
def test_dim_keyword_of_ops_with_a_default_axis(method):
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(getattr(Tensor(x), method)(dim=0).data, getattr(Tensor(x), method)(axis=0).data)


def test_boolean_mask_from_a_comparison():
    (g,) = grad_of(lambda x: x[x > 0] * 3, [-1.0, 2.0, 0.5])
    np.testing.assert_array_equal(g, [0.0, 3.0, 3.0])


def test_sigmoid_extreme_inputs_no_warnings():
    x = np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        t = Tensor(x, requires_grad=True)
        s = t.sigmoid()
        (g,) = tg.grad(s.sum(), [t], create_graph=True)
        (gg,) = tg.grad(g.sum(), [t])
    expected = stable_sigmoid(x)
    np.testing.assert_allclose(s.data, expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(g.data, expected * (1 - expected), rtol=1e-12, atol=1e-300)
    assert np.all(np.isfinite(gg.data))


def test_softmax_log_softmax_extreme_logits_no_warnings():
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0], [1e300, 0.0, -1e300]])
    u = np.random.default_rng(0).standard_normal(x.shape)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        for method, reference in [("softmax", stable_softmax), ("log_softmax", stable_log_softmax)]:
            t = Tensor(x[:2], requires_grad=True)
            out = getattr(t, method)(axis=-1)
            out.backward(u[:2])
            np.testing.assert_allclose(out.data, reference(x[:2], -1), rtol=1e-12)
            assert np.all(np.isfinite(t.grad.data))
            assert np.all(np.isfinite(getattr(Tensor(x[2:]), method)().data[:, :2]))


@pytest.mark.parametrize("method", ["sum", "mean", "max", "min", "softmax", "log_softmax", "logsumexp", "squeeze"])
def test_dim_0_of_a_0d_tensor(method):
    out = getattr(Tensor(np.float64(2.0)), method)(0)  # PyTorch: the value itself (softmax: 1, log_softmax: 0)
    if method in ("max", "min"):  # PyTorch's max(dim): (values, indices)
        out, index = out
        assert index.item() == 0
    expected = {"softmax": 1.0, "log_softmax": 0.0}.get(method, 2.0)
    assert out.shape == () and out.item() == expected


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


def test_logsumexp_of_all_minus_inf_row_is_minus_inf():
    out = Tensor(np.array([[-np.inf, -np.inf], [0.0, 0.0]])).logsumexp(axis=1)
    np.testing.assert_array_equal(out.data, [-np.inf, np.log(2.0)])


# ============================================================================ comparisons, argmax/argmin
COMPARISONS = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "np.less": np.less, "np.greater_equal": np.greater_equal,
    "np.equal": np.equal, "np.not_equal": np.not_equal,
}


def compare(a, b, form):
    out = COMPARISONS[form](a, b)
    if isinstance(out, Tensor):
        assert out.dtype == np.bool_ and not out.requires_grad and out.grad_fn is None
    return out


# small integers as floats: plenty of exact ties
SMALL_INTEGERS = st.integers(-2, 2).map(float)
test_comparisons = op_property_test(compare, lambda a, b, form: COMPARISONS[form](a, b), 2, grad=False,
                                    elements=SMALL_INTEGERS, kwargs={"form": st.sampled_from(sorted(COMPARISONS))})
test_comparisons_with_scalars = op_property_test(  # "r<" means c < x
    lambda x, c, form: compare(c, x, form[1:]) if form[0] == "r" else compare(x, c, form),
    lambda x, c, form: COMPARISONS[form[1:]](c, x) if form[0] == "r" else COMPARISONS[form](x, c),
    grad=False, elements=SMALL_INTEGERS,
    kwargs={"c": st.sampled_from([0, 1.0, -1.5]), "form": st.sampled_from(["<", ">=", "==", "!=", "r<", "r>="])},
)


def test_logical_ops_on_bool_tensors():
    a, b = Tensor(np.array([True, True, False])), Tensor(np.array([True, False, False]))
    for out, expected in [(a & b, [True, False, False]), (a | b, [True, True, False]), (~a, [False, False, True])]:
        assert out.dtype == np.bool_ and not out.requires_grad
        np.testing.assert_array_equal(out.data, expected)
    with pytest.raises(TypeError):
        ~Tensor([1.0])


def test_comparison_of_a_tensor_in_the_graph_has_no_grad():
    x = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    y = x * 2
    for out in (y > 0, y == x, y <= Tensor(np.zeros(2))):
        assert out.dtype == np.bool_ and not out.requires_grad and out.grad_fn is None


test_argmax_argmin = op_property_test(
    lambda x, axis, keepdims, fn, torch_names: getattr(x, fn)(dim=axis, keepdim=keepdims) if torch_names else getattr(
        x, fn)(axis=axis, keepdims=keepdims),
    lambda x, axis, keepdims, fn, torch_names: getattr(np, fn)(x, axis=axis, keepdims=keepdims), grad=False,
    elements=SMALL_INTEGERS,  # many ties: the first occurrence wins, as in NumPy
    kwargs=lambda s: st.fixed_dictionaries({
        "axis": valid_axes(len(s[0]), allow_tuple=False), "keepdims": st.booleans(),
        "fn": st.sampled_from(["argmax", "argmin"]), "torch_names": st.booleans()}),
)


def test_argmax_function_forms_and_no_grad():
    x = Tensor(np.array([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]]), requires_grad=True)
    for out, expected in [(tg.argmax(x), 3), (tg.argmin(x, 1), [0, 1]), (x.argmax(axis=0), [1, 0, 1])]:
        assert out.dtype == np.int64 and not out.requires_grad
        np.testing.assert_array_equal(out.data, expected)


# ============================================================================ dtype promotion
F32 = np.float32


def test_int_tensor_times_float32_tensor_is_float32():
    i, f = Tensor(np.array([1, 2], dtype=np.int64)), Tensor(np.array([0.5, 1.5], dtype=F32), requires_grad=True)
    for out in (i * f, f * i, i + f, f - i, i / f):
        assert out.dtype == F32
    (i * f).sum().backward()
    assert f.grad.dtype == F32
    np.testing.assert_array_equal(f.grad.data, [1, 2])


@pytest.mark.parametrize("scalar", [2, -3, 2.5, True, 1e30])
@pytest.mark.parametrize("form", sorted(SCALAR_FORMS) + ["x ** c", "c ** x", "maximum", "where", "clip"])
def test_python_scalars_never_upcast_float32(scalar, form):
    x = Tensor(np.array([0.5, 1.5], dtype=F32), requires_grad=True)
    forms = {**SCALAR_FORMS, "x ** c": lambda x, c: x**c, "c ** x": lambda x, c: abs(c) ** x,
             "maximum": lambda x, c: tg.maximum(x, c), "where": lambda x, c: tg.where(x > 1, x, c),
             "clip": lambda x, c: x.clip(None, c)}
    with np.errstate(over="ignore"):
        out = forms[form](x, scalar)
    assert out.dtype == F32
    out.sum().backward()
    assert x.grad.dtype == F32


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
    x = Tensor(np.array([0.5, 1.5], dtype=F32))
    assert (x * np.float64(2.5)).dtype == F32
    assert (x / np.sqrt(2.0)).dtype == F32  # np.sqrt of a Python float is an np.float64


def test_int_tensor_with_python_float_is_float32():
    i = Tensor(np.array([1, 2], dtype=np.int64))
    for out in (i * 0.5, i + 0.5, 0.5 - i, i**0.5, 1.5 / i):
        assert out.dtype == F32, out.dtype


def test_int_tensor_operations_that_stay_integral_or_become_float32():
    i = Tensor([1, 2])
    assert i.dtype == np.int64
    assert (i + 1).dtype == np.int64 and (i * i).dtype == np.int64
    assert (i / 2).dtype == F32 and (i / i).dtype == F32
    assert (Tensor([True, False]) + Tensor(np.ones(2, dtype=F32))).dtype == F32


def test_float64_arrays_stay_float64():
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    assert x.dtype == np.float64 and tg.from_numpy(np.zeros(2)).dtype == np.float64
    out = (x * 2.5 + 1) / 3 - x**2
    assert out.dtype == np.float64
    out.sum().backward()
    assert x.grad.dtype == np.float64
    assert Tensor([0.5]).dtype == F32 and tg.tensor(1.5).dtype == F32  # Python floats default to float32


def test_mixed_float_dtypes_give_each_input_its_own_grad_dtype():
    a = Tensor(np.array([1.0, 2.0], dtype=F32), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    out = a * b
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == F32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad.data, [3.0, 4.0])


def test_casting_grads_come_back_in_the_input_dtype():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.float()
    assert y.dtype == F32 and y.requires_grad
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])
    z = Tensor(np.array([1.0], dtype=F32), requires_grad=True)
    z.double().sum().backward()
    assert z.grad.dtype == F32


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


@given(ndarrays(elements=(-5, 5)))
def test_function_forms_equal_methods(a):
    x = Tensor(a)
    for name in ["exp", "sin", "cos", "tanh", "sigmoid", "relu", "abs"]:
        np.testing.assert_array_equal(getattr(tg, name)(x).data, getattr(x, name)().data)
    np.testing.assert_array_equal(tg.sum(x, keepdims=True).data, x.sum(keepdims=True).data)
    np.testing.assert_array_equal(tg.std(x.reshape(-1), ddof=0).data, x.reshape(-1).std(ddof=0).data)
    assert math.isclose(tg.var(x.reshape(-1), ddof=0).item(), float(np.var(a)), rel_tol=1e-9, abs_tol=1e-12)
