"""The op database, part 3: the PyTorch surface of issue 11 §2 (see ``opinfo``): inverse and hyperbolic
functions, binary float ops, matrices, shapes, selecting and placing, running reductions."""

from __future__ import annotations

import numpy as np

from . import references as R
from .opinfo import (
    FLOATS,
    INTEGERS,
    ErrorInput,
    OpInfo,
    Sample,
    Variant,
    _seed,
    binary_samples,
    bool_result,
    float_promoted,
    index_result,
    integer_sum,
    make_array,
    promoted,
    reduction_samples,
    same_dtype,
    special_values,
    unary_samples,
)
from .opinfo_core import (
    NO_BOOL,
    _bitwise_samples,
    _quotient_off_integers,
    _samples_of,
    f64,
    forms,
    g,
    operator_forms,
)


def _rng(*key):
    return _seed("surface", *key)  # deterministic per entry and dtype


# ============================================================================ elementwise, one input
def _float_unary(name, ref, low=-3.0, high=3.0, *, aliases=(), int_low=None, int_high=None, **kw):
    """An op that turns integers and bools into the default float; ``aliases``: NumPy's names (arcsin)."""
    variants = forms(name) + tuple(v for a in aliases for v in forms(a))
    return OpInfo(name, ref, unary_samples(low, high, int_low=int_low, int_high=int_high), torch=f"torch.{name}",
                  variants=variants, dtype_rule=float_promoted, **kw)


ELEMENTWISE = [
    _float_unary("tan", np.tan, -1.4, 1.4),  # away from the poles at ±π/2
    _float_unary("asin", np.arcsin, -0.9, 0.9, aliases=("arcsin",)),
    _float_unary("acos", np.arccos, -0.9, 0.9, aliases=("arccos",)),
    _float_unary("atan", np.arctan, aliases=("arctan",)),
    _float_unary("sinh", np.sinh),
    _float_unary("cosh", np.cosh),
    _float_unary("asinh", np.arcsinh, aliases=("arcsinh",)),
    _float_unary("acosh", np.arccosh, 1.1, 5.0, aliases=("arccosh",)),
    _float_unary("atanh", np.arctanh, -0.9, 0.9, aliases=("arctanh",)),
    _float_unary("exp2", np.exp2),
    _float_unary("log2", np.log2, 0.1, 10.0),
    _float_unary("log10", np.log10, 0.1, 10.0),
]


# ============================================================================ two inputs
def _away_from_zero(a, b):
    """Both operands at least 0.05 from 0 (copysign's kink in a, its jump in b)."""
    return bool(np.all(np.abs(np.asarray(a, np.float64)) > 0.05) and np.all(np.abs(np.asarray(b, np.float64)) > 0.05))


#: floating point only, as in PyTorch ("not implemented for 'Long'")
INTEGER_OPERANDS = [ErrorInput(Sample(np.array([1, 2]), np.array([3, 4])), RuntimeError, "")]


BINARY = [
    OpInfo("atan2", np.arctan2, binary_samples(), torch="torch.atan2", dtype_rule=float_promoted,
           variants=forms("atan2") + forms("arctan2"),
           kink="at the origin (a = b = 0) both gradients are 0, as PyTorch's",
           kink_grads=[(Sample(f64(0.0, 0.0, 3.0), f64(0.0, 1.0, 0.0)), (g(0, 1, 0), g(0, 0, -1 / 3)))]),
    OpInfo("logaddexp", np.logaddexp, binary_samples(), torch="torch.logaddexp", dtypes=FLOATS,
           dtype_rule=float_promoted, variants=forms("logaddexp"),
           kink="smooth; at a = b each operand gets g/2, and an infinite operand gets all of it",
           kink_grads=[(Sample(f64(1.0, np.inf, 0.0), f64(1.0, 0.0, -np.inf)), (g(0.5, 1, 1), g(0.5, 0, 0)))],
           errors=INTEGER_OPERANDS),
    OpInfo("fmod", np.fmod, binary_samples(b_away=(0.0,), nonzero_int_divisor=True, grad_ok=_quotient_off_integers,
                                           mixed_with=(np.float32, np.int64)),
           torch="torch.fmod", dtypes=NO_BOOL, dtype_rule=promoted, variants=forms("fmod"),
           kink="fmod(a, b) has the sign of a; ∂/∂a = 1 and ∂/∂b = −trunc(a/b), also at the jumps",
           kink_grads=[(Sample(f64(2.0, 0.0, -3.0), f64(1.0, 1.5, 2.0)), (g(1, 1, 1), g(-2, 0, 1)))],
           errors=[ErrorInput(Sample(np.array([1, 2]), np.array([0, 1])), RuntimeError, ""),
                   ErrorInput(Sample(np.array([True]), np.array([True])), RuntimeError, "bool"),
                   ErrorInput(Sample(np.array([True]), True), RuntimeError, "bool")]),
    OpInfo("copysign", np.copysign, binary_samples(grad_ok=_away_from_zero), torch="torch.copysign",
           dtype_rule=float_promoted, variants=forms("copysign"),
           kink="∂/∂a = 0 at a = 0 (PyTorch's), ∂/∂b = 0 everywhere (also at b = ±0, where the sign flips)",
           kink_grads=[(Sample(f64(0.0, -0.0, 2.0, -2.0), f64(1.0, -1.0, -1.0, 1.0)),
                        (g(0, 0, -1, -1), g(0, 0, 0, 0)))]),
    OpInfo("hypot", np.hypot, binary_samples(grad_ok=lambda a, b: bool(np.all(np.hypot(a, b) > 0.1))),
           torch="torch.hypot", dtypes=FLOATS, dtype_rule=float_promoted, variants=forms("hypot"),
           kink="at the origin (a = b = 0) the gradient is NaN (0/0), as PyTorch's",
           kink_grads=[(Sample(f64(0.0, 0.0, 3.0), f64(0.0, 1.0, 0.0)), (g(np.nan, 0, 1), g(np.nan, 1, 0)))],
           errors=INTEGER_OPERANDS),
]


# ---------------------------------------------------------------------------- lerp, isclose, clamp_min/max
def _lerp_ref(start, end, weight):
    """PyTorch's two forms (end exactly at weight 1; which also decides inf - inf at the special values)."""
    step = end - start
    return np.where(np.abs(weight) < 0.5, start + weight * step, end - step * (1 - weight))


def _lerp_samples(dtype):
    rng = _rng("lerp", str(dtype))
    out = [Sample(make_array(a, dtype, rng=rng), make_array(b, dtype, rng=rng), w)
           for a, b, w in [((2, 3), (2, 3), 0.3), ((2, 3), (3,), 0.7), ((3,), (2, 3), -0.5), ((), (), 1.5),
                           ((5,), (5,), 1.0), ((0,), (0,), 0.5), ((2, 0), (2, 1), 0.25)]]
    out += [Sample(make_array((2, 3), dtype, rng=rng), make_array((2, 3), dtype, rng=rng),
                   make_array(w, dtype, -0.5, 1.5, rng=rng), name="weight tensor") for w in [(2, 3), (3,), ()]]
    s = special_values(dtype)
    out.append(Sample(s, s[::-1].copy(), 0.5, name="special", grad=False, special=True))
    out.append(Sample(s, s[::-1].copy(), 1.0, name="special, weight 1", grad=False, special=True))
    return out


def _isclose_samples(dtype):
    rng = _rng("isclose", str(dtype))
    a = make_array((2, 3), dtype, rng=rng)
    near = (a + (a * 1e-6 if dtype.kind == "f" else 0)).astype(dtype) if dtype.kind != "b" else a
    out = [Sample(a, near), Sample(a, make_array((2, 3), dtype, rng=rng)), Sample(a, near[0].copy()),
           Sample(make_array((), dtype, rng=rng), make_array((), dtype, rng=rng)),
           Sample(np.zeros((0, 2), dtype), np.zeros((2,), dtype))]
    if dtype.kind == "f":
        out += [Sample(a, make_array((2, 3), dtype, rng=rng), 0.5, 0.5, name="loose"),
                Sample(a, (a + 0.01).astype(dtype), atol=0.1, name="atol")]
    s = special_values(dtype)
    pairs = np.repeat(s, len(s)), np.tile(s, len(s))
    out.append(Sample(*pairs, name="special pairs", grad=False, special=True))
    if dtype.kind == "f":
        out.append(Sample(*pairs, equal_nan=True, name="special pairs, equal_nan", grad=False, special=True))
    return out


def _isclose_ref(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":  # PyTorch compares integers exactly (no float rounding)
        a, b = np.broadcast_arrays(a.astype(object), b.astype(object))
        out = np.array([x == y or abs(x - y) <= atol + rtol * abs(y) for x, y in zip(a.flat, b.flat)], bool)
        return out.reshape(a.shape)
    return np.isclose(a, b, rtol, atol, equal_nan)


def _clamp_side_samples(dtype):
    rng = _rng("clamp", str(dtype))
    x = make_array((2, 3), dtype, -2, 2, rng=rng, away=(0.5, -0.3), gap=0.05)
    out = [Sample(x, 0.5 if dtype.kind == "f" else 1), Sample(make_array((), dtype, rng=rng), 0),
           Sample(np.zeros((0, 2), dtype), 1),
           Sample(x, make_array((3,), dtype, -2, 2, rng=rng, away=(0.0,)), name="tensor bound"),
           Sample(x, make_array((), dtype, rng=rng), name="0-d tensor bound")]
    if dtype.kind in "iu":
        out.append(Sample(x, 0.5, name="float bound"))
    if dtype.kind == "f":
        s = special_values(dtype, (0.5,))
        out += [Sample(s, 0.5, name="special", grad=False, special=True),
                Sample(s, np.nan, name="NaN bound", grad=False, special=True),
                Sample(s, s[::-1].copy(), name="special tensor bounds", grad=False, special=True)]
    else:
        out.append(Sample(special_values(dtype), 1, name="integer extremes", special=True))
    for sample in out:  # a tensor bound that ties the tensor is at the kink
        x, bound = sample.args
        if sample.grad and isinstance(bound, np.ndarray) and dtype.kind == "f":
            sample.grad = bool(np.all(np.abs(x - bound) > 0.05))
    return out


def _clamp_side(side):
    ref = np.maximum if side == "min" else np.minimum
    name = f"clamp_{side}"

    winner = g(0, 1, 1) if side == "min" else g(1, 1, 0)
    return OpInfo(name, ref, _clamp_side_samples, torch=f"torch.{name}", dtype_rule=promoted,
                  variants=forms(name),
                  kink=f"at x = {side} the gradient goes to x (a tensor bound gets it where it wins)",
                  kink_grads=[(Sample(f64(-1.0, 0.0, 1.0), 0.0), winner),
                              (Sample(f64(-1.0, 0.0, 1.0), f64(0.0, 0.0, 0.0)), (winner, 1 - winner))])


CLOSE_AND_CLAMP = [
    OpInfo("lerp", _lerp_ref, _lerp_samples, torch="torch.lerp", dtypes=FLOATS, variants=forms("lerp"),
           notes="for |weight| ≥ 0.5 computed as end − (end − start)·(1 − weight), so weight 1 gives end exactly",
           errors=[ErrorInput(Sample(np.array([1, 2]), np.array([3, 4]), 0.5), RuntimeError, ""),
                   ErrorInput(Sample(f64(1.0), np.ones(1, np.float32), 0.5), RuntimeError, "")]),
    OpInfo("isclose", _isclose_ref, _isclose_samples, torch="torch.isclose", dtype_rule=bool_result, grad_order=0,
           variants=forms("isclose"),
           errors=[ErrorInput(Sample(f64(1.0), np.ones(1, np.float32)), RuntimeError, "dtype"),
                   ErrorInput(Sample(f64(1.0), f64(1.0), -1.0), RuntimeError, "")]),
    _clamp_side("min"),
    _clamp_side("max"),
]


# ============================================================================ bitwise (xor and the shifts)
def _shift_ref(left):
    """PyTorch's shifts: a shift by a negative amount or by the width or more gives 0 (right: the sign)."""

    def ref(a, b):
        a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
        bits = a.dtype.itemsize * 8
        inside = (b >= 0) & (b < bits)
        amount = np.where(inside, b, 0).astype(a.dtype)
        if left:
            return np.where(inside, np.left_shift(a, amount), 0).astype(a.dtype)
        return np.where(inside, np.right_shift(a, amount), np.where(a < 0, -1, 0)).astype(a.dtype)

    return ref


def _shift_samples(dtype):
    out = binary_samples(-8, 8, low_b=0, high_b=3, scalars=(2,), mixed_with=(np.int64,))(dtype)
    return [s for s in out if not any(isinstance(a, float) for a in s.args)]


BITWISE = [
    OpInfo("bitwise_xor", np.bitwise_xor, _bitwise_samples, torch="torch.bitwise_xor", dtypes=INTEGERS + (np.bool_,),
           dtype_rule=promoted, grad_order=0,
           variants=operator_forms("bitwise_xor", "xor", function=False, numpy="bitwise_xor"),
           errors=[ErrorInput(Sample(f64(1.0), f64(2.0)), RuntimeError, "")]),
    *[OpInfo(f"bitwise_{side}_shift", _shift_ref(side == "left"), _shift_samples, torch=f"torch.bitwise_{side}_shift",
             dtypes=INTEGERS, dtype_rule=promoted, grad_order=0,
             variants=operator_forms(f"bitwise_{side}_shift", dunder, function=False, numpy=f"{side}_shift"),
             kink="a shift by a negative amount or by the width or more gives 0 (a right shift: the sign), as PyTorch",
             errors=[ErrorInput(Sample(f64(1.0), f64(2.0)), RuntimeError, "")])
      for side, dunder in (("left", "lshift"), ("right", "rshift"))],
]


# ============================================================================ matrices
def _diagonal_ref(x, offset=0, dim1=0, dim2=1):
    return np.diagonal(x, offset, dim1, dim2).copy()


def _outer_samples(dtype):
    rng = _rng("outer", str(dtype))
    out = [Sample(make_array((3,), dtype, rng=rng), make_array((2,), dtype, rng=rng)),
           Sample(make_array((1,), dtype, rng=rng), make_array((4,), dtype, rng=rng)),
           Sample(np.zeros((0,), dtype), make_array((2,), dtype, rng=rng))]
    other = np.dtype(np.float32 if dtype != np.float32 else np.float64)
    out.append(Sample(make_array((3,), dtype, rng=rng), make_array((2,), other, rng=rng), name="mixed dtypes",
                      grad=False))
    return out


def _dot_samples(dtype):
    rng = _rng("dot", str(dtype))
    return [Sample(make_array((n,), dtype, -2, 2, rng=rng), make_array((n,), dtype, -2, 2, rng=rng)) for n in (4, 1, 0)]


def _not_a_matrix(shape):
    return [ErrorInput(Sample(np.ones(shape)), RuntimeError, "")]


MATRICES = [
    OpInfo("tril", lambda x, diagonal=0: np.tril(x, diagonal),
           _samples_of(((3, 4), (), {}), ((3, 4), (1,), {}), ((4, 3), (-1,), {}),
                                        ((2, 3, 3), (), {}), ((3, 3), (), {"diagonal": -5}), ((0, 3), (), {})),
           torch="torch.tril", variants=forms("tril"), errors=_not_a_matrix((3,))),
    OpInfo("triu", lambda x, diagonal=0: np.triu(x, diagonal),
           _samples_of(((3, 4), (), {}), ((3, 4), (1,), {}), ((4, 3), (-1,), {}),
                                        ((2, 3, 3), (), {}), ((3, 3), (), {"diagonal": 5}), ((0, 3), (), {})),
           torch="torch.triu", variants=forms("triu"), errors=_not_a_matrix((3,))),
    OpInfo("diagonal", _diagonal_ref, _samples_of(((3, 4), (), {}), ((3, 4), (1,), {}), ((3, 4), (-2,), {}),
                                                  ((2, 3, 4), (0, 1, 2), {}), ((2, 3, 4), (), {"dim1": 2, "dim2": 0}),
                                                  ((2, 3, 4), (-1, -1, -3), {}), ((3, 4), (5,), {}), ((0, 3), (), {})),
           torch="torch.diagonal", variants=forms("diagonal"),
           errors=[ErrorInput(Sample(np.ones((2, 3)), 0, 1, 1), RuntimeError, ""),
                   ErrorInput(Sample(np.ones((2, 3)), 0, 0, 2), IndexError, "")]),
    OpInfo("diag", np.diag, _samples_of(((3,), (), {}), ((3,), (1,), {}), ((2,), (-2,), {}), ((3, 4), (), {}),
                                        ((3, 4), (1,), {}), ((3, 4), (-2,), {}), ((0,), (), {})),
           torch="torch.diag", variants=forms("diag"), errors=_not_a_matrix((2, 2, 2))),
    OpInfo("trace", np.trace, _samples_of(((3, 4), (), {}), ((3, 3), (), {}), ((1, 1), (), {}), ((0, 2), (), {})),
           torch="torch.trace", dtypes=NO_BOOL, dtype_rule=integer_sum, variants=forms("trace"),
           errors=_not_a_matrix((3,)) + [ErrorInput(Sample(np.eye(2, dtype=bool)), RuntimeError, "bool")]),
    OpInfo("outer", np.outer, _outer_samples, torch="torch.outer", dtype_rule=promoted,
           variants=forms("outer") + forms("ger"), errors=[ErrorInput(Sample(np.ones((2, 2)), np.ones(2)),
                                                                      RuntimeError, "")]),
    OpInfo("dot", np.dot, _dot_samples, torch="torch.dot", dtypes=NO_BOOL, dtype_rule=same_dtype, variants=forms("dot"),
           errors=[ErrorInput(Sample(np.ones(2), np.ones(2, np.float32)), RuntimeError, "dtype"),
                   ErrorInput(Sample(np.ones(2), np.ones(3)), RuntimeError, ""),
                   ErrorInput(Sample(np.ones((2, 2)), np.ones(2)), RuntimeError, ""),
                   ErrorInput(Sample(np.ones(2, bool), np.ones(2, bool)), RuntimeError, "bool")]),
]


# ============================================================================ shapes
def _roll_ref(x, shifts, dims=None):
    return np.roll(x, shifts, axis=dims)


def _narrow_ref(x, dim, start, length):
    start = start % x.shape[dim] if start < 0 else start
    return np.take(x, np.arange(start, start + length), axis=dim)


def _unflatten_ref(x, dim, sizes):
    d = dim % x.ndim
    return x.reshape(x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


def _like_samples(*other_shapes):
    def samples(dtype):
        rng = _rng("like", str(dtype))
        return [Sample(make_array((2, 3), dtype, rng=rng), make_array(s, dtype, rng=rng), name="other")
                for s in other_shapes] + [Sample(np.zeros((0, 2), dtype), np.zeros((2, 0), dtype))]

    return samples


def _type_as_samples(dtype):
    rng = _rng("type_as", str(dtype))
    x = make_array((2, 3), dtype, rng=rng)
    out = [Sample(x, np.zeros(1, np.float64), name="to float64", grad=True),
           Sample(make_array((), dtype, rng=rng), np.zeros((), np.float64), grad=True),
           Sample(np.zeros((0, 2), dtype), np.zeros(1, np.float64))]
    out += [Sample(x, np.zeros(1, other), name=f"to {np.dtype(other)}", grad=False)
            for other in (np.float32, np.float16, np.int64, np.bool_) if np.dtype(other) != dtype]
    return out


SHAPES = [
    OpInfo("roll", _roll_ref, _samples_of(((5,), (2,), {}), ((2, 3), (1, 1), {}), ((2, 3), ((1, -1), (0, 1)), {}),
                                          ((2, 3), (4,), {}), ((2, 3), (-7, 0), {}), ((), (1,), {}),
                                          ((0, 2), (1, 1), {}), ((2, 3), (), {"shifts": 2, "dims": -1})),
           torch="torch.roll", variants=forms("roll"),
           errors=[ErrorInput(Sample(np.ones((2, 3)), (1, 2), 0), RuntimeError, "")]),
    OpInfo("narrow", _narrow_ref, _samples_of(((4, 3), (0, 1, 2), {}), ((4, 3), (1, -2, 2), {}),
                                              ((4, 3), (-1, 0, 0), {}), ((4, 3), (0, 4, 0), {}),
                                              ((2, 3, 2), (-2, 1, 2), {})),
           torch="torch.narrow", variants=forms("narrow"),
           errors=[ErrorInput(Sample(np.ones((2, 3)), 1, 2, 2), RuntimeError, ""),
                   ErrorInput(Sample(np.ones((2, 3)), 1, 0, -1), RuntimeError, ""),
                   ErrorInput(Sample(np.float64(1.0), 0, 0, 1), RuntimeError, "")]),
    OpInfo("unflatten", _unflatten_ref, _samples_of(((6, 2), (0, (2, 3)), {}), ((2, 6), (-1, (3, -1)), {}),
                                                    ((2, 6), (1, (6,)), {}), ((0, 4), (1, (2, 2)), {}),
                                                    ((2, 6), (1, (1, 6, 1)), {})),
           torch="torch.unflatten", variants=forms("unflatten"),
           errors=[ErrorInput(Sample(np.ones((2, 6)), 1, (4, 2)), RuntimeError, "")]),
    OpInfo("view_as", lambda x, other: x.reshape(other.shape), _like_samples((3, 2), (6,), (1, 6)),
           torch="torch.Tensor.view_as", variants=("Tensor.view_as",), nondiff=(1,),
           errors=[ErrorInput(Sample(np.ones((2, 3)), np.ones(4)), RuntimeError, "")]),
    OpInfo("reshape_as", lambda x, other: x.reshape(other.shape), _like_samples((3, 2), (6,), (1, 6)),
           torch="torch.Tensor.reshape_as", variants=("Tensor.reshape_as",), nondiff=(1,),
           errors=[ErrorInput(Sample(np.ones((2, 3)), np.ones(4)), RuntimeError, "")]),
    OpInfo("type_as", lambda x, other: x.astype(other.dtype), _type_as_samples, torch="torch.Tensor.type_as",
           variants=("Tensor.type_as",), dtype_rule=lambda x, other: other.dtype, nondiff=(1,),
           kink="a cast to an integer or bool dtype ends the graph (no gradient), as in PyTorch"),
    OpInfo("contiguous", np.copy, _samples_of(((2, 3), (), {}), ((), (), {}), ((0, 2), (), {})),
           torch="torch.Tensor.contiguous", variants=("Tensor.contiguous",),
           notes="the tensor itself when its data is row-major, else a row-major copy"),
]


# ============================================================================ selecting and placing
def _index(*values):
    return np.array(values, dtype=np.int64)


def _index_select_ref(x, dim, index):
    if x.ndim == 0:
        return x.copy()
    return np.take(x, index.reshape(-1), axis=dim)


def _index_select_samples(dtype):
    rng = _rng("index_select", str(dtype))
    x = make_array((3, 4), dtype, rng=rng)
    return [Sample(x, 0, _index(2, 0, 2)), Sample(x, 1, _index(3, 1)), Sample(x, -1, np.array(2)),
            Sample(x, 0, _index()), Sample(make_array((), dtype, rng=rng), 0, _index(0)),
            Sample(np.zeros((0, 3), dtype), 1, _index(1, 1))]


def _masked_select_ref(x, mask):
    x, mask = np.broadcast_arrays(x, mask)
    return x[mask]


def _masked_select_samples(dtype):
    rng = _rng("masked_select", str(dtype))
    x = make_array((2, 3), dtype, rng=rng)
    return [Sample(x, rng.random((2, 3)) < 0.5), Sample(x, np.array([True, False, True])),
            Sample(make_array((3,), dtype, rng=rng), rng.random((2, 3)) < 0.5, name="the mask broadcasts the tensor"),
            Sample(make_array((), dtype, rng=rng), np.array(True)), Sample(x, np.zeros((2, 3), bool)),
            Sample(np.zeros((0, 3), dtype), np.ones(3, bool))]


def _nonzero_ref(x, as_tuple=False):
    if as_tuple:
        return np.nonzero(np.atleast_1d(x))
    return np.argwhere(x)


def _nonzero_samples(dtype):
    rng = _rng("nonzero", str(dtype))
    out = [Sample(make_array(s, dtype, -1, 1, rng=rng)) for s in [(5,), (2, 3), (2, 2, 2), (), (0, 3)]]
    out += [Sample(make_array((2, 3), dtype, -1, 1, rng=rng), as_tuple=True),
            Sample(make_array((), dtype, 1, 2, rng=rng), as_tuple=True, name="0-d, as a tuple")]
    out.append(Sample(special_values(dtype), name="special", special=True))
    return out


def _zero_d_as_1d(ref):
    """A scatter of a 0-d tensor is that of a 1-element one, reshaped back."""

    def wrapped(x, dim, index, *args, **kwargs):
        if x.ndim:
            return ref(x, dim, index, *args, **kwargs)
        args = [a.reshape(1) if isinstance(a, np.ndarray) else a for a in args]
        return ref(x.reshape(1), 0, index.reshape(1), *args, **kwargs).reshape(())

    return wrapped


@_zero_d_as_1d
def _scatter_ref(x, dim, index, src=None, value=None, reduce=None):
    out = x.copy()
    source = src if src is not None else value
    for place in np.ndindex(*index.shape):
        target = list(place)
        target[dim] = index[place]
        out[tuple(target)] = source[place] if isinstance(source, np.ndarray) and source.ndim else source
    return out


@_zero_d_as_1d
def _scatter_add_ref(x, dim, index, src):
    out = x.copy()
    for place in np.ndindex(*index.shape):
        target = list(place)
        target[dim] = index[place]
        out[tuple(target)] += src[place]
    return out


@_zero_d_as_1d
def _scatter_reduce_ref(x, dim, index, src, reduce, include_self=True):
    groups = {}
    for place in np.ndindex(*index.shape):
        target = list(place)
        target[dim] = index[place]
        groups.setdefault(tuple(target), []).append(src[place])
    out = x.copy()
    fn = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
    for target, values in groups.items():
        values = ([x[target]] if include_self else []) + values
        result = fn(np.array(values, dtype=x.dtype))
        if reduce == "mean" and x.dtype.kind in "iu":  # PyTorch's integer mean rounds toward minus infinity
            result = np.floor_divide(np.sum(np.array(values, dtype=np.int64)), len(values))
        out[target] = result
    return out


def _scatter_samples(dtype, repeats=True, src_shape=(2, 4)):
    """x (3, 4) and an index of shape (2, 3) into dim 0 or 1 (repeated places only when ``repeats``)."""
    rng = _rng("scatter", str(dtype), repeats)
    x = make_array((3, 4), dtype, rng=rng)
    distinct = np.array([[0, 1, 2], [2, 0, 1]])
    rows = _index(*rng.integers(0, 3, 6)).reshape(2, 3) if repeats else distinct
    cols = _index(*rng.integers(0, 4, 6)).reshape(2, 3) if repeats else np.array([[0, 3, 1], [2, 1, 3]])
    src = make_array(src_shape, dtype, rng=rng)
    return [Sample(x, 0, rows, src), Sample(x, 1, cols, src), Sample(x, -1, cols, src),
            Sample(x, 0, np.zeros((0, 4), np.int64), src, name="empty index"),
            Sample(make_array((), dtype, rng=rng), 0, np.array(0), make_array((), dtype, rng=rng), name="0-d")]


def _scatter_value_samples(dtype):
    out = _scatter_samples(dtype, repeats=False)
    x, _, index, _ = out[1].args
    value = 2.5 if dtype.kind == "f" else True if dtype.kind == "b" else 3
    return out + [Sample(x, 1, index, value, name="a number"), Sample(x, 1, index, value=value, name="value=")]


def _scatter_reduce_samples(dtype):
    out = []
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            for s in _scatter_samples(dtype)[:2]:
                out.append(Sample(*s.args, reduce, include_self=include_self, name=reduce))
    out.append(Sample(*_scatter_samples(dtype)[4].args, "sum", name="0-d"))
    if dtype.kind == "f":  # NaN propagates, infinities meet finite values and each other
        x = np.array([[np.nan, 1.0, np.inf, -np.inf], [0.0, -0.0, 2.0, np.inf]], dtype)
        src = np.array([[1.0, np.nan, -np.inf, 0.0]], dtype)
        out += [Sample(x, 0, np.array([[1, 0, 1, 1]]), src, reduce, include_self=include_self, name="special",
                       grad=False, special=True) for reduce in ("sum", "prod", "mean", "amax", "amin")
                for include_self in (True, False)]
    return [s for s in out if not (dtype.kind == "b" and s.args[4] == "mean")]


def _index_add_ref(x, dim, index, source, alpha=1):
    out = x.astype(np.int64) if x.dtype == np.bool_ else x.copy()  # bools: an or
    moved = np.moveaxis(out, dim, 0)
    for k, i in enumerate(index.reshape(-1)):
        moved[i] += np.moveaxis(source, dim, 0)[k] * alpha
    return out.astype(x.dtype)


def _index_add_samples(dtype):
    rng = _rng("index_add", str(dtype))
    x = make_array((3, 4), dtype, rng=rng)
    alpha = 2.5 if dtype.kind == "f" else 2
    out = [Sample(x, 0, _index(2, 0, 2), make_array((3, 4), dtype, rng=rng)),
           Sample(x, 1, _index(3, 1), make_array((3, 2), dtype, rng=rng)),
           Sample(x, -1, _index(0), make_array((3, 1), dtype, rng=rng), alpha=alpha),
           Sample(x, 0, _index(), np.zeros((0, 4), dtype))]
    return [s for s in out if not (dtype.kind == "b" and s.kwargs)]


def _scatter_errors(*extra):
    """An index out of range (above, negative) and a float index: RuntimeError, as PyTorch."""
    x = np.ones((2, 3))
    return [ErrorInput(Sample(x, 1, np.array([[3]]), *extra), RuntimeError, ""),
            ErrorInput(Sample(x, 1, np.array([[-1]]), *extra), RuntimeError, ""),
            ErrorInput(Sample(x, 1, np.array([[0.0]]), *extra), RuntimeError, "")]


SELECTING = [
    OpInfo("index_select", _index_select_ref, _index_select_samples, torch="torch.index_select",
           variants=forms("index_select"), kink="repeated indices accumulate their gradients",
           kink_grads=[(Sample(f64(1.0, 2.0, 3.0), 0, _index(0, 2, 0)), g(2, 0, 1))],
           errors=[ErrorInput(Sample(np.ones(3), 0, _index(3)), IndexError, ""),
                   ErrorInput(Sample(np.ones(3), 0, np.array([[0]])), IndexError, ""),
                   ErrorInput(Sample(np.float64(1.0), 0, _index(0, 0)), RuntimeError, "")]),
    OpInfo("masked_select", _masked_select_ref, _masked_select_samples, torch="torch.masked_select",
           variants=forms("masked_select"), kink="a broadcast tensor gets the gradients of all its copies",
           errors=[ErrorInput(Sample(np.ones(3), np.ones(3)), RuntimeError, "bool"),
                   ErrorInput(Sample(np.ones(3), np.ones(2, bool)), RuntimeError, "")]),
    OpInfo("nonzero", _nonzero_ref, _nonzero_samples, torch="torch.nonzero", dtype_rule=index_result, grad_order=0,
           variants=forms("nonzero") + tuple(Variant(v, when=lambda s: not s.kwargs) for v in forms("argwhere"))),
    OpInfo("scatter", _scatter_ref, _scatter_value_samples, torch="torch.scatter", variants=forms("scatter"),
           kink="the tensor gets no gradient where written; src gets the gradient read at its places",
           notes="where an index repeats, one of the writes wins (PyTorch does not say which): the samples avoid it",
           errors=_scatter_errors(np.ones((1, 1))) + [
               ErrorInput(Sample(np.ones((2, 3)), 1, np.array([[0]]), np.ones((1, 1), np.float32)), RuntimeError,
                          "")]),
    OpInfo("scatter_add", _scatter_add_ref, _scatter_samples, torch="torch.scatter_add", variants=forms("scatter_add"),
           kink="repeated places accumulate", errors=_scatter_errors(np.ones((1, 1)))),
    OpInfo("scatter_reduce", _scatter_reduce_ref, _scatter_reduce_samples, torch="torch.scatter_reduce",
           variants=forms("scatter_reduce"),
           kink="amax/amin: ties share the gradient equally (with the tensor's own value when include_self); prod is "
                "exact at zeros",
           kink_grads=[(Sample(f64(1.0, 5.0), 0, _index(0, 0), f64(1.0, 1.0), "amax"), (g(1 / 3, 1), g(1 / 3, 1 / 3))),
                       (Sample(f64(2.0, 3.0), 0, _index(0, 0), f64(0.0, 4.0), "prod"), (g(0, 1), g(8, 0)))],
           errors=_scatter_errors(np.ones((1, 1)), "sum") + [
               ErrorInput(Sample(np.ones((2, 3)), 1, np.array([[0]]), np.ones((1, 1)), "maximum"), RuntimeError, "")]),
    OpInfo("index_add", _index_add_ref, _index_add_samples, torch="torch.index_add", variants=forms("index_add"),
           kink="repeated indices accumulate",
           errors=[ErrorInput(Sample(np.ones((2, 3)), 0, _index(2), np.ones((1, 3))), (IndexError, RuntimeError), ""),
                   ErrorInput(Sample(np.ones((2, 3)), 0, _index(0), np.ones((2, 3))), RuntimeError, "")]),
]


# ============================================================================ running reductions
def _running(fn):
    def ref(x, dim):
        return fn(x.reshape(1), axis=0).reshape(()) if x.ndim == 0 else fn(x, axis=dim)

    return ref


def _running_extreme_ref(better):
    def ref(x, dim):
        flat = x.reshape(1) if x.ndim == 0 else x
        d = dim % flat.ndim
        values = better.accumulate(flat, axis=d)
        new = (flat == values) | (np.isnan(flat) if flat.dtype.kind == "f" else False)
        positions = np.arange(flat.shape[d]).reshape((-1,) + (1,) * (flat.ndim - d - 1))
        indices = np.maximum.accumulate(np.where(new, positions, 0), axis=d)
        # once NaN, the value stays NaN and so does the index NaN came from
        if flat.dtype.kind == "f":
            seen = np.maximum.accumulate(np.where(np.isnan(flat), positions, -1), axis=d)
            values = np.where(seen >= 0, np.nan, values)
            indices = np.where(seen >= 0, seen, indices)
        return values.reshape(x.shape), indices.reshape(x.shape).astype(np.int64)

    return ref


def _running_samples(low=-3.0, high=3.0, *, ints=True):
    def samples(dtype):
        rng = _rng("running", str(dtype), low)
        out = [Sample(make_array(s, dtype, low, high, rng=rng), d)
               for s, d in [((5,), 0), ((2, 3), 1), ((2, 3), 0), ((2, 3, 2), -1), ((), 0), ((0, 3), 1), ((2, 0), 0)]]
        if dtype.kind == "f":
            rows = np.array([[np.nan, 1.0, 2.0], [1.0, np.inf, 0.0], [-np.inf, 1.0, -np.inf], [2.0, 2.0, 1.0],
                             [0.0, -0.0, 3.0]], dtype)
            out.append(Sample(rows, 1, name="NaN, inf and ties", grad=False, special=True))
        elif ints:
            out.append(Sample(special_values(dtype).reshape(1, -1), 1, name="integer extremes", special=True))
        return out

    return samples


def _cumprod_zeros(dtype):
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0]]).astype(dtype)
    return [Sample(x, 1, name="zeros")] if dtype.kind == "f" else []


def _distinct(samples):
    """cummax/cummin: float samples without ties (a tie is the kink)."""

    def out(dtype):
        result = samples(dtype)
        for s in result:
            x = s.arrays()[0]
            if dtype.kind == "f" and len(np.unique(x)) != x.size:
                s.grad = False
        return result

    return out


def _running_extreme(name, better):
    return OpInfo(name, _running_extreme_ref(better), _distinct(_running_samples()), torch=f"torch.{name}",
                  variants=forms(name), dtype_rule=lambda x, *a, **k: (x.dtype, np.dtype(np.int64)),
                  kink="a tie takes the later index, and each value's gradient goes to the element it came from",
                  kink_grads=[(Sample(f64(1.0, 3.0, 3.0, 2.0) * (1 if name == "cummax" else -1), 0), g(1, 1, 2, 0))],
                  errors=[ErrorInput(Sample(np.ones((2, 3)), 2), IndexError, "")])


RUNNING = [
    OpInfo("cumprod", _running(np.cumprod),
           lambda d: _running_samples(-2, 2)(d) + _cumprod_zeros(d), torch="torch.cumprod", dtype_rule=integer_sum,
           variants=forms("cumprod"), kink="exact at zeros: ∂/∂xᵢ = Σ_{j ≥ i} g_j·Π_{k ≤ j, k ≠ i} x_k",
           kink_grads=[(Sample(f64(2.0, 0.0, 3.0), 0), g(1, 8, 0))]),
    _running_extreme("cummax", np.maximum),
    _running_extreme("cummin", np.minimum),
    OpInfo("logcumsumexp", _running(np.logaddexp.accumulate), _running_samples(ints=False),
           torch="torch.logcumsumexp", dtypes=FLOATS, variants=forms("logcumsumexp"),
           errors=[ErrorInput(Sample(np.array([1, 2]), 0), RuntimeError, "")]),
]


# ============================================================================ repeating, grids, statistics
def _repeat_interleave_ref(x, repeats=None, dim=None):
    if repeats is None:  # repeat_interleave(counts): each position i counts[i] times
        return np.repeat(np.arange(x.size), x.reshape(-1))
    return np.repeat(x.reshape(1) if x.ndim == 0 and dim is not None else x, repeats, axis=dim)


def _repeat_interleave_samples(dtype):
    rng = _rng("repeat_interleave", str(dtype))
    x = make_array((2, 3), dtype, rng=rng)
    out = [Sample(x, 2), Sample(x, 2, 1), Sample(x, _index(1, 0, 2), 1), Sample(x, _index(3, 1), dim=0),
           Sample(make_array((), dtype, rng=rng), 3), Sample(np.zeros((0, 2), dtype), 2, 0)]
    if dtype == np.int64:
        out.append(Sample(_index(1, 0, 2), name="counts alone"))
    return out


def _meshgrid_samples(dtype):
    rng = _rng("meshgrid", str(dtype))
    a, b, c = (make_array((n,), dtype, rng=rng) for n in (3, 2, 4))
    return [Sample(a, b), Sample(a, b, indexing="xy"), Sample(a, b, c), Sample(a, b, c, indexing="xy"), Sample(a),
            Sample(a, make_array((), dtype, rng=rng)), Sample(a, np.zeros((0,), dtype))]


def _stat_mean_ref(stat):
    def ref(x, dim=None, **kwargs):
        keep = kwargs.get("keepdim", False)
        return stat(x, dim, keep, **{k: v for k, v in kwargs.items() if k != "keepdim"}), \
            R.reduction(np.mean)(x, dim, keep)

    return ref


def _stat_mean_samples(dtype):
    rng = _rng("stat_mean", str(dtype))
    x = make_array((3, 4), dtype, rng=rng)
    return [Sample(x), Sample(x, 1), Sample(x, 0, keepdim=True), Sample(x, (0, 1), correction=0),
            Sample(x, 1, unbiased=False), Sample(make_array((5,), dtype, rng=rng), 0, correction=2),
            Sample(np.zeros((0, 3), dtype), 1),
            Sample(np.array([[np.nan, 1.0, 2.0], [1.0, 1.0, 1.0]], dtype), 1, name="NaN and ties", grad=False,
                   special=True),
            # PyTorch's mean here is Welford's running one: ±inf followed by a finite value gives NaN (torch.mean
            # and ours give ±inf): an accident of its algorithm, not cross-checked
            Sample(np.array([[np.inf, 1.0, 2.0], [1.0, 2.0, np.inf], [-np.inf, -np.inf, 0.0]], dtype), 1, name="inf",
                   grad=False, special=True, extension=True)]


STAT_MEAN_NOTE = ("the mean is mean()'s: with ±inf in a row it is ±inf (or NaN for inf and -inf), where PyTorch's "
                  "running (Welford) mean gives NaN once a finite value follows the infinity")


def _pair_dtype(x, *args, **kwargs):
    return x.dtype, x.dtype


REPEATS_GRIDS_STATS = [
    OpInfo("repeat_interleave", _repeat_interleave_ref, _repeat_interleave_samples, torch="torch.repeat_interleave",
           variants=("tinygrad_np.repeat_interleave",
                     Variant("Tensor.repeat_interleave", when=lambda s: len(s.args) > 1)),
           kink="each copy's gradient goes back to its element",
           errors=[ErrorInput(Sample(np.ones(3), _index(1, 2)), RuntimeError, ""),
                   ErrorInput(Sample(np.ones(3), _index(1, -1, 2)), RuntimeError, "")]),
    OpInfo("meshgrid", lambda *xs, indexing="ij": tuple(np.meshgrid(*xs, indexing=indexing)), _meshgrid_samples,
           torch="torch.meshgrid", variants=("tinygrad_np.meshgrid",),
           dtype_rule=lambda *xs, **k: (xs[0].dtype,) * len(xs),
           errors=[ErrorInput(Sample(np.ones(2), np.ones(2, np.float32)), RuntimeError, ""),
                   ErrorInput(Sample(np.ones((2, 2))), RuntimeError, "")]),
    OpInfo("var_mean", _stat_mean_ref(R.variance), _stat_mean_samples, torch="torch.var_mean", dtypes=FLOATS,
           variants=("tinygrad_np.var_mean",), dtype_rule=_pair_dtype, notes=STAT_MEAN_NOTE),
    OpInfo("std_mean", _stat_mean_ref(R.std), _stat_mean_samples, torch="torch.std_mean", dtypes=FLOATS,
           variants=("tinygrad_np.std_mean",), dtype_rule=_pair_dtype, notes=STAT_MEAN_NOTE),
]

# ============================================================================ more PyTorch names
def _int64(*args, **kwargs):
    return np.dtype(np.int64)


def _predicate(name, ref):
    return OpInfo(name, ref, unary_samples(), torch=f"torch.{name}", variants=forms(name), dtype_rule=bool_result,
                  grad_order=0)


def _logical(name, ufunc):
    return OpInfo(name, ufunc, binary_samples(scalars=(2, 0, True)), torch=f"torch.{name}", variants=forms(name),
                  dtype_rule=bool_result, grad_order=0)


def _nan_rows(dtype):
    if dtype.kind != "f":
        return []
    x = np.array([[1.0, np.nan, 2.5], [np.nan, np.nan, np.nan], [-1.0, 0.5, 4.0]], dtype)
    return [Sample(x, 1, name="NaN rows", grad=False), Sample(x, dim=0, keepdim=True, name="NaN columns", grad=False),
            Sample(x, name="NaN, all", grad=False)]  # (finite differences are NaN at NaN: kink_grads check those)


def _nan_reduction(name, ref, **kw):
    return OpInfo(name, R.reduction(ref), reduction_samples(extra=_nan_rows), torch=f"torch.{name}",
                  variants=forms(name), **kw)


def _nanmean_ref(x, axis=None, keepdims=False):
    """nansum / count in x's dtype, as PyTorch computes it (the sum accumulated in float64, then rounded)."""
    total = np.nansum(x.astype(np.float64), axis=axis, keepdims=keepdims).astype(x.dtype)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return total / np.sum(~np.isnan(x), axis=axis, keepdims=keepdims).astype(x.dtype)


def _nan_to_num_ref(x, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf) if x.dtype.kind == "f" else x.copy()


def _nan_to_num_samples(dtype):
    out = unary_samples()(dtype)
    if dtype.kind == "f":
        out.append(Sample(np.array([np.nan, np.inf, -np.inf, 1.5], dtype), nan=2.0, posinf=9.0, neginf=-9.0,
                          name="replacements", grad=False))
    return out


def _movedim_ref(x, source, destination):
    return np.moveaxis(x, source, destination) if x.ndim else x.copy()  # (dim 0 of a 0-d tensor is itself)


def _count_nonzero_ref(x, dim=None):
    return np.asarray(np.count_nonzero(x, axis=R.axes_of(dim, None, x.ndim)), np.int64)


PYTORCH_NAMES = [
    _predicate("isposinf", lambda x: np.isposinf(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool)),
    _predicate("isneginf", lambda x: np.isneginf(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool)),
    _predicate("signbit", lambda x: np.signbit(x) if x.dtype != np.bool_ else np.zeros(x.shape, bool)),
    _predicate("logical_not", np.logical_not),
    _logical("logical_and", np.logical_and),
    _logical("logical_or", np.logical_or),
    _logical("logical_xor", np.logical_xor),
    OpInfo("count_nonzero", _count_nonzero_ref,
           lambda d: [Sample(make_array((2, 3), d) * (np.arange(6) % 2).reshape(2, 3).astype(d)),
                      Sample(make_array((2, 3), d), 1), Sample(make_array((2, 3, 2), d), (0, 2)),
                      Sample(np.zeros((0, 3), d), 1), Sample(np.zeros((), d))],
           torch="torch.count_nonzero", variants=forms("count_nonzero"), dtype_rule=_int64, grad_order=0),
    OpInfo("nan_to_num", _nan_to_num_ref, _nan_to_num_samples, torch="torch.nan_to_num", variants=forms("nan_to_num"),
           dtype_rule=same_dtype, ref_upcast=False,  # (the default replacements are the dtype's own extremes)
           kink="the gradient passes where the input is finite, 0 at NaN and ±inf",
           kink_grads=[(Sample(f64(1.0, np.nan, np.inf, -2.0)), g(1, 0, 0, 1))]),
    _nan_reduction("nansum", np.nansum, dtype_rule=integer_sum, kink="the gradient is 0 at NaN",
                   kink_grads=[(Sample(f64(1.0, np.nan, 2.0)), g(1, 0, 1))]),
    _nan_reduction("nanmean", _nanmean_ref, dtypes=FLOATS, ref_upcast=False,
                   kink="the gradient is 1/(number of values not NaN), 0 at NaN",
                   kink_grads=[(Sample(f64(1.0, np.nan, 2.0)), g(0.5, 0, 0.5))]),
    OpInfo(
        "movedim", _movedim_ref,
        lambda d: [Sample(make_array((2, 3, 4), d), 0, 2), Sample(make_array((2, 3, 4), d), (0, 1), (2, 0)),
                   Sample(make_array((2, 3, 4), d), -1, 0), Sample(make_array((), d), 0, 0),
                   Sample(make_array((0, 2), d), 1, 0)],
        torch="torch.movedim", variants=forms("movedim") + forms("moveaxis"),
        errors=[ErrorInput(Sample(np.ones((2, 3)), (0, 1), 0), TypeError, ""),
                ErrorInput(Sample(np.ones((2, 3)), (0, 1), (1,)), RuntimeError, ""),
                ErrorInput(Sample(np.ones((2, 3)), 2, 0), IndexError, "")]),
    OpInfo("ravel", np.ravel, lambda d: [Sample(make_array((2, 3), d)), Sample(make_array((), d)),
                                         Sample(np.zeros((0, 2), d))], torch="torch.ravel", variants=forms("ravel")),
    OpInfo("mv", np.matmul, lambda d: [Sample(make_array((2, 3), d), make_array((3,), d)),
                                       Sample(np.zeros((0, 2), d), make_array((2,), d))],
           torch="torch.mv", dtypes=(np.float32, np.float64, np.int64), variants=forms("mv"), dtype_rule=promoted,
           errors=[ErrorInput(Sample(np.ones((2, 3)), np.ones((3, 1))), RuntimeError, "")]),
    OpInfo("addmm", lambda c, a, b, beta=1, alpha=1: (beta * c if beta else 0) + alpha * (a @ b),
           lambda d: [Sample(make_array((2, 4), d), make_array((2, 3), d), make_array((3, 4), d)),
                      Sample(make_array((4,), d), make_array((2, 3), d), make_array((3, 4), d), beta=2, alpha=3),
                      Sample(make_array((2, 4), d), make_array((2, 3), d), make_array((3, 4), d), beta=0, grad=False)],
           torch="torch.addmm", dtypes=(np.float32, np.float64, np.int64), variants=forms("addmm"),
           dtype_rule=promoted, errors=[ErrorInput(Sample(np.ones((3, 3)), np.ones((2, 3)), np.ones((3, 4))),
                                                   RuntimeError, "")]),
]

OPS = (ELEMENTWISE + BINARY + CLOSE_AND_CLAMP + BITWISE + MATRICES + SHAPES + SELECTING + RUNNING + REPEATS_GRIDS_STATS
       + PYTORCH_NAMES)
