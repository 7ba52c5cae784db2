"""The PyTorch-named extras: expm1, log1p, reciprocal, rsqrt, cumsum, flip, split/chunk/unbind,
repeat, masked_fill, gather (property-tested like every op), method forms of the operators,
casts, bool predicates and the CPU-only device API."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_np as tg
from tinygrad_np import Tensor
from tinygrad_np.testing import op_property_test, valid_axes

SHAPES_1D_UP = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4).map(lambda s: (s,))


def forms(name, numpy_form=None):
    """x.<name>(...), tinygrad_np.<name>(x, ...) and, where given, the NumPy spelling."""
    out = {"method": lambda x, *a, **k: getattr(x, name)(*a, **k), "function": getattr(tg, name)}
    if numpy_form is not None:
        out["numpy"] = numpy_form
    return out


def unary(name, reference, numpy_form=None, **options):
    f = forms(name, numpy_form)
    return op_property_test(lambda x, form: f[form](x), lambda x, form: reference(x),
                            kwargs={"form": st.sampled_from(sorted(f))}, gradgrad=True, **options)


test_expm1 = unary("expm1", np.expm1, np.expm1, elements=(-3, 3))
test_log1p = unary("log1p", np.log1p, np.log1p, elements=(-0.9, 5))
test_reciprocal = unary("reciprocal", np.reciprocal, elements=(-5, 5), min_magnitude=0.5)
test_rsqrt = unary("rsqrt", lambda x: 1 / np.sqrt(x), elements=(0.2, 5))


def axis_of(shapes):
    return valid_axes(len(shapes[0]), allow_none=False, allow_tuple=False)


CUMSUM = {"dim": lambda x, a: x.cumsum(dim=a), "axis": lambda x, a: x.cumsum(axis=a),
          "function": lambda x, a: tg.cumsum(x, a), "numpy": lambda x, a: np.cumsum(x, axis=a)}
test_cumsum = op_property_test(lambda x, axis, form: CUMSUM[form](x, axis), lambda x, axis, form: np.cumsum(x, axis),
                               shapes=SHAPES_1D_UP, kwargs={"axis": axis_of, "form": st.sampled_from(sorted(CUMSUM))},
                               gradgrad=True)


def flip_dims(shapes):
    return st.lists(st.integers(0, len(shapes[0]) - 1), min_size=1, unique=True).map(tuple)


test_flip = op_property_test(lambda x, dims: x.flip(dims), lambda x, dims: np.flip(x, dims), shapes=SHAPES_1D_UP,
                             kwargs={"dims": flip_dims}, gradgrad=True)
test_flip_numpy = op_property_test(lambda x, axis: np.flip(x, axis), lambda x, axis: np.flip(x, axis),
                                   shapes=SHAPES_1D_UP, kwargs={"axis": axis_of})


def pieces(shapes):
    """A split spec for a dim of the shape: a split size or a list of section sizes."""
    ndim = len(shapes[0])

    @st.composite
    def draw(draw_):
        dim = draw_(st.integers(-ndim, ndim - 1))
        n = shapes[0][dim]
        size = st.integers(1, n + 1)
        cuts = st.lists(st.integers(0, n), min_size=1, max_size=4)
        sections = cuts.map(lambda c: np.diff([0, *sorted(c), n]).tolist())
        return {"dim": dim, "spec": draw_(st.one_of(size, sections)), "how": draw_(st.sampled_from(["split", "chunk"]))}

    return draw()


def split_op(x, dim, spec, how):
    if how == "chunk":
        return x.chunk(spec if isinstance(spec, int) else len(spec), dim)
    return x.split(spec, dim)


def split_reference(x, dim, spec, how):
    n = x.shape[dim]
    if how == "chunk":
        k = spec if isinstance(spec, int) else len(spec)
        spec = -(-n // k)  # PyTorch: pieces of ceil(n / chunks)
    ends = np.cumsum(spec)[:-1] if isinstance(spec, list) else list(range(spec, n, spec))
    return tuple(np.split(x, ends, axis=dim))


test_split_chunk = op_property_test(split_op, split_reference, shapes=SHAPES_1D_UP, kwargs=pieces, gradgrad=True)
test_unbind = op_property_test(lambda x, dim: x.unbind(dim), lambda x, dim: tuple(np.moveaxis(x, dim, 0)),
                               shapes=SHAPES_1D_UP, kwargs={"dim": axis_of}, gradgrad=True)


def repeat_sizes(shapes):
    ndim = len(shapes[0])
    return st.integers(ndim, ndim + 2).flatmap(lambda k: st.lists(st.integers(1, 3), min_size=k, max_size=k)).map(tuple)


test_repeat = op_property_test(lambda x, sizes: x.repeat(*sizes), lambda x, sizes: np.tile(x, sizes),
                               kwargs={"sizes": repeat_sizes}, gradgrad=True)


def a_mask(shapes):
    return hnp.arrays(np.bool_, shapes[0])


test_masked_fill = op_property_test(lambda x, mask, value: x.masked_fill(Tensor(mask), value),
                                    lambda x, mask, value: np.where(mask, value, x),
                                    kwargs={"mask": a_mask, "value": st.sampled_from([0.0, -1.5, 2])}, gradgrad=True)


@st.composite
def gather_args(draw, shapes):
    shape = shapes[0]
    dim = draw(st.integers(0, len(shape) - 1))
    index_shape = tuple(draw(st.integers(1, 4)) if a == dim else draw(st.integers(1, n)) for a, n in enumerate(shape))
    index = draw(hnp.arrays(np.int64, index_shape, elements=st.integers(0, shape[dim] - 1)))  # repeats accumulate
    return {"dim": dim, "index": index}


def gather_reference(x, dim, index):
    # NumPy's take_along_axis wants the other dims equal: PyTorch reads the leading part of them
    leading = tuple(slice(None) if a == dim else slice(n) for a, n in enumerate(index.shape))
    return np.take_along_axis(x[leading], index, dim)


test_gather = op_property_test(lambda x, dim, index: x.gather(dim, Tensor(index)), gather_reference,
                               shapes=SHAPES_1D_UP, kwargs=lambda s: gather_args(s), gradgrad=True)


def test_gather_rejects_an_index_that_does_not_fit():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="gather"):
        x.gather(1, np.zeros((3, 1), dtype=np.int64))
    with pytest.raises(ValueError, match="gather"):
        x.gather(0, np.zeros(2, dtype=np.int64))


def test_split_and_repeat_and_cumsum_errors_are_clear():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="do not add up"):
        x.split([1, 1], 1)
    with pytest.raises(ValueError, match="positive"):
        x.split(0)
    with pytest.raises(ValueError, match="repeat"):
        x.repeat(2)
    with pytest.raises(TypeError, match="cumsum"):
        x.cumsum()


def test_method_forms_of_operators():
    x, y = Tensor(np.array([1.0, 2.0, 3.0])), Tensor(np.array([2.0, 2.0, 2.0]))
    for method, expected in [("add", x + y), ("sub", x - y), ("mul", x * y), ("div", x / y), ("pow", x**y),
                             ("remainder", x % y), ("floor_divide", x // y)]:
        np.testing.assert_array_equal(getattr(x, method)(y).data, expected.data, err_msg=method)
    np.testing.assert_array_equal(x.neg().data, -x.data)
    for method, ufunc in [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
                          ("gt", np.greater), ("ge", np.greater_equal)]:
        np.testing.assert_array_equal(getattr(x, method)(y).data, ufunc(x.data, y.data), err_msg=method)
    m = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(m.t().data, m.data.T)
    np.testing.assert_array_equal(m.mm(m.t()).data, m.data @ m.data.T)
    with pytest.raises(ValueError, match="t\\(\\)"):
        Tensor(np.zeros((1, 2, 3))).t()


def test_integer_and_bool_casts_end_the_graph():
    x = Tensor(np.array([1.5, -2.5]), requires_grad=True)
    casts = [(x.long(), np.int64), (x.int(), np.int32), (x.bool(), np.bool_), (x.astype(np.uint8), np.uint8)]
    for cast, dtype in casts:
        assert cast.dtype == dtype and not cast.requires_grad and cast.grad_fn is None  # rounding has no gradient
    h = x.half()
    assert h.dtype == np.float16 and h.requires_grad
    h.sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [1.0, 1.0]


def test_bool_predicates():
    x = Tensor(np.array([[1.0, np.nan], [np.inf, -2.0]]), requires_grad=True)
    assert x.isnan().tolist() == [[False, True], [False, False]]
    assert x.isinf().tolist() == [[False, False], [True, False]]
    assert x.isfinite().tolist() == [[True, False], [False, True]]
    assert (x > 0).any().item() and not (x > 0).all().item()
    assert (x > 0).any(dim=1).tolist() == [True, True] and (x < 5).all(axis=0, keepdims=True).shape == (1, 2)
    assert not x.isnan().requires_grad and tg.isnan(x).dtype == np.bool_


def test_cpu_is_the_only_device():
    x = Tensor([1.0, 2.0])
    assert x.device == "cpu" and x.cpu() is x and x.to("cpu") is x and x.to(device="cpu") is x
    assert x.to("cpu", tg.float64).dtype == np.float64 and x.to(Tensor(np.zeros(1))).dtype == np.float64
    with pytest.raises(ValueError, match="CPU only"):
        x.to("cuda")


def norm_reference(x, p, axis, keepdims):
    if p in (np.inf, -np.inf):
        return (np.max if p > 0 else np.min)(np.abs(x), axis=axis, keepdims=keepdims)
    p = 2 if p == "fro" else p
    return (np.abs(x) ** p).sum(axis=axis, keepdims=keepdims) ** (1 / p)


def norm_kwargs(shapes):
    return st.tuples(valid_axes(len(shapes[0]), with_keepdims=True), st.sampled_from([1, 2, 3, "fro", np.inf, -np.inf]),
                     st.booleans()).map(lambda t: {**t[0], "p": t[1], "torch_names": t[2]})


def norm_op(x, p, axis, keepdims, torch_names):
    return x.norm(p, dim=axis, keepdim=keepdims) if torch_names else tg.norm(x, p, axis=axis, keepdims=keepdims)


def distinct_magnitudes(x, **kwargs):
    return len(np.unique(np.abs(x))) == x.size


# |x| has a kink at 0 and the inf-norms one at ties of |x|: inputs are away from 0 with distinct |x|
test_norm = op_property_test(norm_op, lambda x, p, axis, keepdims, torch_names: norm_reference(x, p, axis, keepdims),
                             kwargs=norm_kwargs, elements=(-3, 3), min_magnitude=0.1, distinct=True,
                             assume=distinct_magnitudes, gradgrad=True)


def test_norm_of_zeros_has_zero_gradient_and_normalize_leaves_zero_rows_alone():
    x = Tensor(np.array([[3.0, 4.0], [0.0, 0.0]]), requires_grad=True)
    for p in (2, 3, "fro"):
        x.grad = None
        x.norm(p, dim=1).sum().backward()
        assert np.isfinite(x.grad.data).all() and x.grad.data[1].tolist() == [0.0, 0.0]  # PyTorch's 0, not 0/0
    unit = tg.nn.functional.normalize(x, dim=1)
    np.testing.assert_allclose(unit.data, [[0.6, 0.8], [0.0, 0.0]])
    with pytest.raises(ValueError, match="p must be"):
        x.norm(0)


def test_max_and_min_with_dim_return_values_and_indices_as_in_pytorch():
    x = Tensor(np.array([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]]), requires_grad=True)
    _, predicted = tg.max(x, 1)  # the classic accuracy idiom
    assert predicted.tolist() == [1, 0] and predicted.dtype == np.int64
    values, indices = x.max(dim=1, keepdim=True)
    assert values.tolist() == [[5.0], [7.0]] and indices.tolist() == [[1], [0]]
    x.max(1).values.sum().backward()  # the gradient goes to the returned (first) index, as in PyTorch
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    x.grad = None
    x.min(0).values.sum().backward()
    assert x.min(0).indices.tolist() == [0, 1, 0] and x.grad.tolist() == [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    # the NumPy forms and max() give values only, and tied maxima share the gradient
    x.grad = None
    x.max(axis=1).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5]]
    assert x.max().item() == 7.0 and x.amax(1).tolist() == [5.0, 7.0] and x.amin(dim=(0, 1)).item() == 1.0
    np.testing.assert_array_equal(x.max(Tensor(np.full((2, 3), 3.0))).data, np.maximum(x.data, 3.0))  # max(other)


def sort_kwargs(shapes):
    return st.fixed_dictionaries({"axis": valid_axes(len(shapes[0]), allow_none=False, allow_tuple=False),
                                  "descending": st.booleans()})


def sort_reference(x, axis, descending):
    out = np.sort(x, axis=axis)
    return np.flip(out, axis) if descending else out


# sorting has kinks where values tie: distinct inputs
test_sort = op_property_test(lambda x, axis, descending: x.sort(axis, descending).values, sort_reference,
                             shapes=SHAPES_1D_UP, kwargs=sort_kwargs, distinct=True, gradgrad=True)


@st.composite
def topk_kwargs(draw, shapes):
    axis = draw(valid_axes(len(shapes[0]), allow_none=False, allow_tuple=False))
    return {"axis": axis, "k": draw(st.integers(0, shapes[0][axis])), "largest": draw(st.booleans())}


def topk_reference(x, axis, k, largest):
    return np.take(sort_reference(x, axis, largest), np.arange(k), axis=axis)


test_topk = op_property_test(lambda x, axis, k, largest: x.topk(k, axis, largest).values, topk_reference,
                             shapes=SHAPES_1D_UP, kwargs=lambda s: topk_kwargs(s), distinct=True, gradgrad=True)


def test_sort_indices_are_stable_in_both_directions():
    x = Tensor(np.array([2.0, 1.0, 2.0, 3.0, 1.0]))
    assert x.argsort().tolist() == [1, 4, 0, 2, 3]
    assert x.argsort(descending=True).tolist() == [3, 0, 2, 1, 4]  # ties keep their order, as torch stable=True
    values, indices = tg.topk(x, 2)
    assert values.tolist() == [3.0, 2.0] and indices.tolist() == [3, 0]
    assert Tensor(np.array([True, False, True])).argsort(descending=True).tolist() == [0, 2, 1]
    assert Tensor(np.array([3, 1], dtype=np.uint8)).sort().values.tolist() == [1, 3]
    with pytest.raises(ValueError, match="topk"):
        x.topk(6)


def erf_reference(x):
    return np.vectorize(math.erf)(x) if np.ndim(x) else np.float64(math.erf(x))


test_erf = unary("erf", erf_reference, elements=(-3, 3))
GELU_FORMS = {"F.gelu": lambda x, a: tg.nn.functional.gelu(x, approximate=a),
              "nn.GELU": lambda x, a: tg.nn.GELU(approximate=a)(x)}
test_gelu = op_property_test(
    lambda x, approximate, form: GELU_FORMS[form](x, approximate),
    lambda x, approximate, form: (0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
                                  if approximate == "tanh" else 0.5 * x * (1 + erf_reference(x / math.sqrt(2)))),
    kwargs={"approximate": st.sampled_from(["none", "tanh"]), "form": st.sampled_from(sorted(GELU_FORMS))},
    elements=(-4, 4), gradgrad=True,
)


def test_small_pytorch_conveniences():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert tg.bmm(tg.randn(2, 3, 4), tg.randn(2, 4, 5)).shape == (2, 3, 5)
    with pytest.raises(ValueError, match="bmm"):
        x.bmm(x)
    z = x.new_zeros(2, 2)
    assert z.dtype == np.float64 and not z.requires_grad and x.new_ones((3,)).tolist() == [1.0, 1.0, 1.0]
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0] and x.new_tensor([1, 2]).dtype == np.float64
    assert x.type() == "float64" and x.type(np.float32).dtype == np.float32
    assert tg.is_tensor(x) and not tg.is_tensor(x.data) and tg.numel(x) == 6
    assert tg.randn(1, 3).expand_as(x).shape == (2, 3)
    with tg.inference_mode():
        assert not (x * 2).requires_grad
    assert tg.nn.functional.gelu(Tensor(np.float64(1.0))).item() == pytest.approx(0.8413447460685429)
    with pytest.raises(ValueError, match="approximate"):
        tg.nn.functional.gelu(x, approximate="fast")


EINSUM_CASES = {  # subscripts -> operand shapes
    "ij,jk->ik": [(2, 3), (3, 4)], "bqd,bkd->bqk": [(2, 3, 4), (2, 2, 4)], "ij->ji": [(2, 3)], "ij->": [(2, 3)],
    "ij->i": [(3, 2)], "i,i->": [(4,), (4,)], "i,j->ij": [(2,), (3,)], "ij,jk,kl->il": [(2, 3), (3, 2), (2, 2)],
    "ij,ij->ij": [(1, 3), (2, 3)], "ij,jk": [(2, 3), (3, 4)], "bij,bjk->bik": [(2, 2, 3), (2, 3, 2)],
    "ijk,k->": [(2, 2, 3), (3,)],
    # '...': the unnamed dimensions, aligned from the right and broadcast, as in NumPy
    "...ij,...jk->...ik": [(2, 3, 4), (4, 2)], "...ij,...jk": [(2, 1, 3, 2), (3, 2, 2)],
    "b...d,b...d->b...": [(2, 3, 2), (2, 3, 2)], "...i->...": [(2, 3)], "i...->...i": [(2, 3, 2)],
    "...,...->...": [(3,), (2, 3)],
    # a repeated letter reads a diagonal
    "ii->i": [(3, 3)], "ii": [(3, 3)], "iij->j": [(2, 2, 3)], "ii,ij->j": [(3, 3), (3, 2)], "bii->bi": [(2, 3, 3)],
}


@st.composite
def einsum_case(draw):
    spec = draw(st.sampled_from(sorted(EINSUM_CASES)))
    return spec, EINSUM_CASES[spec]


def einsum_test(spec_and_shapes, n):
    spec, shapes = spec_and_shapes
    return op_property_test(lambda *xs: tg.einsum(spec, *xs), lambda *xs: np.einsum(spec, *xs), n,
                            shapes=tuple(shapes), elements=(-2, 2), gradgrad=True)


@pytest.mark.parametrize("spec", sorted(EINSUM_CASES))
def test_einsum(spec):
    einsum_test((spec, EINSUM_CASES[spec]), len(EINSUM_CASES[spec]))()


def test_einsum_forms_and_errors():
    rng = np.random.default_rng(0)
    a, b = Tensor(rng.standard_normal((2, 3))), Tensor(rng.standard_normal((3, 4)))  # float64, fixed data
    np.testing.assert_allclose(tg.einsum("ij,jk->ik", [a, b]).data, a.data @ b.data, rtol=1e-12, atol=1e-14)  # a list
    np.testing.assert_allclose(np.einsum("ij,jk->ik", a, b).data, a.data @ b.data, rtol=1e-12, atol=1e-14)  # NumPy
    with pytest.raises(ValueError, match="does not fit"):
        tg.einsum("...ijk->...", a)
    with pytest.raises(ValueError, match="names 2 operands"):
        tg.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match="dimensions"):
        tg.einsum("i,jk->ik", a, b)


def prod_kwargs(shapes):
    return valid_axes(len(shapes[0]), with_keepdims=True)


# a polynomial: no kinks, and the rule is exact at zeros too (exact zeros are among the drawn values)
test_prod = op_property_test(lambda x, axis, keepdims: x.prod(axis=axis, keepdims=keepdims),
                             lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
                             kwargs=prod_kwargs, elements=(-2, 2), gradgrad=True)


def test_prod_gradient_at_zeros_is_the_product_of_the_others():
    x = Tensor(np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]]), requires_grad=True)
    x.prod(dim=1).sum().backward()
    assert x.grad.tolist() == [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0]]  # not 0/0
    assert tg.prod(x).item() == 0.0 and np.prod(x, axis=0).tolist() == [0.0, 0.0, 60.0]
