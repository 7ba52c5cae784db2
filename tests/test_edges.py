"""Ops at their edges, each checked against PyTorch's documented behaviour (issue 11, section 1), and
the names PyTorch code touches first (dtype names, default dtype, ``as_tensor``, ``Size``, devices).

The expected values were read from PyTorch 2.13's documentation and confirmed by running it;
``benchmarks/crosscheck_torch.py`` runs the same cases against PyTorch itself. No test imports torch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import nn
from tinygrad_np.testing import gradcheck, gradgradcheck


def arr(t) -> np.ndarray:
    return t.data if isinstance(t, tg.Tensor) else np.asarray(t)


def same(t, expected, dtype) -> None:
    """``t`` holds exactly ``expected`` (NaN where expected is NaN) and has ``dtype``."""
    assert t.dtype == np.dtype(dtype), (t.dtype, dtype)
    np.testing.assert_array_equal(arr(t), np.asarray(expected, dtype=dtype))


@pytest.fixture
def default_float64():
    tg.set_default_dtype(tg.float64)
    try:
        yield
    finally:
        tg.set_default_dtype(tg.float32)


# ============================================================================ dtype names and the default dtype
def test_dtype_names_are_dtypes_that_compare_as_in_pytorch():
    names = {"float16": np.float16, "half": np.float16, "float32": np.float32, "float": np.float32,
             "float64": np.float64, "double": np.float64, "int8": np.int8, "int16": np.int16, "uint8": np.uint8,
             "int32": np.int32, "int": np.int32, "int64": np.int64, "long": np.int64, "bool": np.bool_,
             "bool_": np.bool_}
    for name, dtype in names.items():
        d = getattr(tg, name)
        assert isinstance(d, np.dtype) and d == np.dtype(dtype), name
        t = tg.tensor([1, 0], dtype=d)  # accepted wherever a dtype is
        assert t.dtype == d and t.to(d).dtype == d and tg.zeros(2, dtype=d).dtype == d
    assert tg.Tensor([1.0]).dtype == tg.float32 and tg.Tensor([1]).dtype == tg.long
    assert tg.Tensor([True]).dtype == tg.bool
    assert tg.Tensor([1.0]).dtype != tg.float64
    assert tg.Tensor([1.0]).half().dtype == tg.float16


def test_finfo_and_iinfo_give_pythons_numbers_as_pytorch():
    f = tg.finfo(tg.float32)
    assert f.eps == 2.0**-23 and f.max == float(np.finfo(np.float32).max) and f.min == -f.max
    assert f.tiny == f.smallest_normal == 2.0**-126 and f.bits == 32 and f.resolution == 1e-6
    assert type(f.eps) is float and tg.finfo().bits == 32  # default: the default float dtype
    h = tg.finfo(tg.half)
    assert (h.eps, h.max, h.tiny, h.bits, h.resolution) == (2.0**-10, 65504.0, 2.0**-14, 16, 1e-3)
    i = tg.iinfo(tg.int32)
    assert (i.min, i.max, i.bits) == (-(2**31), 2**31 - 1, 32) and type(i.max) is int
    assert (tg.iinfo(tg.uint8).min, tg.iinfo(tg.uint8).max) == (0, 255)
    with pytest.raises(TypeError, match="iinfo"):
        tg.finfo(tg.int32)
    with pytest.raises(TypeError, match="finfo"):
        tg.iinfo(tg.float32)


def test_set_default_dtype_changes_every_default_float(default_float64):
    assert tg.get_default_dtype() == tg.float64
    assert tg.Tensor([1.5]).dtype == tg.float64 and tg.tensor(2.5).dtype == tg.float64
    for make in (lambda: tg.zeros(2), lambda: tg.ones(2), lambda: tg.rand(2), lambda: tg.randn(2), lambda: tg.empty(2),
                 lambda: tg.full((2,), 1.5), lambda: tg.arange(0.0, 2.0), lambda: tg.linspace(0, 1, 3),
                 lambda: tg.eye(2)):
        assert make().dtype == tg.float64
    ints = tg.Tensor([1, 2])
    for result in (ints / 2, ints * 0.5, ints.exp(), ints.sigmoid(), ints / ints, 0.5 * ints):
        assert result.dtype == tg.float64
    assert nn.Linear(2, 3).weight.dtype == tg.float64 and nn.Conv2d(1, 1, 2).bias.dtype == tg.float64
    assert "dtype" not in repr(tg.Tensor([1.5]))  # the repr names only a dtype other than the default


def test_set_default_dtype_accepts_floats_only():
    with pytest.raises(TypeError, match="floating-point"):
        tg.set_default_dtype(tg.int64)
    assert tg.get_default_dtype() == tg.float32


# ============================================================================ bitwise ops
def test_bitwise_ops_on_integers_are_bitwise_in_the_tensors_dtype():
    a = tg.Tensor([[1, -8, 1], [32, 1, 6]], dtype=tg.int32)
    same(a & a, [[1, -8, 1], [32, 1, 6]], np.int32)  # was a logical and: bools
    same(a | 3, [[3, -5, 3], [35, 3, 7]], np.int32)
    same(3 | a, [[3, -5, 3], [35, 3, 7]], np.int32)  # reflected
    same(3 & a, [[1, 0, 1], [0, 1, 2]], np.int32)
    same(a ^ 5, [[4, -3, 4], [37, 4, 3]], np.int32)
    same(5 ^ a, [[4, -3, 4], [37, 4, 3]], np.int32)
    same(~a, [[-2, 7, -2], [-33, -2, -7]], np.int32)
    same(a.bitwise_and(3), [[1, 0, 1], [0, 1, 2]], np.int32)
    same(a.bitwise_not(), [[-2, 7, -2], [-33, -2, -7]], np.int32)
    same(np.bitwise_xor(a, 5), [[4, -3, 4], [37, 4, 3]], np.int32)  # NumPy's ufunc gives the Tensor op


def test_bitwise_dtypes_follow_pytorch():
    u = tg.Tensor([0, 5, 3], dtype=tg.uint8)
    b = tg.Tensor([True, False, True])
    i32 = tg.Tensor([1, -8, 1], dtype=tg.int32)
    same(~u, [255, 250, 252], np.uint8)
    same(~b, [False, True, False], np.bool_)  # logical not
    same(b & b, [True, False, True], np.bool_)
    same(b ^ tg.Tensor([True, True, False]), [False, True, True], np.bool_)
    same(b & True, [True, False, True], np.bool_)
    same(b & 1, [1, 0, 1], np.int64)  # an int with a bool tensor: int64
    same(True & i32, [1, 0, 1], np.int32)
    same(b | i32, [1, -8, 1], np.int32)  # two tensors promote
    same(u & i32, [0, 0, 1], np.int32)
    same(tg.Tensor([3], dtype=tg.int8) & tg.Tensor([3], dtype=tg.uint8), [3], np.int16)
    same(i32 & tg.Tensor([1, 1, 1]), [1, 0, 1], np.int64)
    same(u & -1, [0, 5, 3], np.uint8)  # a Python int wraps into the tensor's dtype
    same(u & 300, [0, 4, 0], np.uint8)
    same(i32 & 2**40, [0, 0, 0], np.int32)


def test_shifts_saturate_past_the_width_as_in_pytorch():
    a = tg.Tensor([[1, -8, 1], [32, 1, 6]], dtype=tg.int32)
    same(a << 2, [[4, -32, 4], [128, 4, 24]], np.int32)
    same(a >> 1, [[0, -4, 0], [16, 0, 3]], np.int32)
    same(a << 40, np.zeros((2, 3)), np.int32)
    same(a << -1, np.zeros((2, 3)), np.int32)
    same(a >> 40, [[0, -1, 0], [0, 0, 0]], np.int32)  # the sign fills
    same(tg.Tensor([1], dtype=tg.int32) << 31, [-(2**31)], np.int32)
    same(tg.Tensor([-8, 8]) >> tg.Tensor([70, 2]), [-1, 2], np.int64)
    same(2 << tg.Tensor([1, 2], dtype=tg.int32), [4, 8], np.int32)
    same(tg.Tensor([True, False]) << 1, [2, 0], np.int64)
    same(tg.Tensor([1, 2], dtype=tg.uint8) << -1, [0, 0], np.uint8)
    same(tg.Tensor([1, 2], dtype=tg.uint8).bitwise_left_shift(3), [8, 16], np.uint8)


def test_bitwise_ops_refuse_floats_and_bool_shifts():
    f, b = tg.Tensor([1.0, 2.0]), tg.Tensor([True])
    for bad in (lambda: f & f, lambda: f & 1, lambda: 1 | f, lambda: ~f, lambda: f << 1,
                lambda: tg.Tensor([1]) & 1.5, lambda: b << b, lambda: b >> True):
        with pytest.raises(TypeError, match="integer|bool"):
            bad()
    with pytest.raises(tg.ArgumentError, match="broadcast"):
        tg.Tensor([1, 2]) & tg.Tensor([1, 2, 3])


# ======================================================== min, max and their family on integers, bools, NaN
def test_min_of_unsigned_int_min_and_bool_is_computed_directly():
    u = tg.Tensor([0, 5, 3], dtype=tg.uint8)
    same(u.min(), 0, np.uint8)  # -max(-x) gave 3
    same(u.amin(), 0, np.uint8)
    same(tg.min(u), 0, np.uint8)
    same(tg.Tensor([0, -(2**31)], dtype=tg.int32).min(), -(2**31), np.int32)  # -max(-x) gave 0
    b = tg.Tensor([True, False, True])
    same(b.min(), False, np.bool_)
    same(b.max(), True, np.bool_)
    same(b.amin(0), False, np.bool_)
    values, indices = b.min(0)
    same(values, False, np.bool_)
    same(indices, 1, np.int64)
    values, indices = u.min(0)
    same(values, 0, np.uint8)
    same(indices, 0, np.int64)
    same(tg.Tensor([[3, 1], [0, 7]], dtype=tg.uint8).amin(1), [1, 0], np.uint8)


def test_minimum_is_computed_directly_with_pytorchs_dtypes_and_tie_rule():
    u = tg.Tensor([0, 5, 3], dtype=tg.uint8)
    same(tg.minimum(u, tg.Tensor([1, 1, 1], dtype=tg.uint8)), [0, 1, 1], np.uint8)
    same(u.min(tg.Tensor([1, 1, 1], dtype=tg.uint8)), [0, 1, 1], np.uint8)
    same(tg.minimum(u, tg.Tensor([1, 1, 1], dtype=tg.int32)), [0, 1, 1], np.int32)
    same(tg.minimum(tg.Tensor([0, -(2**31)], dtype=tg.int32), tg.Tensor([1.0, 1.0])), [0, -(2.0**31)], np.float32)
    same(tg.minimum(tg.Tensor([True, False, True]), tg.Tensor([False, False, True])), [False, False, True], np.bool_)
    same(tg.maximum(tg.Tensor([True, False, True]), tg.Tensor([False, False, True])), [True, False, True], np.bool_)
    a = tg.Tensor([1.0, 3.0, 2.0], requires_grad=True, dtype=tg.float64)
    b = tg.Tensor([2.0, 1.0, 2.0], requires_grad=True, dtype=tg.float64)
    tg.minimum(a, b).sum().backward()
    same(a.grad, [1, 0, 0.5], np.float64)  # ties share the gradient
    same(b.grad, [0, 1, 0.5], np.float64)
    assert gradcheck(lambda x, y: tg.minimum(x, y), [tg.Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True),
                                                     tg.Tensor(np.array([0.5, -2.0, 1.0]), requires_grad=True)])


def test_maximum_and_minimum_pass_the_gradient_to_both_sides_of_a_nan_as_pytorch():
    nan = np.nan
    for fn in (tg.maximum, tg.minimum):
        a = tg.Tensor([1.0, nan, 2.0, 2.0], requires_grad=True)
        b = tg.Tensor([nan, 2.0, 1.0, 2.0], requires_grad=True)
        out = fn(a, b)
        assert np.isnan(out.data[:2]).all()
        out.sum().backward()
        wins_a = [1, 0.5] if fn is tg.maximum else [0, 0.5]
        same(a.grad, [1, 1, *wins_a], np.float32)
        same(b.grad, [1, 1, 1 - wins_a[0], 0.5], np.float32)


def test_sort_and_topk_descending_on_unsigned_bool_and_nan():
    u = tg.Tensor([0, 5, 3], dtype=tg.uint8)
    values, indices = u.sort(descending=True)
    same(values, [5, 3, 0], np.uint8)
    same(indices, [1, 2, 0], np.int64)
    values, indices = u.topk(2)
    same(values, [5, 3], np.uint8)
    same(tg.Tensor([True, False, True]).argsort(descending=True), [0, 2, 1], np.int64)
    same(tg.Tensor([[2, 1, 2, 1, 3]]).argsort(descending=True), [[4, 0, 2, 1, 3]], np.int64)  # ties keep their order
    x = tg.Tensor([1.0, np.nan, 3.0])
    values, indices = x.sort(descending=True)  # NaN counts as the largest, as in PyTorch
    same(values, [np.nan, 3, 1], np.float32)
    same(indices, [1, 2, 0], np.int64)
    values, indices = x.sort()
    same(values, [1, 3, np.nan], np.float32)
    same(x.topk(1).values, [np.nan], np.float32)
    same(x.topk(1, largest=False).values, [1.0], np.float32)


def test_nan_wins_in_max_min_argmax_argmin():
    x = tg.Tensor([1.0, np.nan, 3.0, np.nan])
    for reduce in (x.max, x.min, x.amax, x.amin):
        assert np.isnan(reduce().item())
    same(x.argmax(), 1, np.int64)
    same(x.argmin(), 1, np.int64)
    values, indices = x.max(0)
    assert np.isnan(values.item()) and indices.item() == 1
    same(tg.Tensor([[1.0, np.nan], [2.0, 3.0]]).amax(1), [np.nan, 3.0], np.float32)
    same(tg.maximum(tg.Tensor([1.0, np.nan]), tg.Tensor([np.nan, 2.0])), [np.nan, np.nan], np.float32)


def test_clip_on_integers_and_bools_follows_pytorchs_dtypes():
    same(tg.Tensor([1, 5, 9]).clip(2, 7), [2, 5, 7], np.int64)
    same(tg.Tensor([1, 5, 9], dtype=tg.int32).clamp(2, 7), [2, 5, 7], np.int32)
    same(tg.Tensor([1, 5, 9]).clip(2.5, 7.5), [2.5, 5, 7.5], np.float32)  # a float bound: the default float
    same(tg.Tensor([True, False, True]).clamp(0, 1), [1, 0, 1], np.int64)
    with pytest.raises(tg.ArgumentError, match="overflow"):
        tg.Tensor([0, 5, 3], dtype=tg.uint8).clip(1, 300)
    with pytest.raises(RuntimeError, match="at least one"):
        tg.Tensor([1.0]).clip()


def test_clip_with_tensor_bounds_gives_them_their_gradient():
    x = tg.Tensor([1.0, 5.0, 9.0], requires_grad=True)
    low = tg.Tensor([2.0, 6.0, 2.0], requires_grad=True)
    y = x.clip(low, 7.0)
    same(y, [2, 6, 7], np.float32)
    y.sum().backward()
    same(x.grad, [0, 0, 0], np.float32)
    same(low.grad, [1, 1, 0], np.float32)
    same(tg.Tensor([1.0, 5.0]).clip(max=tg.Tensor([0.0, 9.0])), [0, 5], np.float32)


def test_abs_and_neg_of_integers_wrap_as_in_pytorch():
    same(tg.Tensor([0, -(2**31)], dtype=tg.int32).abs(), [0, -(2**31)], np.int32)
    same(-tg.Tensor([0, 5, 3], dtype=tg.uint8), [0, 251, 253], np.uint8)
    same(tg.Tensor([0, 5, 3], dtype=tg.uint8).sign(), [0, 1, 1], np.uint8)
    same(tg.Tensor([True, False]).sign(), [True, False], np.bool_)  # (NumPy has no sign of bools)


# ============================================================================ pow at zero
def _pow_grads(f, *values):
    xs = [tg.Tensor(np.float64(v), requires_grad=True) for v in values]
    with np.errstate(all="ignore"):
        return [g.item() for g in tg.grad(f(*xs), xs)]


# (x, y) -> (dx, dy) of x ** y, read from PyTorch 2.13 (pow_backward_self / pow_backward_exponent)
POW_GRADS = {(0.0, 0.0): (0.0, 0.0), (0.0, 1.0): (1.0, 0.0), (0.0, 2.0): (0.0, 0.0), (0.0, 0.5): (np.inf, 0.0),
             (0.0, -1.0): (-np.inf, -np.inf), (0.0, 3.0): (0.0, 0.0), (2.0, 0.0): (0.0, np.log(2.0)),
             (-2.0, 2.0): (-4.0, np.nan)}


@pytest.mark.parametrize("point", POW_GRADS)
def test_pow_gradients_at_zero_match_pytorch(point):
    np.testing.assert_allclose(_pow_grads(lambda x, y: x**y, *point), POW_GRADS[point], rtol=1e-15)


def test_pow_with_a_constant_exponent_or_base_at_zero():
    # x ** c: (c, x) -> d/dx; c ** x: (c, x) -> d/dx (PyTorch's values)
    for c, x, expected in [(0, 0.0, 0.0), (0.0, -1.0, 0.0), (1, 0.0, 1.0), (2, 0.0, 0.0), (0.5, 0.0, np.inf),
                           (-1, 0.0, -np.inf), (1.5, 0.0, 0.0), (3, -1.0, 3.0)]:
        assert _pow_grads(lambda t, c=c: t**c, x) == [expected], (c, x)
    for c, x, expected in [(0, 0.0, 0.0), (0.0, 1.0, 0.0), (0, 0.5, 0.0), (0, -1.0, -np.inf), (1, 0.0, 0.0),
                           (2, 0.0, np.log(2.0))]:
        assert _pow_grads(lambda t, c=c: c**t, x) == [expected], (c, x)


def test_pow_second_order_at_zero():
    # x ** 0 is the constant 1: its gradient is a constant zero (no nan from 0 * inf under create_graph)
    x = tg.Tensor(np.float64(0.0), requires_grad=True)
    (g,) = tg.grad(x**0, [x], create_graph=True)
    assert g.item() == 0 and not g.requires_grad
    # x ** 2 and x ** 3 at 0: 2 and 0; 0 ** y for y >= 0 is flat in y, so its second derivative is 0
    # (PyTorch gives nan there, from 0 * inf in a masked branch)
    for f, expected in [(lambda t: t**2, 2.0), (lambda t: t**3, 0.0), (lambda t: 0.0**t, 0.0)]:
        t = tg.Tensor(np.float64(0.0), requires_grad=True)
        with np.errstate(all="ignore"):
            (g,) = tg.grad(f(t), [t], create_graph=True)
            assert tg.grad(g, [t])[0].item() == expected
    # the Hessian of x ** y where the exponent is 0 and the base is not: symmetric, d2/dxdy = 1/x
    # (PyTorch's masking of the x-rule at y = 0 gives 0 one way and 1/x the other)
    xy = [tg.Tensor(np.float64(2.0), requires_grad=True), tg.Tensor(np.float64(0.0), requires_grad=True)]
    dx, dy = tg.grad(xy[0] ** xy[1], xy, create_graph=True)
    assert tg.grad(dx, xy)[1].item() == tg.grad(dy, xy)[0].item() == 0.5
    assert gradgradcheck(lambda a, b: a**b, xy)


def test_integers_to_negative_integer_powers_are_refused():
    same(tg.Tensor([1, 2, 3]) ** 2, [1, 4, 9], np.int64)
    same(2 ** tg.Tensor([1, 2, 3]), [2, 4, 8], np.int64)
    same(tg.Tensor([1, 4]) ** 0.5, [1, 2], np.float32)
    same(2.0 ** tg.Tensor([1, 2]), [2, 4], np.float32)
    with pytest.raises(RuntimeError, match="negative integer powers"):
        tg.Tensor([1, 2]) ** -1


# ============================================================================ indexing: integers next to index arrays
# (index, the same selection written in two NumPy steps, PyTorch's result shape) on a (2, 3, 4, 5) tensor.
# PyTorch selects at the integers first; NumPy would count them as index arrays and, where they are
# separated from the others, move the indexed dimensions to the front.
INDEXES = [
    ((0, slice(None), [0, 1]), lambda a: a[0][:, [0, 1]], (3, 2, 5)),  # NumPy: (2, 3, 5)
    ((slice(None), 0, slice(None), [0, 1]), lambda a: a[:, 0][:, :, [0, 1]], (2, 4, 2)),  # NumPy: (2, 2, 4)
    ((0, slice(None), slice(None), [[0], [1]]), lambda a: a[0][:, :, [[0], [1]]], (3, 4, 2, 1)),
    ((0, Ellipsis, [0, 1]), lambda a: a[0][..., [0, 1]], (3, 4, 2)),
    ((None, 0, slice(None), [0, 1]), lambda a: a[0][None, :, [0, 1]], (1, 3, 2, 5)),
    ((0, slice(None), None, [0, 1]), lambda a: a[0][:, None, [0, 1]], (3, 1, 2, 5)),
    ((0, slice(None), [0, 1], 0), lambda a: a[0, :, :, 0][:, [0, 1]], (3, 2)),
    ((0, 0, slice(None), [0, 1]), lambda a: a[0, 0][:, [0, 1]], (4, 2)),
    ((0, slice(None), [True, False, True, False]), lambda a: a[0][:, [0, 2]], (3, 2, 5)),
    (([0], slice(None), 0, [0, 1]), lambda a: a[:, :, 0][[0], :, [0, 1]], (2, 3)),  # still separated: first
    (([0, 1], 0, [0, 1]), lambda a: a[:, 0][[0, 1], [0, 1]], (2, 5)),
    ((1, [[0, 1], [2, 0]], slice(1, 3), [[1, 1], [0, 0]]), lambda a: a[1][[[0, 1], [2, 0]], 1:3, [[1, 1], [0, 0]]],
     (2, 2, 2)),
    ((tg.tensor(0), slice(None), [0, 1]), lambda a: a[0][:, [0, 1]], (3, 2, 5)),  # a 0-d tensor is an integer
]


@pytest.mark.parametrize("index, reference, shape", INDEXES)
def test_integers_next_to_index_arrays_select_first_as_in_pytorch(index, reference, shape):
    data = np.arange(120.0).reshape(2, 3, 4, 5)
    index = tuple(tg.tensor(i) if isinstance(i, list) else i for i in index)
    t = tg.Tensor(data, requires_grad=True)
    out = t[index]
    assert out.shape == reference(data).shape == shape
    np.testing.assert_array_equal(out.data, reference(data))
    # gradient: each element gets the weights of the places it was read into
    picked = reference(np.arange(data.size).reshape(data.shape)).ravel()
    weights = np.arange(1.0, out.data.size + 1).reshape(shape)
    (out * tg.Tensor(weights)).sum().backward()
    np.testing.assert_array_equal(t.grad.data.ravel(), np.bincount(picked, weights.ravel(), minlength=data.size))
    target = tg.Tensor(data.copy())  # assignment through the same index
    target[index] = tg.Tensor(-weights)
    expected = data.copy().ravel()
    expected[picked] = -weights.ravel()
    np.testing.assert_array_equal(target.data.ravel(), expected)


# ============================================================================ shapes of 0-d and all-axes reductions
def test_cumsum_of_a_0d_tensor_is_0d():
    x = tg.Tensor(np.float64(1.5), requires_grad=True)
    y = x.cumsum(0)
    assert y.shape == () and y.item() == 1.5 and x.cumsum(-1).shape == ()
    y.backward()
    assert x.grad.item() == 1.0
    with pytest.raises(IndexError):
        x.cumsum(1)
    same(tg.Tensor(3).cumsum(0), 3, np.int64)


def test_cumsum_sum_and_prod_of_integers_and_bools_are_int64():
    u = tg.Tensor([200, 100, 3], dtype=tg.uint8)
    same(u.cumsum(0), [200, 300, 303], np.int64)  # NumPy would give uint64
    same(u.sum(), 303, np.int64)
    same(tg.Tensor([True, False, True]).cumsum(0), [1, 1, 2], np.int64)
    same(tg.Tensor([True, True]).sum(), 2, np.int64)
    same(tg.Tensor([2**31 - 1, 1], dtype=tg.int32).sum(), 2**31, np.int64)
    same(u.prod(), 60000, np.int64)


def test_sum_and_prod_take_a_dtype_as_pytorch():
    same(tg.Tensor([1, 2]).sum(dtype=tg.int32), 3, np.int32)
    same(tg.Tensor([1, 2]).prod(dtype=tg.float32), 2, np.float32)
    same(tg.sum(tg.Tensor([True, True]), dtype=tg.float64), 2, np.float64)
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = x.sum(dtype=tg.float64)
    assert y.dtype == tg.float64
    y.backward()
    same(x.grad, [1, 1], np.float32)  # the gradient comes back in the input's dtype
    x = tg.Tensor([1.5, 2.0], requires_grad=True)
    x.prod(dtype=tg.float64).backward()
    same(x.grad, [2, 1.5], np.float32)


def test_logsumexp_with_dim_none_reduces_everything_like_axis_none():
    data = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = tg.Tensor(data)
    everything = np.log(np.exp(data).sum())
    for out in (t.logsumexp(dim=None), t.logsumexp(axis=None), tg.logsumexp(t, dim=None)):
        assert out.shape == () and np.isclose(out.item(), everything)
    np.testing.assert_allclose(t.logsumexp(dim=0).data, np.log(np.exp(data).sum(0)))
    np.testing.assert_allclose(t.logsumexp().data, np.log(np.exp(data).sum(-1)))  # no dim: the last one
    assert t.logsumexp(dim=None, keepdim=True).shape == (1, 1)


# ============================================================================ float ops on integer tensors
def test_float_functions_of_integers_give_the_default_float():
    for data in ([1, 2, 3], np.array([1, 2, 3], np.int32), np.array([1, 2, 3], np.uint8), [True, False, True]):
        t = tg.tensor(data)
        values = np.asarray(data, dtype=np.float64)
        for name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "erf", "expm1", "log1p", "rsqrt",
                     "reciprocal"):
            with np.errstate(divide="ignore"):
                out = getattr(t, name)()
            assert out.dtype == tg.float32, (data, name, out.dtype)
        np.testing.assert_allclose(t.erf().data, [math.erf(v) for v in values], rtol=1e-6)  # was int64 zeros
        with np.errstate(invalid="ignore"):  # (False / False)
            assert (t / 2).dtype == (t / t).dtype == (t * 0.5).dtype == (t**0.5).dtype == tg.float32
        assert t.logsumexp(0).dtype == tg.float32
        for name in ("tanh", "sigmoid", "softsign"):
            assert getattr(F, name)(t).dtype == tg.float32


def test_float_functions_of_integers_follow_the_default_dtype(default_float64):
    t = tg.Tensor([1, 2])
    assert t.exp().dtype == t.sigmoid().dtype == (t / 2).dtype == t.logsumexp(0).dtype == tg.float64


def test_float_reductions_refuse_integers_as_pytorch_but_take_dtype():
    t = tg.Tensor([1, 2, 3])
    for name in ("mean", "var", "std", "norm"):
        with pytest.raises(TypeError, match=r"\.float\(\)"):
            getattr(t, name)()
    for name in ("softmax", "log_softmax"):
        with pytest.raises(TypeError, match=r"\.float\(\)"):
            getattr(t, name)(0)
    for name in ("gelu", "silu", "elu", "softplus", "leaky_relu", "mish", "hardswish"):
        with pytest.raises(TypeError):
            getattr(F, name)(t)
    with pytest.raises(TypeError):
        F.mse_loss(t, t)
    same(t.mean(dtype=tg.float32), 2, np.float32)
    soft = t.softmax(0, dtype=tg.float64)
    assert soft.dtype == tg.float64
    np.testing.assert_allclose(soft.data, np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-15)
    same(F.relu(t), [1, 2, 3], np.int64)  # PyTorch keeps these integral
    same(F.mse_loss(tg.Tensor([1.0, 2.0]), tg.Tensor([1, 4])), 2, np.float32)  # an integer target is cast
    with pytest.raises(TypeError, match="bool"):
        tg.Tensor([True]).round()  # (NumPy would give float16)


# ============================================================================ NaN and inf propagate
@pytest.mark.parametrize("p", [2, 1, 3, 0.5, np.inf, -np.inf, "fro"])
def test_norm_propagates_nan_and_inf(p):
    assert np.isnan(tg.Tensor([np.nan, 1.0]).norm(p=p).item())  # was 0.0 for p = 2
    assert tg.Tensor([np.inf, 1.0]).norm(p=p).item() == (1.0 if p == -np.inf else np.inf)
    assert tg.Tensor([-np.inf, 1.0]).norm(p=p).item() == (1.0 if p == -np.inf else np.inf)


def test_norm_gradients_at_nan_and_inf_match_pytorch():
    with np.errstate(invalid="ignore"):
        x = tg.Tensor([1.0, np.nan, 3.0], requires_grad=True)
        x.norm().backward()
        assert np.isnan(x.grad.data).all()
        x = tg.Tensor([1.0, np.inf, 3.0], requires_grad=True)
        x.norm().backward()
    same(x.grad, [0, np.nan, 0], np.float32)


def test_normalize_and_cosine_similarity_propagate_nan_and_inf():
    with np.errstate(invalid="ignore"):
        same(F.normalize(tg.Tensor([np.nan, 3.0, 4.0]), dim=0), [np.nan] * 3, np.float32)  # was [nan, 3e12, 4e12]
        same(F.normalize(tg.Tensor([np.inf, 3.0, 4.0]), dim=0), [np.nan, 0, 0], np.float32)
        for bad in (np.nan, np.inf):
            out = F.cosine_similarity(tg.Tensor([[bad, 3.0, 4.0]]), tg.Tensor([[1.0, 3.0, 4.0]]))
            assert out.shape == (1,) and np.isnan(out.item())
    same(F.normalize(tg.Tensor([0.0, 0.0]), dim=0), [0, 0], np.float32)  # zero rows stay zero


def test_clip_grad_norm_reports_a_nonfinite_total_as_pytorch():
    p = tg.Tensor([1.0, 2.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        p.grad = tg.Tensor([np.nan, 1.0])
        assert np.isnan(nn.utils.clip_grad_norm_([p], 1.0).item())
        assert np.isnan(p.grad.data).all()
        p.grad = tg.Tensor([np.inf, 1.0])
        assert nn.utils.clip_grad_norm_([p], 1.0).item() == np.inf
    same(p.grad, [np.nan, 0], np.float32)
    p.grad = tg.Tensor([np.nan, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


# ============================================================================ float16 accumulates in float32
def test_float16_reductions_accumulate_in_float32_and_return_float16():
    h = tg.Tensor(np.ones(100_000, np.float16))
    expected = {"mean": 1.0, "var": 0.0, "std": 0.0, "norm": np.sqrt(100_000)}
    for name, value in expected.items():
        out = getattr(h, name)()
        assert out.dtype == tg.float16 and out.item() == np.float16(value), name  # mean was inf
    assert h.sum().dtype == tg.float16 and h.sum().item() == np.inf  # 100 000 is beyond float16, as in PyTorch
    assert h[:60_000].sum().item() == 60_000  # one rounding at the end, not 60 000 (float16 stops at 2048)
    assert h[:3000].cumsum(0)[-1].item() == 3000
    soft = h.softmax(0)
    assert soft.dtype == tg.float16 and soft[0].item() == np.float16(1e-5)
    assert h.log_softmax(0)[0].item() == np.float16(-np.log(100_000))  # PyTorch's CPU kernel gives -inf here
    assert h.logsumexp(0).item() == np.float16(1 + np.log(100_000))
    x = tg.Tensor(np.full(70_000, 2.0, np.float16), requires_grad=True)
    m = x.mean()
    m.backward()
    assert m.item() == 2 and x.grad.dtype == tg.float16 and x.grad[0].item() == np.float16(1 / 70_000)


def test_float16_losses_and_normalisations_are_computed_in_float32():
    rng = np.random.default_rng(0)
    logits, target = rng.standard_normal((3000, 10)), rng.integers(0, 10, 3000)
    x = tg.Tensor(logits.astype(np.float16), requires_grad=True)
    loss = F.cross_entropy(x, tg.Tensor(target))
    reference = F.cross_entropy(tg.Tensor(logits.astype(np.float16).astype(np.float64)), tg.Tensor(target))
    assert loss.dtype == tg.float16 and loss.item() == np.float16(reference.item())
    loss.backward()
    assert x.grad.dtype == tg.float16
    big = tg.Tensor(np.full(10_000, 30.0, np.float16))  # the sum of the squares, 9e6, is beyond float16
    assert F.mse_loss(big, big * 0).item() == 900.0
    for out in (F.layer_norm(x, (10,)), F.normalize(x), F.cosine_similarity(x, x), F.l1_loss(x, x * 0),
                F.smooth_l1_loss(x, x * 0), F.huber_loss(x, x * 0), F.nll_loss(x.log_softmax(1), tg.Tensor(target))):
        assert out.dtype == tg.float16
    np.testing.assert_allclose(F.layer_norm(x, (10,)).data.astype(np.float64),
                               F.layer_norm(tg.Tensor(x.data.astype(np.float64)), (10,)).data, atol=4e-3)


# ============================================================================ index values out of range
def test_gather_refuses_negative_and_out_of_range_indices():
    t = tg.Tensor([[1.0, 2.0], [3.0, 4.0]])
    huge = [np.array([[2**64 - 1], [0]], np.uint64), np.array([[2**63], [0]], np.uint64)]
    for index in ([[-1], [0]], [[2], [0]], *huge):
        with pytest.raises(IndexError, match="out of bounds for dimension 1 with size 2"):
            t.gather(1, index)  # -1 was read from the end; 2**64 - 1 must not wrap to -1
    with pytest.raises(TypeError, match="integers"):
        t.gather(1, [[1.0], [0.0]])
    with pytest.raises(RuntimeError, match="does not fit"):
        t.gather(1, [[1], [0], [0]])
    same(t.gather(1, np.array([[1], [0]], np.int32)), [[2], [3]], np.float32)
    same(t.gather(1, [[1, 0, 1], [0, 0, 0]]), [[2, 1, 2], [3, 3, 3]], np.float32)
    same(t.gather(0, [[1, 0]]), [[3, 2]], np.float32)


def test_embedding_one_hot_and_class_targets_refuse_wrapping_indices():
    huge = np.array([2**64 - 1], np.uint64)  # -1 after a cast to int64
    for index in ([-1], [3], huge):
        with pytest.raises(IndexError):
            F.embedding(tg.Tensor(np.asarray(index)), tg.ones(3, 2))
    for index in ([-1], huge):
        with pytest.raises(IndexError):
            F.one_hot(tg.Tensor(np.asarray(index)), 3)
    for target in ([-1, 0], np.array([2**64 - 1, 0], np.uint64), np.array([2**64 - 100, 0], np.uint64), [1, 3]):
        for loss in (F.cross_entropy, F.nll_loss):
            with pytest.raises(IndexError, match="out of range"):
                loss(tg.zeros(2, 3), tg.Tensor(np.asarray(target)))  # only -100 itself is ignore_index
    assert np.isclose(F.cross_entropy(tg.zeros(2, 3), tg.Tensor([-100, 0])).item(), np.log(3))


# ============================================================================ the error class for bad input
def _bad_inputs():
    x, m = tg.ones(2, 3), tg.ones(2, 2)
    return {
        "permute repeated": lambda: x.permute(0, 0),
        "flip repeated": lambda: x.flip(1, 1),
        "sum repeated": lambda: x.sum((0, 0)),
        "reshape": lambda: x.reshape(4),
        "reshape -1": lambda: x.reshape(-1, 4),
        "expand": lambda: x.expand(3, 3),
        "matmul": lambda: x @ x,
        "matmul 0-d": lambda: tg.matmul(tg.tensor(1.0), x),
        "batched matmul": lambda: tg.ones(2, 2, 3) @ tg.ones(3, 3, 2),
        "bmm": lambda: tg.ones(2, 3).bmm(tg.ones(3, 2)),
        "broadcast": lambda: x + m,
        "where broadcast": lambda: tg.where(tg.ones(2, 3) > 0, x, m),
        "cat": lambda: tg.cat([x, m], 0),
        "cat empty": lambda: tg.cat([]),
        "stack": lambda: tg.stack([x, m]),
        "split sizes": lambda: x.split([1, 1], 1),
        "repeat": lambda: x.repeat(2),
        "item": lambda: x.item(),
        "topk": lambda: x.topk(4),
        "einsum": lambda: tg.einsum("ij,jk->ik", x, x),
        "t()": lambda: tg.ones(2, 2, 2).t(),
        "pad": lambda: tg.pad(x, (1,)),
        "zeros negative": lambda: tg.zeros(-1),
        "arange step": lambda: tg.arange(0, 3, 0),
        "linear": lambda: F.linear(x, tg.ones(4, 2)),
        "conv channels": lambda: F.conv2d(tg.ones(1, 2, 4, 4), tg.ones(1, 3, 2, 2)),
        "conv kernel too big": lambda: F.conv2d(tg.ones(1, 1, 2, 2), tg.ones(1, 1, 3, 3)),
        "conv dims": lambda: F.conv2d(tg.ones(4, 4), tg.ones(1, 1, 2, 2)),
        "pool padding": lambda: F.max_pool2d(tg.ones(1, 1, 4, 4), 2, padding=2),
        "layer_norm": lambda: F.layer_norm(x, (2,)),
        "batch_norm stats": lambda: F.batch_norm(x, tg.zeros(2), tg.ones(3)),
        "glu odd": lambda: F.glu(x),
        "bce range": lambda: F.binary_cross_entropy(x * 2, x),
        "unfold": lambda: F.unfold(tg.ones(1, 1, 2, 2), 3),
        "pixel_shuffle": lambda: F.pixel_shuffle(tg.ones(1, 3, 2, 2), 2),
        "attention": lambda: F.scaled_dot_product_attention(tg.ones(2, 3), tg.ones(2, 4), tg.ones(2, 4)),
        "device": lambda: tg.ones(2, device="cuda"),
        "to device": lambda: x.to("cuda"),
        "gather shape": lambda: x.gather(1, [[0], [0], [0]]),
        "clip no bound": lambda: x.clip(),
        "integer power": lambda: tg.tensor([2]) ** -1,
    }


@pytest.mark.parametrize("case", list(_bad_inputs()))
def test_bad_input_raises_one_class_that_is_both_valueerror_and_runtimeerror(case):
    with pytest.raises(tg.ArgumentError) as info:
        _bad_inputs()[case]()
    assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)


def test_argument_error_is_exported_and_caught_both_ways():
    assert tg.ArgumentError is tg.errors.ArgumentError and issubclass(tg.ArgumentError, (ValueError, RuntimeError))
    for catch in (ValueError, RuntimeError):
        with pytest.raises(catch):
            tg.ones(2).reshape(3)


# ============================================================================ devices, as_tensor, Size
def test_every_factory_and_to_accept_the_cpu_and_refuse_other_devices():
    x = tg.ones(2)
    factories = {
        "zeros": lambda d: tg.zeros(2, device=d), "ones": lambda d: tg.ones(2, 3, device=d),
        "empty": lambda d: tg.empty(2, device=d), "full": lambda d: tg.full((2,), 1.0, device=d),
        "arange": lambda d: tg.arange(3, device=d), "linspace": lambda d: tg.linspace(0, 1, 3, device=d),
        "eye": lambda d: tg.eye(2, device=d), "rand": lambda d: tg.rand(2, device=d),
        "randn": lambda d: tg.randn(2, device=d), "randint": lambda d: tg.randint(0, 3, (2,), device=d),
        "zeros_like": lambda d: tg.zeros_like(x, device=d), "ones_like": lambda d: tg.ones_like(x, device=d),
        "full_like": lambda d: tg.full_like(x, 2.0, device=d), "rand_like": lambda d: tg.rand_like(x, device=d),
        "randn_like": lambda d: tg.randn_like(x, device=d), "tensor": lambda d: tg.tensor([1.0], device=d),
        "as_tensor": lambda d: tg.as_tensor([1.0], device=d), "new_zeros": lambda d: x.new_zeros(2, device=d),
        "new_ones": lambda d: x.new_ones(2, device=d), "new_full": lambda d: x.new_full((2,), 3.0, device=d),
        "new_tensor": lambda d: x.new_tensor([1.0], device=d), "to": lambda d: x.to(d),
        "to(device=)": lambda d: x.to(device=d, dtype=tg.float64),
    }

    class TorchStyleDevice:  # what torch.device("cpu") looks like
        type = "cpu"

    for name, make in factories.items():
        for ok in (None, "cpu", "cpu:0", tg.device("cpu"), TorchStyleDevice()):
            assert isinstance(make(ok), tg.Tensor), (name, ok)
        for bad in ("cuda", "cuda:0", "mps", tg.device("cuda", 0)):
            with pytest.raises(tg.ArgumentError, match="CPU only"):
                make(bad)


def test_device_objects_compare_as_in_pytorch():
    x = tg.ones(2)
    assert x.device == "cpu" and x.device == tg.device("cpu") and x.device.type == "cpu"
    assert str(tg.device("cuda", 1)) == "cuda:1" and tg.device("cuda:1").index == 1
    assert x.to(x.device) is x and tg.zeros(2, device=x.device).device == "cpu"
    assert not tg.cuda.is_available() and tg.cuda.device_count() == 0


def test_as_tensor_shares_memory_when_it_can():
    a = np.arange(3.0)
    t = tg.as_tensor(a)
    a[0] = 9.0
    assert t.dtype == tg.float64 and t.data[0] == 9.0  # no copy, dtype kept (as torch.as_tensor)
    assert tg.as_tensor(t) is t and tg.as_tensor(t, dtype=tg.float64) is t
    assert tg.as_tensor(t, dtype=tg.float32).dtype == tg.float32
    assert tg.as_tensor(a, dtype=tg.float32).dtype == tg.float32
    assert tg.as_tensor([1, 2]).dtype == tg.int64 and tg.as_tensor([1.5]).dtype == tg.float32
    with pytest.raises(TypeError):
        tg.as_tensor(["a"])


def test_size_is_a_tuple_with_numel():
    t = tg.zeros(2, 3)
    size = t.size()
    assert isinstance(size, tg.Size) and isinstance(size, tuple) and size == (2, 3) and size.numel() == 6
    assert t.size(1) == 3 and t.size(-1) == 3 and repr(size) == "Size([2, 3])"
    assert tg.zeros(size).shape == (2, 3) and t.reshape(size).shape == (2, 3)


def test_randint_takes_pytorchs_forms():
    assert tg.randint(10, (3,)).shape == (3,) and tg.randint(10, size=(2, 2)).shape == (2, 2)
    values = tg.randint(2, 5, (1000,)).data
    assert values.dtype == np.int64 and values.min() == 2 and values.max() == 4
    with pytest.raises(tg.ArgumentError):
        tg.randint(5, 2, (2,))


# ====================================================================== div(rounding_mode=), var_mean, negative pad
def test_div_rounding_modes_as_pytorch():
    a, b = tg.tensor([5, -5, 7, -7]), tg.tensor([2, 2, -2, -2])
    same(tg.div(a, b, rounding_mode="trunc"), [2, -2, -3, 3], np.int64)
    same(a.div(b, rounding_mode="floor"), [2, -3, -4, 3], np.int64)
    same(tg.div(a, 2, rounding_mode="trunc"), [2, -2, 3, -3], np.int64)
    same(tg.div(a.int(), b.int(), rounding_mode="trunc"), [2, -2, -3, 3], np.int32)
    same(tg.div(a.float(), b, rounding_mode="trunc"), [2, -2, -3, 3], np.float32)
    same(tg.div(a.float(), 2.5, rounding_mode="floor"), [2, -2, 2, -3], np.float32)
    same(tg.div(tg.tensor([5, 251], dtype=tg.uint8), 2, rounding_mode="floor"), [2, 125], np.uint8)
    same(a.div(b), [2.5, -2.5, -3.5, 3.5], np.float32)
    with np.errstate(divide="ignore"):
        same(tg.div(a.float(), 0.0, rounding_mode="trunc"), [np.inf, -np.inf, np.inf, -np.inf], np.float32)
    x = tg.tensor([5.0, -5.0], requires_grad=True)
    x.div(2.0, rounding_mode="trunc").sum().backward()
    same(x.grad, [0, 0], np.float32)  # piecewise constant
    with pytest.raises(tg.ArgumentError, match="rounding_mode"):
        tg.div(a, b, rounding_mode="round")


def test_integer_division_by_zero_raises_as_pytorch():
    a = tg.tensor([5, -5])
    for bad in (lambda: a // 0, lambda: a % 0, lambda: tg.div(a, tg.tensor([1, 0]), rounding_mode="trunc"),
                lambda: 7 // tg.tensor([0, 1])):
        with pytest.raises(RuntimeError, match="division by zero"):
            bad()
    with np.errstate(divide="ignore"):
        same(tg.tensor([5.0]) // 0, [np.inf], np.float32)


def test_var_mean_and_std_mean():
    y = tg.tensor(np.arange(6.0).reshape(2, 3))
    var, mean = tg.var_mean(y)
    assert (var.item(), mean.item()) == (3.5, 2.5)
    std, mean = tg.std_mean(y, dim=1)
    same(std, [1, 1], np.float64)
    same(mean, [1, 4], np.float64)
    var, mean = tg.var_mean(y, 0, correction=0, keepdim=True)
    same(var, [[2.25, 2.25, 2.25]], np.float64)
    assert mean.shape == (1, 3)
    assert np.isclose(tg.std_mean(y, unbiased=False)[0].item(), np.std(np.arange(6.0)))
    x = tg.tensor(np.array([1.0, 2.0, 4.0]), requires_grad=True)
    assert gradcheck(lambda t: tg.std_mean(t)[0] * tg.std_mean(t)[1], [x])


def test_negative_padding_crops_as_pytorch():
    x = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = F.pad(x, (-1, 1))
    same(out, [[1, 2, 0], [4, 5, 0]], np.float64)
    same(F.pad(x, (1, -2, -1, 0)), [[0, 3]], np.float64)
    assert F.pad(x, (-1, -2)).shape == (2, 0) and tg.pad(x, ((0, 0), (-1, 0))).shape == (2, 2)
    same(F.pad(x, (-1, 1), mode="reflect"), [[1, 2, 1], [4, 5, 4]], np.float64)
    same(F.pad(x, (-1, 1), mode="replicate"), [[1, 2, 2], [4, 5, 5]], np.float64)
    same(F.pad(x, (-1, 1), mode="circular"), [[1, 2, 1], [4, 5, 4]], np.float64)
    (out * tg.tensor(np.arange(1.0, 7.0).reshape(2, 3))).sum().backward()
    same(x.grad, [[0, 1, 2], [0, 4, 5]], np.float64)  # the cropped column gets no gradient
    assert gradcheck(lambda t: F.pad(t, (-1, 2, 1, -1)), [x])
    with pytest.raises(tg.ArgumentError, match="crops more"):
        F.pad(x, (-2, -2))


# ---------------------------------------------------------------- found by the op database (tests/test_opinfo.py)
@pytest.mark.parametrize("dims, zero_d, expected", [
    ("float16", "float32", "float16"), ("uint8", "int64", "uint8"), ("int8", "uint8", "int8"),
    ("int32", "float64", "float64"), ("bool", "int64", "int64"), ("float32", "int64", "float32")])
def test_a_0d_tensor_does_not_upcast_a_tensor_with_dimensions_of_its_category(dims, zero_d, expected):
    x, s = tg.Tensor(np.ones(3, dims)), tg.Tensor(np.array(1, zero_d))
    for out in (x + s, s * x, tg.where(tg.Tensor([True, False, True]), x, s)):
        assert out.dtype == np.dtype(expected) and out.shape == (3,)
    if "float" not in dims + zero_d:
        assert (x & s).dtype == np.dtype(expected)
    two_0d = tg.Tensor(np.array(1, "float16")) + tg.Tensor(np.array(1, "float32"))
    assert two_0d.dtype == np.float32  # two 0-d tensors (or two with dimensions) promote as usual


def test_in_place_integer_updates_wrap_as_pytorch_and_refuse_a_lower_category():
    t = tg.Tensor(np.array([250, 3], np.uint8))
    t.add_(tg.Tensor(np.array([300, 1])))  # int64 into uint8: PyTorch wraps
    same(t, [38, 4], np.uint8)
    with pytest.raises(RuntimeError, match="add_"):
        t.add_(tg.Tensor(np.array(1.5)))  # float into an integer tensor: PyTorch refuses
    with pytest.raises(TypeError):
        t.add_(tg.Tensor(np.array(1.5)))


def test_log_softmax_subtracts_the_maximum_first_and_propagates_inf_rows_as_nan():
    x = tg.Tensor(np.array([[1000.0, 1000.5, 999.0]], np.float32))
    expected = np.array([1000.0, 1000.5, 999.0]) - 1000.5 - np.log(np.exp([-0.5, 0.0, -1.5]).sum())
    np.testing.assert_allclose(x.log_softmax(1).data[0], expected, rtol=1e-6)
    inf = np.inf
    rows = tg.Tensor([[1.0, inf, inf], [1.0, -inf, 2.0], [-inf, -inf, -inf]])
    with np.errstate(invalid="ignore"):
        out = rows.log_softmax(1).data
    assert np.isnan(out[0]).all() and np.isnan(out[2]).all()  # PyTorch: NaN, as exp(inf - inf) is
    np.testing.assert_allclose(out[1], [-1.3132616, -inf, -0.3132617], rtol=1e-6)


def test_float16_normalize_and_cosine_similarity_clamp_in_float16_and_accumulate_in_float32():
    zeros, big = np.zeros((2, 4), np.float16), np.full((2, 4), 1000.0, np.float16)
    with np.errstate(invalid="ignore"):
        assert np.isnan(F.normalize(tg.Tensor(zeros)).data).all()  # eps = 1e-12 is 0 in float16, as in PyTorch
        assert np.isnan(F.cosine_similarity(tg.Tensor(zeros), tg.Tensor(big)).data).all()
    same(F.cosine_similarity(tg.Tensor(big), tg.Tensor(big)), [1.0, 1.0], np.float16)  # 1000**2 * 4 > float16 max
    x = tg.Tensor(np.zeros((2, 3)), requires_grad=True)
    F.cosine_similarity(x, tg.ones(2, 3, dtype="float64")).sum().backward()
    np.testing.assert_allclose(x.grad.data, 1e8 / np.sqrt(3))  # 1/eps times the other unit vector, as in PyTorch


@pytest.mark.parametrize("call, kind", [
    (lambda: tg.Tensor([1.0]) & tg.Tensor([1.0]), TypeError), (lambda: ~tg.Tensor([1.0]), TypeError),
    (lambda: tg.ones(2, 3).gather(1, tg.Tensor([[-1], [0]])), IndexError),
    (lambda: tg.ones(2, 3).gather(1, tg.Tensor([[3], [0]])), IndexError),
    (lambda: F.one_hot(tg.Tensor([0, 3]), 2), IndexError)])
def test_errors_pytorch_raises_as_runtime_error_are_also_the_python_class(call, kind):
    with pytest.raises(RuntimeError):
        call()
    with pytest.raises(kind):
        call()


def test_small_dtype_and_value_rules_pytorch_documents():
    same(tg.Tensor([np.nan, -2.0, 0.0, 3.0]).sign(), [0, -1, 0, 1], np.float32)  # sign(NaN) is 0
    same(tg.Tensor([True, False]).square(), [1, 0], np.int64)
    same(tg.Tensor(np.array([1, 2], np.uint8)).all(), 1, np.uint8)  # all/any keep uint8 (documented)
    same(tg.Tensor(np.zeros((0,), np.uint8)).any(), 0, np.uint8)
    mask = tg.Tensor([True, False])
    same(tg.Tensor([True, False]).masked_fill(mask, 3), [True, False], np.bool_)  # the value takes the dtype
    same(tg.Tensor([5, 6]).masked_fill(mask, 2.7), [2, 6], np.int64)
    same(tg.Tensor(np.zeros(2, np.uint8)).masked_fill(mask, -1), [255, 0], np.uint8)
    for value, dtype in ((300, np.uint8), (-129, np.int8), (70000.0, np.float16), (float("inf"), np.int64)):
        with pytest.raises(RuntimeError, match="without overflow"):
            tg.Tensor(np.zeros(2, dtype)).masked_fill(mask, value)
    with pytest.raises(IndexError, match="give a dim"):
        tg.ones(0, 3).argmax(0)
    same(tg.ones(0, 3).argmin(1), np.zeros(0), np.int64)
    with pytest.raises(RuntimeError, match="floating-point"):
        tg.Tensor([1, 2]).mean()


def test_mean_var_std_of_no_values_are_nan_and_no_degrees_of_freedom_divide_by_zero():
    same(tg.zeros(0).mean(), np.nan, np.float32)
    same(tg.zeros(0, 3).mean(0), [np.nan] * 3, np.float32)
    with pytest.warns(RuntimeWarning, match="degrees of freedom"):
        same(tg.Tensor([5.0]).var(), np.nan, np.float32)  # 0 / 0, as in PyTorch
    with pytest.warns(RuntimeWarning, match="degrees of freedom"):
        same(tg.Tensor([1.0, 2.0]).var(correction=3), np.inf, np.float32)  # 0.5 / max(0, 2 - 3)
    with pytest.warns(RuntimeWarning):
        same(tg.zeros(0).std(), np.nan, np.float32)
    x = tg.Tensor(np.ones((0, 3)), requires_grad=True)
    x.mean(0).sum().backward()
    assert x.grad.shape == (0, 3)


# ============================================================================ reductions over empty dims, norm(p=0)
def test_amax_amin_over_non_empty_dims_of_an_empty_tensor_are_empty():
    x = tg.zeros(0, 3, requires_grad=True)
    same(x.amax(dim=1), np.zeros(0), np.float32)
    same(tg.zeros(2, 0, 3).amin(dim=(0, 2)), np.zeros(0), np.float32)
    x.amax(dim=1).sum().backward()
    assert x.grad.shape == (0, 3)


@pytest.mark.parametrize("reduce", [lambda x: x.amax(dim=0), lambda x: x.amin(), lambda x: x.amax(dim=(0, 1))])
def test_amax_amin_over_an_empty_dim_raise(reduce):
    with pytest.raises(ValueError, match="over a dim of size 0"):
        reduce(tg.zeros(0, 3))


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_over_an_empty_dim_is_empty(fn):
    x = tg.zeros(3, 0, requires_grad=True)
    out = getattr(x, fn)(dim=1)
    same(out, np.zeros((3, 0)), np.float32)
    out.sum().backward()
    assert x.grad.shape == (3, 0)
    same(getattr(tg.zeros(0, 3), fn)(dim=1), np.zeros((0, 3)), np.float32)


def test_logsumexp_over_an_empty_dim_is_minus_inf():
    with np.errstate(divide="ignore"):  # log(0), as NumPy's log warns
        same(tg.zeros(3, 0).logsumexp(1), [-np.inf] * 3, np.float32)
    same(tg.zeros(0, 3).logsumexp(1), np.zeros(0), np.float32)


def test_norm_p0_counts_nonzeros_and_has_a_zero_gradient():
    x = tg.tensor([1.0, 0.0, -2.0, np.nan, np.inf], requires_grad=True)
    out = x.norm(p=0)
    same(out, 4.0, np.float32)  # NaN and inf are nonzero, as in PyTorch
    out.backward()
    same(x.grad, np.zeros(5), np.float32)
    same(tg.tensor([[1.0, 0.0], [0.0, 0.0]]).norm(p=0, dim=1, keepdim=True), [[1.0], [0.0]], np.float32)
    with pytest.raises(ValueError, match=">= 0"):
        tg.tensor([1.0]).norm(p=-1)
