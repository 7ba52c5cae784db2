"""Ops at their edges, each checked against PyTorch's documented behaviour (issue 11, section 1), and
the names PyTorch code touches first (dtype names, default dtype, ``as_tensor``, ``Size``, devices).

The expected values were read from PyTorch 2.13's documentation and confirmed by running it;
``benchmarks/crosscheck_torch.py`` runs the same cases against PyTorch itself. No test imports torch.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
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
