"""The PyTorch op surface added for issue 11, section 2: values against NumPy references written
here, special values (0, -0, +-inf, NaN), dtypes, empty and 0-d shapes, first and second
derivatives in float64, and PyTorch's error cases (every one of them a RuntimeError, as there).

Gradient tolerances are gradcheck's defaults (PyTorch's: eps=1e-6, atol=1e-5, rtol=1e-3), justified
as in tests/test_ops.py: inputs stay in each op's domain and at least 0.05 away from its poles
(asin at +-1, acosh at 1, ...) and 1e-3 away from its kinks and jumps, so a float64 central
difference errs by far less than atol, while a wrong rule is off by O(1). Exact comparisons
(assert_array_equal) are used where the op computes the same NumPy expression as the reference.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

import tinygrad_np as tg
from tinygrad_np import Tensor
from tinygrad_np.testing import GradcheckError, gradcheck, gradgradcheck, op_property_test

SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 1e3])
RNG = np.random.default_rng(0)


def check_grads(fn, *arrays, gradgrad=True):
    """gradcheck (and gradgradcheck) of ``fn`` at float64 copies of ``arrays``."""
    inputs = tuple(Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays)
    assert gradcheck(fn, inputs)
    if gradgrad:
        assert gradgradcheck(fn, inputs)


def raises(match):
    """PyTorch raises RuntimeError for bad input; ours is ArgumentError, a RuntimeError and a ValueError."""
    return pytest.raises(RuntimeError, match=match)


# ============================================================================ elementwise, one input
# name: (NumPy reference, its derivative written independently of the library's rule, bounds of the property test)
UNARY = {
    "tan": (np.tan, lambda x: 1 / np.cos(x) ** 2, (-1.4, 1.4)),
    "asin": (np.arcsin, lambda x: 1 / np.sqrt(1 - x * x), (-0.95, 0.95)),
    "acos": (np.arccos, lambda x: -1 / np.sqrt(1 - x * x), (-0.95, 0.95)),
    "atan": (np.arctan, lambda x: 1 / (1 + x * x), (-10.0, 10.0)),
    "sinh": (np.sinh, np.cosh, (-5.0, 5.0)),
    "cosh": (np.cosh, np.sinh, (-5.0, 5.0)),
    "asinh": (np.arcsinh, lambda x: 1 / np.sqrt(x * x + 1), (-10.0, 10.0)),
    "acosh": (np.arccosh, lambda x: 1 / np.sqrt(x * x - 1), (1.05, 10.0)),
    "atanh": (np.arctanh, lambda x: 1 / (1 - x * x), (-0.95, 0.95)),
    "exp2": (np.exp2, lambda x: np.exp2(x) * np.log(2), (-5.0, 5.0)),
    "log2": (np.log2, lambda x: 1 / (x * np.log(2)), (0.1, 10.0)),
    "log10": (np.log10, lambda x: 1 / (x * np.log(10)), (0.1, 10.0)),
}
ALIASES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh", "acosh": "arccosh",
           "atanh": "arctanh"}


def unary_forms(name):
    """x.<name>(), tinygrad_np.<name>(x), the arc- alias and np.<ufunc>(x) on a Tensor."""
    forms = {"method": lambda x: getattr(x, name)(), "function": getattr(tg, name), "numpy": UNARY[name][0]}
    if name in ALIASES:
        forms["alias"] = getattr(tg, ALIASES[name])
    return forms


for _name, (_reference, _, _bounds) in UNARY.items():
    _forms = unary_forms(_name)
    globals()[f"test_{_name}"] = op_property_test(
        lambda x, form, f=_forms: f[form](x), lambda x, form, r=_reference: r(x), elements=_bounds,
        kwargs={"form": st.sampled_from(sorted(_forms))}, gradgrad=True, name=f"test_{_name}")


@pytest.mark.parametrize("name", UNARY)
def test_unary_values_and_slopes_at_special_values(name):
    reference, slope, _ = UNARY[name]
    x = Tensor(SPECIAL, requires_grad=True)
    with np.errstate(all="ignore"):
        out = getattr(x, name)()
        out.backward(np.ones_like(SPECIAL))
        np.testing.assert_array_equal(out.data, reference(SPECIAL))
        np.testing.assert_allclose(x.grad.data, slope(SPECIAL), rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("name", UNARY)
def test_unary_dtypes_and_shapes(name):
    reference = UNARY[name][0]
    with np.errstate(all="ignore"):
        for dtype in (np.float16, np.float32, np.float64):
            out = getattr(Tensor(SPECIAL.astype(dtype)), name)()
            assert out.dtype == dtype
            np.testing.assert_array_equal(out.data, reference(SPECIAL.astype(dtype)))
        for ints in (np.array([0, 1, 2, 3]), np.array([0, 1], np.uint8), np.array([True, False])):
            out = getattr(tg, name)(Tensor(ints))  # integers and bools give the default float, as in PyTorch
            assert out.dtype == np.float32
            np.testing.assert_array_equal(out.data, reference(ints.astype(np.float32)))
        assert getattr(Tensor(0.5), name)().shape == ()
        empty = Tensor(np.zeros((0, 3)), requires_grad=True)
        getattr(empty, name)().sum().backward()
        assert empty.grad.shape == (0, 3)


# ============================================================================ elementwise, two inputs
def far_from_jumps(a, b):
    """fmod jumps where a / b is an integer: keep the quotient's fraction inside (0.01, 0.99)."""
    fraction = np.abs(np.fmod(a / b, 1))
    return bool(np.all((fraction > 0.01) & (fraction < 0.99)))


test_atan2 = op_property_test(lambda a, b: a.atan2(b), np.arctan2, 2, min_magnitude=0.1, gradgrad=True)
test_logaddexp = op_property_test(lambda a, b: tg.logaddexp(a, b), np.logaddexp, 2, gradgrad=True)
test_fmod = op_property_test(lambda a, b: tg.fmod(a, b), np.fmod, 2, min_magnitude=[None, 0.5], assume=far_from_jumps,
                             gradgrad=True)
test_copysign = op_property_test(lambda a, b: a.copysign(b), np.copysign, 2, min_magnitude=1e-3, gradgrad=True)
test_hypot = op_property_test(lambda a, b: tg.hypot(a, b), np.hypot, 2, min_magnitude=0.1, gradgrad=True)
test_arctan2_numpy_form = op_property_test(lambda a, b: np.arctan2(a, b), np.arctan2, 2, min_magnitude=0.1)


def grads_of(fn, *arrays):
    inputs = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    with np.errstate(all="ignore"):
        fn(*inputs).sum().backward()
    return [t.grad.data for t in inputs]


def test_binary_slopes_at_special_values():
    ga, gb = grads_of(tg.atan2, [0.0, -0.0], [0.0, 0.0])  # PyTorch's 0 at the origin, not 0/0
    np.testing.assert_array_equal(ga, [0, 0])
    np.testing.assert_array_equal(gb, [0, 0])
    ga, gb = grads_of(tg.logaddexp, [np.inf, 3.0, -np.inf, 1e3], [0.0, 3.0, -np.inf, -1e3])
    np.testing.assert_array_equal(ga, [1.0, 0.5, np.nan, 1.0])  # equal inputs: exactly half each
    np.testing.assert_array_equal(gb, [0.0, 0.5, np.nan, 0.0])
    ga, gb = grads_of(tg.copysign, [0.0, -0.0, 2.0, -2.0, 2.0, np.inf], [1.0, 1.0, -0.0, np.nan, 3.0, -1.0])
    np.testing.assert_array_equal(ga, [0.0, 0.0, -1.0, -1.0, 1.0, -1.0])  # the slope of |a|*sign(b), 0 at a = 0
    np.testing.assert_array_equal(gb, np.zeros(6))
    ga, gb = grads_of(tg.hypot, [3.0, 0.0], [4.0, 0.0])
    np.testing.assert_array_equal(ga, [0.6, np.nan])  # at the origin: 0/0, as PyTorch
    ga, gb = grads_of(tg.fmod, [5.0, -5.0], [3.0, 3.0])
    np.testing.assert_array_equal(gb, [-1.0, 1.0])  # -trunc(a/b)


def test_binary_dtypes():
    ints, int32 = Tensor([-7, 7, 5]), Tensor(np.array([3, -3, 5], np.int32))
    assert tg.atan2(ints, ints).dtype == np.float32 and tg.copysign(ints, -1).dtype == np.float32
    assert tg.atan2(Tensor(np.ones(3)), ints).dtype == np.float64
    assert tg.atan2(ints, 2.5).dtype == np.float32
    assert Tensor(np.ones(2, np.float16)).hypot(Tensor(np.ones(2, np.float16))).dtype == np.float16
    np.testing.assert_array_equal(tg.copysign(ints, -1).data, [-7.0, -7.0, -5.0])
    fmod = ints.int().fmod(int32)
    assert fmod.dtype == np.int32  # integers stay integers, with the sign of the dividend
    np.testing.assert_array_equal(fmod.data, [-1, 1, 0])
    np.testing.assert_array_equal(tg.fmod(Tensor([-7.5, 7.5]), 2).data, [-1.5, 1.5])
    assert tg.fmod(ints, 2.5).dtype == np.float32
    with raises("division by zero"):
        ints.fmod(Tensor([1, 0, 1]))
    with raises("division by zero"):
        ints.fmod(0)
    for name in ("logaddexp", "hypot"):  # floating point only in PyTorch
        with raises("not implemented for integer"):
            getattr(ints, name)(ints)
        assert getattr(tg, name)(ints, 1.5).dtype == np.float32  # a float operand makes it a float op
    with raises("broadcast"):
        tg.atan2(Tensor(np.ones(3)), Tensor(np.ones(2)))


# ============================================================================ lerp, isclose, clamp_min/clamp_max
def test_lerp_values_exact_ends_and_gradients():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    for w in (0.0, 0.3, 0.5, 0.8, 1.0, -0.5, 2.0):
        out = Tensor(a).lerp(Tensor(b), w)
        np.testing.assert_allclose(out.data, a + w * (b - a), rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(Tensor(a).lerp(Tensor(b), 1.0).data, b)  # exactly the end at weight 1
    np.testing.assert_array_equal(tg.lerp(Tensor(a), Tensor(b), Tensor(np.ones(4))).data, b)
    np.testing.assert_array_equal(Tensor(a).lerp(Tensor(b), 0.0).data, a)
    weights = RNG.uniform(-0.5, 1.5, (3, 4))
    check_grads(lambda x, y, w: x.lerp(y, w), a, b, weights)
    check_grads(lambda x, y: tg.lerp(x, y, 0.7), a, b[0])  # broadcast
    with raises("floating point"):
        Tensor([1, 2]).lerp(Tensor([3, 4]), 0.5)
    with raises("dtype"):
        Tensor([1.0]).lerp(Tensor(np.array([2.0])), 0.5)  # float32 with float64, as PyTorch refuses
    with raises("dtype"):
        Tensor([1.0]).lerp(Tensor([2.0]), Tensor(np.array([0.5])))


def test_isclose_and_allclose():
    a = np.array([1.0, 1.0, 1.0, np.inf, np.inf, -np.inf, np.nan, 0.0, 1e-9])
    b = np.array([1.0, 1.0 + 1e-6, 1.1, np.inf, -np.inf, -np.inf, np.nan, 1e-9, 0.0])
    with np.errstate(invalid="ignore"):  # (inf - inf)
        expected = np.abs(a - b) <= 1e-8 + 1e-5 * np.abs(b)  # PyTorch's (and NumPy's) definition
        expected = np.where(np.isinf(a) | np.isinf(b), a == b, expected)
    np.testing.assert_array_equal(tg.isclose(Tensor(a), Tensor(b)).data, expected)
    np.testing.assert_array_equal(Tensor(a).isclose(Tensor(b), equal_nan=True).data, expected | np.isnan(a))
    np.testing.assert_array_equal(Tensor(a).isclose(Tensor(b), rtol=0.2).data[2], True)
    assert tg.isclose(Tensor(a), Tensor(b)).dtype == np.bool_
    assert tg.allclose(Tensor([1.0, 2.0]), Tensor([1.0, 2.0 + 1e-7])) is True
    assert Tensor([1.0, np.nan]).allclose(Tensor([1.0, np.nan])) is False
    assert Tensor([1.0, np.nan]).allclose(Tensor([1.0, np.nan]), equal_nan=True) is True
    np.testing.assert_array_equal(tg.isclose(Tensor([1, 2]), Tensor([1, 3])).data, [True, False])
    np.testing.assert_array_equal(tg.isclose(Tensor([True, False]), Tensor([True, True])).data, [True, False])
    assert tg.isclose(Tensor(1.0), Tensor(1.0)).shape == ()
    with raises("same dtype"):
        tg.isclose(Tensor([1, 2]), Tensor([1.0, 2.0]))
    with raises("non-negative"):
        tg.isclose(Tensor([1.0]), Tensor([1.0]), rtol=-1)


def test_clamp_min_and_clamp_max():
    x = np.array([-2.0, 0.5, 1.0, 3.0, np.nan])
    np.testing.assert_array_equal(Tensor(x).clamp_min(1.0).data, [1.0, 1.0, 1.0, 3.0, np.nan])
    np.testing.assert_array_equal(tg.clamp_max(Tensor(x), 1.0).data, [-2.0, 0.5, 1.0, 1.0, np.nan])
    # the gradient passes where the bound does not bite, ties included (as clamp)
    np.testing.assert_array_equal(grads_of(lambda t: t.clamp_min(1.0), x[:4])[0], [0, 0, 1, 1])
    np.testing.assert_array_equal(grads_of(lambda t: t.clamp_max(1.0), x[:4])[0], [1, 1, 1, 0])
    # a tensor bound gets the gradient where it wins (x keeps it on ties), and a NaN bound gives NaN
    bound = np.array([0.0, 1.0, 1.0, 5.0])
    gx, gb = grads_of(lambda t, m: t.clamp_min(m), x[:4], bound)
    np.testing.assert_array_equal(gx, [0, 0, 1, 0])
    np.testing.assert_array_equal(gb, [1, 1, 0, 1])
    gx, gb = grads_of(lambda t, m: t.clamp_max(m), x[:4], bound - [3, 0, 0, 0])
    np.testing.assert_array_equal(gx, [0, 1, 1, 1])
    np.testing.assert_array_equal(gb, [1, 0, 0, 0])
    np.testing.assert_array_equal(Tensor([1.0, 2.0]).clamp_min(Tensor([np.nan, 0.0])).data, [np.nan, 2.0])
    np.testing.assert_array_equal(Tensor(x[:4]).clamp_min(Tensor(bound)).data, np.maximum(x[:4], bound))
    # dtypes: an integer tensor clamped at a float gives the default float; at an int it stays int
    assert Tensor([1, 2]).clamp_min(1.5).dtype == np.float32
    np.testing.assert_array_equal(Tensor([1, 2]).clamp_min(1.5).data, [1.5, 2.0])
    assert Tensor([1, 2]).clamp_max(1).dtype == np.int64
    check_grads(lambda t, m: t.clamp_min(m), RNG.standard_normal((3, 4)), RNG.standard_normal(4) + 1e-2)
    check_grads(lambda t: t.clamp_max(0.1), np.array([-1.0, 0.05, 0.5, 2.0]))


# ============================================================================ matrices
def test_tril_and_triu():
    batch = RNG.standard_normal((2, 3, 5))
    for k in (-4, -1, 0, 1, 2, 7):
        np.testing.assert_array_equal(Tensor(batch).tril(k).data, np.tril(batch, k))
        np.testing.assert_array_equal(tg.triu(Tensor(batch), k).data, np.triu(batch, k))
    np.testing.assert_array_equal(Tensor(np.full((2, 2), np.inf)).tril().data, [[np.inf, 0], [np.inf, np.inf]])
    ints = Tensor(np.ones((3, 3), np.int32)).triu(1)
    assert ints.dtype == np.int32 and ints.data.sum() == 3
    assert Tensor(np.ones((3, 3), bool)).tril().dtype == np.bool_
    assert Tensor(np.zeros((0, 4))).tril().shape == (0, 4)
    check_grads(lambda t: t.tril(-1), batch)
    check_grads(lambda t: t.triu(1), batch)
    for bad in (Tensor([1.0, 2.0]), Tensor(1.0)):
        with raises("at least 2 dimensions"):
            bad.tril()


def test_diagonal_diag_and_trace():
    batch = RNG.standard_normal((2, 3, 4))
    for offset, d1, d2 in ((0, 0, 1), (1, 1, 2), (-1, 2, 1), (2, -1, 0), (5, 1, 2)):
        expected = np.diagonal(batch, offset, d1 % 3, d2 % 3)  # NumPy's order: the other dims, then the diagonal
        np.testing.assert_array_equal(Tensor(batch).diagonal(offset, d1, d2).data, expected)
        check_grads(lambda t, o=offset, a=d1, b=d2: t.diagonal(o, a, b), batch)
    vector, matrix = RNG.standard_normal(3), RNG.standard_normal((3, 4))
    for k in (-2, 0, 1):
        np.testing.assert_array_equal(tg.diag(Tensor(vector), k).data, np.diag(vector, k))
        np.testing.assert_array_equal(Tensor(matrix).diag(k).data, np.diag(matrix, k))
        check_grads(lambda t, k=k: t.diag(k), vector)
        check_grads(lambda t, k=k: t.diag(k), matrix)
    assert Tensor(matrix).diag(9).shape == (0,)
    assert Tensor(np.array([1, 2], np.int32)).diag().dtype == np.int32
    np.testing.assert_allclose(Tensor(matrix).trace().item(), np.trace(matrix), rtol=1e-14)
    assert tg.trace(Tensor(np.arange(4).reshape(2, 2))).item() == 3
    check_grads(lambda t: t.trace(), matrix)
    with raises("1-D or 2-D"):
        Tensor(batch).diag()
    with raises("1-D or 2-D"):
        Tensor(1.0).diag()
    with raises("expected a matrix"):
        Tensor(batch).trace()
    with raises("cannot be the same"):
        Tensor(batch).diagonal(0, 1, -2)
    with pytest.raises(IndexError):
        Tensor(vector).diagonal()


def test_outer_and_dot():
    a, b = RNG.standard_normal(3), RNG.standard_normal(4)
    np.testing.assert_allclose(Tensor(a).outer(Tensor(b)).data, np.outer(a, b), rtol=1e-15)
    np.testing.assert_allclose(tg.ger(Tensor(a), Tensor(b)).data, np.outer(a, b), rtol=1e-15)
    np.testing.assert_allclose(tg.dot(Tensor(b), Tensor(b[::-1])).item(), np.dot(b, b[::-1]), rtol=1e-14)
    assert Tensor([1, 2]).outer(Tensor([1.0, 2.0])).dtype == np.float32  # promoted, as PyTorch
    assert Tensor([1, 2]).dot(Tensor([3, 4])).item() == 11
    assert Tensor(np.zeros(0)).dot(Tensor(np.zeros(0))).item() == 0
    check_grads(lambda x, y: x.outer(y), a, b)
    check_grads(lambda x, y: x.dot(y), b, b[::-1])
    with raises("1-D"):
        Tensor(np.ones((2, 2))).outer(Tensor(np.ones(2)))
    with raises("1-D"):
        Tensor(np.ones((2, 2))).dot(Tensor(np.ones(2)))
    with raises("same dtype"):
        Tensor([1, 2]).dot(Tensor([1.0, 2.0]))
    with raises("elements"):
        Tensor([1.0, 2.0]).dot(Tensor([1.0, 2.0, 3.0]))


# ============================================================================ shapes
def test_roll():
    batch = RNG.standard_normal((2, 3, 5))
    for shifts, dims in ((1, None), (-7, None), (2, 0), ((1, -2), (0, 2)), ((4, 1), (-1, -1)), (0, 1)):
        np.testing.assert_array_equal(Tensor(batch).roll(shifts, dims).data, np.roll(batch, shifts, dims))
        check_grads(lambda t, s=shifts, d=dims: tg.roll(t, s, d), batch, gradgrad=False)
    check_grads(lambda t: t.roll((1, 2), (0, 1)), batch)
    assert Tensor(3.0).roll(1).item() == 3.0
    assert Tensor(np.zeros((0, 3))).roll(1, 0).shape == (0, 3)
    with raises("align"):
        Tensor(batch).roll((1, 2), 0)
    with pytest.raises(IndexError):
        Tensor(batch).roll(1, 3)


def test_narrow_and_unflatten():
    batch = RNG.standard_normal((2, 3, 5))
    np.testing.assert_array_equal(Tensor(batch).narrow(2, 1, 3).data, batch[:, :, 1:4])
    np.testing.assert_array_equal(tg.narrow(Tensor(batch), -1, -3, 2).data, batch[:, :, 2:4])  # negative start
    np.testing.assert_array_equal(Tensor(batch).narrow(1, Tensor(1), 1).data, batch[:, 1:2])  # a 0-d tensor start
    assert Tensor(batch).narrow(1, 3, 0).shape == (2, 0, 5)
    check_grads(lambda t: t.narrow(1, 1, 2), batch)
    with raises("exceeds dimension size"):
        Tensor(batch).narrow(1, 2, 2)
    with raises("non-negative"):
        Tensor(batch).narrow(1, 0, -1)
    with pytest.raises(IndexError):
        Tensor(batch).narrow(1, 4, 0)
    assert Tensor(batch).unflatten(2, (5, 1)).shape == (2, 3, 5, 1)
    assert tg.unflatten(Tensor(batch), -1, (-1, 5)).shape == (2, 3, 1, 5)
    np.testing.assert_array_equal(Tensor(batch).unflatten(1, (3, 1)).data, batch.reshape(2, 3, 1, 5))
    check_grads(lambda t: t.unflatten(0, (1, 2)), batch)
    for sizes in ((2, 2), (-1, -1), (), (0, -1)):
        with raises("multiply up"):
            Tensor(batch).unflatten(1, sizes)


def test_view_reshape_as_type_as_and_contiguous():
    x = Tensor(RNG.standard_normal((2, 3, 4)), requires_grad=True)
    assert x.view(6, -1).shape == (6, 4) and x.view((4, 6)).shape == (4, 6)
    assert x.view_as(Tensor(np.zeros((24,)))).shape == (24,)
    assert x.reshape_as(Tensor(np.zeros((4, 3, 2)))).shape == (4, 3, 2)
    assert x.type_as(Tensor([1])).dtype == np.int64 and x.type_as(Tensor([1.0])).dtype == np.float32
    check_grads(lambda t: t.view(4, 6).view_as(t), x.data)
    # view(dtype): the same bytes read as another dtype, as ndarray.view (and PyTorch); no gradient
    floats = np.array([[1.0, -2.0], [0.5, np.inf]], np.float32)
    for dtype in ("int32", np.int16, np.dtype(np.uint8), np.float32):
        view = Tensor(floats).view(dtype)
        np.testing.assert_array_equal(view.data, floats.view(dtype))
        assert not view.requires_grad
    shared = Tensor(floats.copy())
    shared.view(np.int32)[0, 0] = 0  # a view shares memory, as in PyTorch
    assert shared.data[0, 0] == 0
    with raises("view"):
        Tensor(np.float32(1.0)).view(np.int16)  # a 0-d tensor cannot change its element size
    # contiguous(): the tensor itself if row-major, else a row-major copy (no longer sharing memory)
    y = Tensor(np.arange(6.0).reshape(2, 3))
    assert y.contiguous() is y and y.is_contiguous()
    transposed = y.t()
    assert not transposed.is_contiguous()
    made = transposed.contiguous()
    assert made.is_contiguous() and not np.shares_memory(made.data, y.data)
    np.testing.assert_array_equal(made.view(6).data, [0, 3, 1, 4, 2, 5])
    check_grads(lambda t: t.transpose(1, 2).contiguous().view(2, 12), x.data)


# ============================================================================ selecting and placing
def test_index_select():
    x = RNG.standard_normal((3, 4))
    index = np.array([2, 0, 2, 3])
    np.testing.assert_array_equal(Tensor(x).index_select(1, Tensor(index)).data, x[:, index])
    np.testing.assert_array_equal(tg.index_select(Tensor(x), 0, [1]).data, x[[1]])
    np.testing.assert_array_equal(Tensor(x).index_select(-1, Tensor(np.array([1], np.int32))).data, x[:, [1]])
    assert Tensor(x).index_select(1, Tensor(2)).shape == (3, 1)  # a 0-d index keeps the dimension
    assert Tensor(x).index_select(0, Tensor(np.zeros(0, np.int64))).shape == (0, 4)
    check_grads(lambda t: t.index_select(1, Tensor(index)), x)  # the repeated index accumulates
    with raises("integer"):
        Tensor(x).index_select(1, Tensor([0.0]))
    with pytest.raises(IndexError, match="vector"):
        Tensor(x).index_select(1, Tensor([[0]]))
    for bad in (4, -1):  # PyTorch raises RuntimeError here; ArgumentIndexError is that and an IndexError
        with raises("out of bounds"):
            Tensor(x).index_select(1, Tensor([bad]))
        with pytest.raises(IndexError, match="out of bounds"):
            Tensor(x).index_select(1, Tensor([bad]))


def test_masked_select_and_nonzero():
    x = RNG.standard_normal((3, 4))
    mask = RNG.random((3, 4)) > 0.5
    np.testing.assert_array_equal(Tensor(x).masked_select(Tensor(mask)).data, x[mask])
    row = mask[0]
    np.testing.assert_array_equal(tg.masked_select(Tensor(x), Tensor(row)).data, x[:, row].reshape(-1))
    np.testing.assert_array_equal(Tensor(x[0]).masked_select(Tensor(mask)).data,  # the tensor broadcasts too
                                  np.broadcast_to(x[0], (3, 4))[mask])
    assert Tensor(2.0).masked_select(Tensor(True)).shape == (1,)
    check_grads(lambda t: t.masked_select(Tensor(row)), x)
    with raises("bool mask"):
        Tensor(x).masked_select(Tensor(row.astype(np.int64)))
    with raises("broadcast"):
        Tensor(x).masked_select(Tensor(np.ones(3, bool)))
    sparse = np.where(mask, x, 0.0)
    sparse[0, 0] = np.nan  # NaN is nonzero
    found = Tensor(sparse).nonzero()
    assert found.dtype == np.int64
    np.testing.assert_array_equal(found.data, np.argwhere(sparse))
    np.testing.assert_array_equal(tg.argwhere(Tensor(sparse)).data, np.argwhere(sparse))
    for got, expected in zip(tg.nonzero(Tensor(sparse), as_tuple=True), np.nonzero(sparse)):
        np.testing.assert_array_equal(got.data, expected)
    assert Tensor(1.0).nonzero().shape == (1, 0) and Tensor(0.0).nonzero().shape == (0, 0)  # PyTorch's 0-d shapes
    assert [t.tolist() for t in Tensor(5.0).nonzero(as_tuple=True)] == [[0]]
    assert Tensor(np.zeros((0, 3))).nonzero().shape == (0, 2)


def scatter_reference(x, dim, index, src, reduce=None, include_self=True):
    """PyTorch's scatter family, one element at a time: each place of the result gathers the src
    values sent to it (and its own value, if include_self) and reduces them."""
    out = x.copy()
    groups = {}
    for pos in np.ndindex(index.shape):
        place = list(pos)
        place[dim] = index[pos]
        groups.setdefault(tuple(place), []).append(src[pos] if np.ndim(src) else src)
    for place, values in groups.items():
        members = np.array(([x[place]] if include_self else []) + values)
        if reduce is None:
            out[place] = values[-1]
        elif reduce == "mean":
            out[place] = members.sum() // len(members) if x.dtype.kind in "iu" else members.mean()
        else:
            out[place] = {"sum": np.sum, "prod": np.prod, "amax": np.max, "amin": np.min}[reduce](members)
    return out


PLACES = np.array([[0, 1, 3, 3, 2], [3, 0, 1, 1, 0], [0, 2, 3, 1, 1]])  # repeated places along dim 0


def test_scatter():
    x, src = RNG.standard_normal((4, 5)), RNG.standard_normal((3, 6))
    unique = np.array([[0, 1, 3], [3, 0, 1]])  # no place twice in a row: a well-defined result
    out = Tensor(x[:2]).scatter(1, Tensor(unique), Tensor(src))
    np.testing.assert_array_equal(out.data, scatter_reference(x[:2], 1, unique, src))
    np.testing.assert_array_equal(tg.scatter(Tensor(x[:2]), 1, Tensor(unique), value=2.5).data,
                                  scatter_reference(x[:2], 1, unique, 2.5))
    np.testing.assert_array_equal(Tensor(x[:2]).scatter(1, Tensor(unique), 7).data,
                                  scatter_reference(x[:2], 1, unique, 7.0))
    np.testing.assert_array_equal(Tensor([1, 2]).scatter(0, Tensor([0]), 1.7).data, [1, 2])  # cast as PyTorch
    check_grads(lambda t, s: t.scatter(1, Tensor(unique), s), x[:2], src[:2, :3])
    check_grads(lambda t: t.scatter(0, Tensor(PLACES), 3.0), x)
    # with a repeated place one write wins; the overwritten elements of x get no gradient either way
    gx, = grads_of(lambda t: t.scatter(0, Tensor(PLACES), Tensor(src[:, :5])), x)
    np.testing.assert_array_equal(gx, 1 - scatter_reference(np.zeros((4, 5)), 0, PLACES, 1.0))
    written = Tensor(x).scatter(0, Tensor(PLACES), Tensor(src)).data
    assert np.isin(written, np.concatenate([x.ravel(), src.ravel()])).all()
    np.testing.assert_array_equal(Tensor(x).scatter(0, Tensor(PLACES), Tensor(src), reduce="add").data,
                                  scatter_reference(x, 0, PLACES, src, "sum"))
    np.testing.assert_array_equal(Tensor(1.0).scatter(0, Tensor(0), Tensor(4.0)).data, 4.0)  # 0-d


def test_scatter_errors():
    x, src = Tensor(np.zeros((3, 3))), Tensor(np.ones((2, 3)))
    with raises("out of bounds"):
        x.scatter(0, Tensor([[3]]), src)
    with raises("out of bounds"):
        x.scatter(0, Tensor([[-1]]), src)  # negative indices are refused, as PyTorch
    with raises("no larger"):
        x.scatter(0, Tensor([[0, 0, 0, 0]]), src)
    with raises("no larger"):
        x.scatter(0, Tensor([[0, 0], [0, 0], [0, 0]]), src)
    with raises("dimensions"):
        x.scatter(0, Tensor([0, 1]), src)
    with raises("same dtype"):
        x.scatter(0, Tensor([[0]]), Tensor(np.ones((1, 1), np.float32)))
    with raises("integer"):
        x.scatter(0, Tensor([[0.0]]), src)
    with raises("reduce"):
        x.scatter(0, Tensor([[0]]), src, reduce="max")
    with raises("reduce"):
        x.scatter_reduce(0, Tensor([[0]]), src, "max")
    with raises("same dtype"):
        x.scatter_add(0, Tensor([[0]]), Tensor([[1]]))
    with pytest.raises(TypeError):
        x.scatter(0, Tensor([[0]]))


def test_scatter_add_and_index_add():
    x, src = RNG.standard_normal((4, 5)), RNG.standard_normal((3, 6))
    np.testing.assert_allclose(Tensor(x).scatter_add(0, Tensor(PLACES), Tensor(src)).data,
                               scatter_reference(x, 0, PLACES, src, "sum"), rtol=1e-14)
    check_grads(lambda t, s: tg.scatter_add(t, 0, Tensor(PLACES), s), x, src)
    ints = Tensor(np.zeros(3, np.int64)).scatter_add(0, Tensor([0, 0, 2]), Tensor([1, 1, 1]))
    np.testing.assert_array_equal(ints.data, [2, 0, 1])
    index, source = np.array([4, 0, 4]), RNG.standard_normal((4, 3))
    expected = x.copy()
    for j, i in enumerate(index):
        expected[:, i] += 2 * source[:, j]
    np.testing.assert_allclose(Tensor(x).index_add(1, Tensor(index), Tensor(source), alpha=2).data, expected,
                               rtol=1e-14)
    check_grads(lambda t, s: tg.index_add(t, 1, Tensor(index), s, alpha=-0.5), x, source)
    np.testing.assert_array_equal(Tensor(1.0).index_add(0, Tensor([0]), Tensor([2.0])).data, 3.0)
    with raises("one dtype"):
        Tensor([1, 2]).index_add(0, Tensor([0]), Tensor([1.5]))
    with raises("shape"):
        Tensor(x).index_add(1, Tensor(index), Tensor(source[:, :2]))
    with raises("out of bounds"):
        Tensor(x).index_add(1, Tensor([5]), Tensor(source[:, :1]))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    x, src = RNG.uniform(0.5, 2, (4, 5)), RNG.uniform(0.5, 2, (3, 6))  # distinct values: no ties in amax/amin
    out = Tensor(x).scatter_reduce(0, Tensor(PLACES), Tensor(src), reduce, include_self=include_self)
    np.testing.assert_allclose(out.data, scatter_reference(x, 0, PLACES, src, reduce, include_self), rtol=1e-14)
    check_grads(lambda t, s: t.scatter_reduce(0, Tensor(PLACES), s, reduce, include_self=include_self), x, src)
    ints = Tensor(np.array([1, 2, 3])).scatter_reduce(0, Tensor([0, 0, 2]), Tensor([-5, -6, -8]), reduce,
                                                      include_self=include_self)
    assert ints.dtype == np.int64  # an integer mean is floored, as PyTorch
    np.testing.assert_array_equal(ints.data, scatter_reference(np.array([1, 2, 3]), 0, np.array([0, 0, 2]),
                                                               np.array([-5, -6, -8]), reduce, include_self))


def test_scatter_reduce_gradients_at_zeros_and_ties():
    # prod: each member gets the product of the rest of its group, also where the group holds zeros
    # (a polynomial, so finite differences are exact enough there)
    x = np.array([0.0, 5.0, 0.0, 2.0])
    src = np.array([2.0, 0.0, 3.0, 0.0, 1.5])  # groups: {0, 2, 0} two zeros, {5}, {0, 3, 0}, {2, 1.5}
    index = Tensor([0, 0, 2, 2, 3])
    for include_self in (True, False):
        check_grads(lambda t, s, i=include_self: t.scatter_reduce(0, index, s, "prod", include_self=i), x, src,
                    gradgrad=False)
    # amax / amin: the values equal to the result share its gradient
    gx, gs = grads_of(lambda t, s: t.scatter_reduce(0, Tensor([0, 0, 1]), s, "amax"), [2.0, 5.0], [2.0, 1.0, 5.0])
    np.testing.assert_array_equal(gx, [0.5, 0.5])
    np.testing.assert_array_equal(gs, [0.5, 0.0, 0.5])
    # with include_self=False, x's value takes no part even where it equals the result (PyTorch counts it as a
    # tie there, and its gradients then add up to less than g)
    gx, gs = grads_of(lambda t, s: t.scatter_reduce(0, Tensor([0, 0]), s, "amin", include_self=False), [0.0, 1.0],
                      [0.0, 0.2])
    np.testing.assert_array_equal(gx, [0.0, 1.0])
    np.testing.assert_array_equal(gs, [1.0, 0.0])
    with np.errstate(invalid="ignore"):
        out = Tensor([1.0, 2.0]).scatter_reduce(0, Tensor([0, 1]), Tensor([np.nan, 0.0]), "amin")
    np.testing.assert_array_equal(out.data, [np.nan, 0.0])  # NaN propagates


# ============================================================================ running reductions
def test_cumprod_values_dtypes_and_gradient_at_zeros():
    lanes = RNG.uniform(0.5, 1.5, (3, 6)) * RNG.choice([-1, 1], (3, 6))
    lanes[0, 2] = lanes[1, 1] = lanes[1, 4] = lanes[2, 5] = 0.0  # one zero, two zeros, a zero at the end
    np.testing.assert_allclose(Tensor(lanes).cumprod(1).data, np.cumprod(lanes, 1), rtol=1e-14)
    np.testing.assert_allclose(tg.cumprod(Tensor(lanes), dim=0).data, np.cumprod(lanes, 0), rtol=1e-14)
    check_grads(lambda t: t.cumprod(1), lanes)  # right at the zeros, also to second order
    check_grads(lambda t: t.cumprod(0), lanes[:, :3] + 1.0)
    x = Tensor([2.0, 0.0, 3.0, 0.0, 4.0], requires_grad=True)
    x.cumprod(0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 8.0, 0.0, 0.0, 0.0])  # 1 + 0 + ..., 2 + 2*3, then 0
    assert Tensor(np.array([1, 2], np.int32)).cumprod(0).dtype == np.int64  # as PyTorch: integers give int64
    assert Tensor([True, False]).cumprod(0).dtype == np.int64
    assert Tensor([1, 2]).cumprod(0, dtype=np.float64).dtype == np.float64
    assert Tensor(2.0).cumprod(0).shape == () and Tensor(np.zeros((0, 2))).cumprod(0).shape == (0, 2)
    with pytest.raises(IndexError):
        Tensor([1.0]).cumprod(1)


def running_extreme_reference(x, dim, better):
    """cummax (better = np.greater_equal) or cummin, one element at a time, as PyTorch: a tie takes the
    later index; a NaN wins and keeps winning (a later NaN takes its own index)."""
    moved = np.moveaxis(x, dim, -1)
    values, indices = moved.copy(), np.zeros(moved.shape, np.int64)
    for lane in np.ndindex(moved.shape[:-1]):
        best = at = None
        for j, v in enumerate(moved[lane]):
            if j == 0 or np.isnan(v) or (not np.isnan(best) and better(v, best)):
                best, at = v, j
            values[lane + (j,)], indices[lane + (j,)] = best, at
    return np.moveaxis(values, -1, dim), np.moveaxis(indices, -1, dim)


@pytest.mark.parametrize("name, better", [("cummax", np.greater_equal), ("cummin", np.less_equal)])
def test_cummax_and_cummin(name, better):
    ties = np.round(RNG.standard_normal((3, 7)))
    ties[1, 2] = ties[1, 5] = np.nan
    for dim in (0, 1, -1):
        values, indices = getattr(Tensor(ties), name)(dim)
        expected_values, expected_indices = running_extreme_reference(ties, dim % 2, better)
        np.testing.assert_array_equal(values.data, expected_values)
        np.testing.assert_array_equal(indices.data, expected_indices)
        assert indices.dtype == np.int64
    distinct = RNG.permutation(21).reshape(3, 7) / 4.0  # no ties: the gradient is well defined
    check_grads(lambda t: getattr(t, name)(1).values, distinct)
    out = getattr(tg, name)(Tensor(np.array([True, False, True])), 0)
    assert out.values.dtype == np.bool_
    np.testing.assert_array_equal(out.indices.data, running_extreme_reference(np.array([1, 0, 1]), 0, better)[1])
    zero_d = getattr(Tensor(2.0), name)(0)
    assert zero_d.values.item() == 2.0 and zero_d.indices.item() == 0 and zero_d.indices.shape == ()
    assert getattr(Tensor(np.zeros((0, 3))), name)(0).values.shape == (0, 3)


def test_logcumsumexp():
    x = RNG.standard_normal((3, 5)) * 3
    np.testing.assert_allclose(Tensor(x).logcumsumexp(1).data, np.log(np.cumsum(np.exp(x), 1)), rtol=1e-13)
    check_grads(lambda t: t.logcumsumexp(1), x)
    check_grads(lambda t: tg.logcumsumexp(t, 0), x)
    # far apart values: neither the value nor the gradient overflows or loses the small terms
    far = Tensor(np.array([-1000.0, 0.0, 1000.0, 999.0, -np.inf]), requires_grad=True)
    out = far.logcumsumexp(0)
    np.testing.assert_allclose(out.data, [-1000.0, 0.0, 1000.0, 1000.0 + np.log1p(np.exp(-1.0)), out.data[3]],
                               rtol=1e-15)
    upstream = np.array([1.0, -2.0, 0.5, 1.0, 3.0])
    out.backward(upstream)
    x, y = far.data, out.data  # d out_j / d x_i = exp(x_i - out_j) for j >= i, each term at most 1
    expected = [sum(upstream[j] * np.exp(x[i] - y[j]) for j in range(i, 5)) for i in range(5)]
    np.testing.assert_allclose(far.grad.data, expected, rtol=1e-13)
    assert far.grad.data[0] == 1.0 and far.grad.data[4] == 0.0
    assert Tensor(np.array(1.5)).logcumsumexp(0).item() == 1.5
    assert Tensor(np.zeros((0, 2), np.float32)).logcumsumexp(0).dtype == np.float32
    with raises("floating point"):
        Tensor([1, 2]).logcumsumexp(0)


# ============================================================================ repeat_interleave, meshgrid
def test_repeat_interleave():
    x = RNG.standard_normal((2, 3))
    np.testing.assert_array_equal(Tensor(x).repeat_interleave(2).data, np.repeat(x, 2))
    np.testing.assert_array_equal(Tensor(x).repeat_interleave(Tensor([1, 0, 3]), dim=1).data,
                                  np.repeat(x, [1, 0, 3], axis=1))
    np.testing.assert_array_equal(tg.repeat_interleave(Tensor(x), Tensor([2]), dim=0).data, np.repeat(x, 2, axis=0))
    np.testing.assert_array_equal(tg.repeat_interleave(Tensor([1, 2])).data, [0, 1, 1])
    np.testing.assert_array_equal(Tensor(3.0).repeat_interleave(2).data, [3.0, 3.0])
    assert Tensor(x).repeat_interleave(2, dim=0, output_size=4).shape == (4, 3)
    check_grads(lambda t: t.repeat_interleave(Tensor([1, 0, 3]), dim=-1), x)
    with raises("size"):
        Tensor(x).repeat_interleave(Tensor([1, 2]), dim=1)
    with raises("negative"):
        Tensor(x).repeat_interleave(Tensor([1, -1]), dim=0)
    with raises("output_size"):
        Tensor(x).repeat_interleave(2, dim=0, output_size=3)


def test_meshgrid():
    a, b, c = RNG.standard_normal(2), RNG.standard_normal(3), RNG.standard_normal(4)
    for indexing in ("ij", "xy"):
        ours = tg.meshgrid(Tensor(a), Tensor(b), Tensor(c), indexing=indexing)
        for got, expected in zip(ours, np.meshgrid(a, b, c, indexing=indexing)):
            np.testing.assert_array_equal(got.data, expected)
    default = tg.meshgrid([Tensor(a), Tensor(b)])  # a list works too; PyTorch's default is "ij"
    assert default[0].shape == (2, 3)
    assert tg.meshgrid(Tensor(np.array(1.0)), Tensor(b))[0].shape == (1, 3)
    check_grads(lambda x, y: sum(g * w for g, w in zip(tg.meshgrid(x, y, indexing="xy"), (1.0, -2.0))), a, b)
    with raises("0-d or 1-d"):
        tg.meshgrid(Tensor(np.ones((2, 2))))
    with raises("one dtype"):
        tg.meshgrid(Tensor([1, 2]), Tensor([1.0]))
    with raises("indexing"):
        tg.meshgrid(Tensor(a), indexing="ji")
    with raises("at least one"):
        tg.meshgrid()


# ============================================================================ generators and sampling
def test_manual_seed_and_generators():
    assert isinstance(tg.manual_seed(3), tg.Generator) and tg.manual_seed(3) is tg.default_generator
    first = tg.rand(4), tg.multinomial(Tensor([0.2, 0.3, 0.5]), 2), tg.bernoulli(Tensor(np.full(6, 0.5)))
    tg.manual_seed(3)
    second = tg.rand(4), tg.multinomial(Tensor([0.2, 0.3, 0.5]), 2), tg.bernoulli(Tensor(np.full(6, 0.5)))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.data, b.data)
    assert tg.initial_seed() == 3
    g = tg.Generator().manual_seed(7)
    assert g.initial_seed() == 7 and g.device == "cpu"
    # drawing from g leaves the global sequence alone, and the same seed gives the same draws
    tg.manual_seed(1)
    drawn = {name: fn(g) for name, fn in SAMPLERS.items()}
    after = tg.randn(3)
    tg.manual_seed(1)
    np.testing.assert_array_equal(tg.randn(3).data, after.data)
    again = tg.Generator().manual_seed(7)
    for name, fn in SAMPLERS.items():
        np.testing.assert_array_equal(fn(again).data, drawn[name].data, err_msg=name)


SAMPLERS = {  # every sampler that takes generator=
    "rand": lambda g: tg.rand(2, 3, generator=g),
    "randn": lambda g: tg.randn(4, generator=g),
    "randint": lambda g: tg.randint(0, 10, (5,), generator=g),
    "rand_like": lambda g: tg.rand_like(Tensor(np.zeros(3)), generator=g),
    "randn_like": lambda g: tg.randn_like(Tensor(np.zeros(3)), generator=g),
    "randperm": lambda g: tg.randperm(6, generator=g),
    "normal": lambda g: tg.normal(0.0, 2.0, (3,), generator=g),
    "normal of tensors": lambda g: tg.normal(Tensor(np.zeros(3)), Tensor(np.ones(3)), generator=g),
    "multinomial": lambda g: tg.multinomial(Tensor([0.2, 0.5, 0.3]), 2, generator=g),
    "multinomial with replacement": lambda g: Tensor([0.2, 0.8]).multinomial(4, True, generator=g),
    "bernoulli": lambda g: tg.bernoulli(Tensor(np.full(5, 0.5)), generator=g),
    "normal_": lambda g: Tensor(np.zeros(3)).normal_(1.0, 2.0, generator=g),
    "uniform_": lambda g: Tensor(np.zeros(3)).uniform_(-1, 1, generator=g),
    "bernoulli_": lambda g: Tensor(np.zeros(3)).bernoulli_(0.5, generator=g),
    "nn.init.normal_": lambda g: tg.nn.init.normal_(Tensor(np.zeros(3)), 0.0, 2.0, generator=g),
    "nn.init.kaiming_uniform_": lambda g: tg.nn.init.kaiming_uniform_(Tensor(np.zeros((2, 3))), generator=g),
    "nn.init.xavier_normal_": lambda g: tg.nn.init.xavier_normal_(Tensor(np.zeros((2, 3))), generator=g),
}


def test_generator_state_and_errors():
    g = tg.Generator().manual_seed(0)
    state = g.get_state()
    assert state.dtype == np.uint8
    first = tg.randn(5, generator=g)
    g.set_state(state)
    np.testing.assert_array_equal(tg.randn(5, generator=g).data, first.data)
    saved = tg.get_rng_state()
    before = tg.rand(3)
    tg.set_rng_state(saved)
    np.testing.assert_array_equal(tg.rand(3).data, before.data)
    fresh = g.seed()
    assert isinstance(fresh, int) and g.initial_seed() == fresh
    assert tg.Generator().manual_seed(-1).initial_seed() == 2**64 - 1  # as PyTorch: two's complement
    with raises("seed"):
        g.manual_seed(2**64)
    with raises("get_state"):
        g.set_state(Tensor(np.array([1, 2, 3], np.uint8)))
    with raises("CPU"):
        tg.Generator(device="cuda")
    with pytest.raises(TypeError, match="Generator"):
        tg.rand(2, generator=3)


def test_multinomial():
    g = tg.Generator().manual_seed(0)
    weights = np.array([1.0, 0.0, 6.0, 3.0])  # unnormalised, with a zero
    draws = tg.multinomial(Tensor(weights), 20000, replacement=True, generator=g)
    assert draws.dtype == np.int64 and draws.shape == (20000,)
    frequency = np.bincount(draws.data, minlength=4) / 20000
    p = weights / weights.sum()
    assert frequency[1] == 0
    assert np.all(np.abs(frequency - p) <= 5 * np.sqrt(p * (1 - p) / 20000))  # 5 standard deviations
    rows = Tensor(np.array([[0.1, 0.2, 0.7], [5.0, 0.0, 5.0]]))
    without = rows.multinomial(3, generator=g)
    assert without.shape == (2, 3)
    assert all(sorted(r) == [0, 1, 2] for r in without.tolist())  # each category once
    assert without.data[1, 2] == 1  # the zero-weight category comes last
    firsts = np.array([rows.multinomial(1, generator=g).data[0, 0] for _ in range(4000)])
    np.testing.assert_allclose(np.bincount(firsts, minlength=3) / 4000, [0.1, 0.2, 0.7], atol=5 * np.sqrt(0.25 / 4000))
    assert Tensor(np.ones((0, 3))).multinomial(2).shape == (0, 2)
    for bad, match in ((Tensor([1, 2]), "floating-point"), (Tensor(np.ones((2, 2, 2))), "1-D or 2-D"),
                       (Tensor(1.0), "1-D or 2-D"), (Tensor([-1.0, 2.0]), "< 0"), (Tensor([np.nan, 1.0]), "nan"),
                       (Tensor([np.inf, 1.0]), "inf"), (Tensor([0.0, 0.0]), "sum")):
        with raises(match):
            tg.multinomial(bad, 1)
    with raises("without replacement"):
        tg.multinomial(Tensor([0.5, 0.5]), 3)
    with raises("<= 0 samples"):
        tg.multinomial(Tensor([0.5, 0.5]), 0)


def test_bernoulli_randperm_and_normal():
    g = tg.Generator().manual_seed(0)
    probs = Tensor(np.array([0.0, 1.0, 0.3] * 4000))
    draws = tg.bernoulli(probs, generator=g)
    assert draws.dtype == np.float64 and not draws.requires_grad
    np.testing.assert_array_equal(draws.data[0::3], 0.0)
    np.testing.assert_array_equal(draws.data[1::3], 1.0)
    assert abs(draws.data[2::3].mean() - 0.3) <= 5 * np.sqrt(0.21 / 4000)
    assert Tensor(np.zeros(1000, np.float32)).bernoulli(0.5, generator=g).data.sum() > 400  # p overrides
    filled = Tensor(np.zeros((2, 3))).bernoulli_(Tensor([0.0, 1.0, 1.0]), generator=g)
    np.testing.assert_array_equal(filled.data, [[0, 1, 1], [0, 1, 1]])
    for bad in (Tensor([-0.1]), Tensor([1.5]), Tensor([np.nan])):
        with raises(r"\[0, 1\]"):
            tg.bernoulli(bad)
    with raises("floating point"):
        tg.bernoulli(Tensor([0, 1]))
    perm = tg.randperm(10, generator=g)
    assert perm.dtype == np.int64 and sorted(perm.tolist()) == list(range(10)) and tg.randperm(0).shape == (0,)
    samples = tg.normal(2.0, 3.0, (20000,), generator=g)
    assert samples.dtype == np.float32 and abs(samples.data.mean() - 2) < 0.1 and abs(samples.data.std() - 3) < 0.1
    broadcast = tg.normal(Tensor(np.zeros((2, 1))), Tensor(np.ones(3)), generator=g)
    assert broadcast.shape == (2, 3) and broadcast.dtype == np.float64
    assert tg.normal(Tensor(np.zeros(2)), 0.0).data.tolist() == [0.0, 0.0]
    with raises("non-negative"):
        tg.normal(0.0, -1.0, (2,))
    with pytest.raises(TypeError, match="size"):
        tg.normal(0.0, 1.0)
    leaf = Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        leaf.normal_()  # an in-place change of a leaf that requires grad, as any other
    with tg.no_grad():
        assert leaf.uniform_(2.0, 3.0).data.min() >= 2.0


# ============================================================================ a wrong rule is caught
def test_a_wrong_rule_is_caught(monkeypatch):
    """The checks above would catch the natural mistakes: the zero-blind cumprod rule
    (reverse cumsum of g*out, divided by x) and a tan rule that forgets the 1 in 1 + tan²."""
    import tinygrad_np.ops as ops

    lanes = np.array([[2.0, 0.0, 3.0, 1.5]])

    def zero_blind(ctx, g):
        return ops._reverse_cumsum(g * ctx.output, ctx.attrs["axis"]) / ctx.inputs[0]

    monkeypatch.setattr(ops.Cumprod, "backward", staticmethod(zero_blind))
    with np.errstate(all="ignore"), pytest.raises(GradcheckError):
        gradcheck(lambda t: t.cumprod(1), (Tensor(lanes, requires_grad=True),))
    monkeypatch.setattr(ops.Tan, "backward", staticmethod(lambda ctx, g: g * ctx.output * ctx.output))
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: t.tan(), (Tensor(np.array([0.3, -0.7]), requires_grad=True),))
