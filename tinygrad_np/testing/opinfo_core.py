"""The op database, part 1: Tensor methods and ``tinygrad_np.*`` functions (see ``opinfo``)."""

from __future__ import annotations

import numpy as np

from . import opinfo
from . import references as R
from .opinfo import (
    ALL_DTYPES,
    FLOATS,
    INTEGERS,
    ErrorInput,
    OpInfo,
    Raw,
    Sample,
    Variant,
    binary_samples,
    bool_result,
    extension_where,
    fixed,
    float_promoted,
    index_result,
    integer_sum,
    make_array,
    numpy_names,
    promoted,
    reduction_samples,
    same_dtype,
    special_values,
    tuple_dim,
    unary_samples,
)

NO_BOOL = FLOATS + INTEGERS
SIGNED = FLOATS + tuple(d for d in INTEGERS if d.kind == "i")


def forms(name, *, method=True, function=True, functional=False, numpy=None, extra=()):
    """The usual spellings of an op: ``t.name()``, ``tinygrad_np.name(t)``, ``F.name(t)``, ``np.<numpy>(t)``."""
    out = ([f"Tensor.{name}"] if method else []) + ([f"tinygrad_np.{name}"] if function else [])
    out += [f"F.{name}"] if functional else []
    out += [f"np.{numpy}"] if numpy else []
    return tuple(out) + tuple(extra)


def operator_forms(name, dunder, *, numpy=None, reflected=True, inplace=False, function=True):
    """A binary operator's spellings: ``t.name(o)``, ``t + o``, ``o + t``, ``tinygrad_np.name``, NumPy's ufunc,
    and, for ops whose result keeps the first operand's dtype, ``t.name_(o)`` and ``t += o``."""
    out = [f"Tensor.{name}", f"Tensor.__{dunder}__"] + ([f"Tensor.__r{dunder}__"] if reflected else [])
    out += [f"tinygrad_np.{name}"] if function else []
    out += [f"np.{numpy}"] if numpy else []
    out += [f"Tensor.{name}_", f"Tensor.__i{dunder}__"] if inplace else []
    return tuple(out)


def promoted_from(first):
    """Promotion of the operands from position ``first`` on (where's branches, not its condition)."""

    def rule(*args, **kwargs):
        return promoted(*args[first:])

    return rule


def g(*values):
    return np.array(values, dtype=np.float64)


def f64(*values):
    return np.array(values, dtype=np.float64)


# ============================================================================ elementwise, one input
def _float_unary(name, ref, low=-3.0, high=3.0, *, numpy=None, functional=False, kinks=(), int_low=None, extra=None,
                 **kw):
    return OpInfo(name, ref, unary_samples(low, high, kinks=kinks, int_low=int_low, extra=extra), torch=f"torch.{name}",
                  variants=forms(name, numpy=numpy, functional=functional), dtype_rule=float_promoted, **kw)


ELEMENTWISE = [
    _float_unary("exp", np.exp, numpy="exp"),
    _float_unary("expm1", np.expm1, numpy="expm1"),
    _float_unary("log", np.log, 0.1, 10.0, numpy="log"),
    _float_unary("log1p", np.log1p, -0.9, 5.0, numpy="log1p", int_low=0),
    _float_unary("sqrt", np.sqrt, 0.1, 10.0, numpy="sqrt"),
    _float_unary("rsqrt", lambda x: 1 / np.sqrt(x), 0.2, 5.0),
    _float_unary("sin", np.sin, numpy="sin"),
    _float_unary("cos", np.cos, numpy="cos"),
    _float_unary("tanh", np.tanh, numpy="tanh", functional=True),
    _float_unary("sigmoid", R.sigmoid, -30.0, 30.0, functional=True, extra=lambda d: [
        Sample(np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0], d), name="extreme")] if d.kind == "f"
                 else []),
    _float_unary("erf", R.erf),
    _float_unary("reciprocal", np.reciprocal, -3.0, 3.0, kinks=(0.0,)),
    OpInfo("neg", np.negative, unary_samples(), torch="torch.neg", dtypes=NO_BOOL,
           variants=("Tensor.neg", "Tensor.__neg__", "tinygrad_np.neg", "np.negative"),
           errors=[ErrorInput(Sample(np.array([True, False])), RuntimeError, "bool")]),
    OpInfo("positive", R.positive, unary_samples(), torch="torch.positive", dtypes=NO_BOOL,
           variants=("Tensor.__pos__",)),
    OpInfo("abs", np.abs, unary_samples(kinks=(0.0,)), torch="torch.abs", dtypes=NO_BOOL,
           variants=("Tensor.abs", "Tensor.__abs__", "tinygrad_np.abs", "tinygrad_np.absolute", "np.abs"),
           kink="abs'(0) = 0", kink_grads=[(Sample(f64(-1.5, 0.0, -0.0, 2.0)), g(-1, 0, 0, 1))]),
    OpInfo("relu", lambda x: np.maximum(x, 0), unary_samples(kinks=(0.0,)), torch="torch.relu", dtypes=NO_BOOL,
           variants=forms("relu", functional=True),
           kink="relu'(0) = 0", kink_grads=[(Sample(f64(-1.0, 0.0, 2.0)), g(0, 0, 1))]),
    OpInfo("leaky_relu", lambda x, negative_slope=0.01: np.where(x > 0, x, x * negative_slope),
           unary_samples(kinks=(0.0,), extra=lambda d: [Sample(make_array((2, 3), d, away=(0.0,)), 0.2),
                                                        Sample(make_array((4,), d, away=(0.0,)), negative_slope=0.3)]),
           torch="torch.nn.functional.leaky_relu", dtypes=FLOATS, variants=forms("leaky_relu", functional=True),
           kink="leaky_relu'(0) = negative_slope",
           kink_grads=[(Sample(f64(-1.0, 0.0, 2.0), 0.2), g(0.2, 0.2, 1))]),
    OpInfo("square", np.square, unary_samples(), torch="torch.square", variants=forms("square"),
           dtype_rule=lambda x: np.dtype(np.int64) if x.dtype == np.bool_ else x.dtype),
]


def _rounding(name, ref, kinks, numpy=None, extra_variants=(), **kw):
    return OpInfo(name, ref, unary_samples(kinks=kinks, **kw.pop("sample_kw", {})), torch=f"torch.{name}",
                  dtypes=NO_BOOL, variants=forms(name, numpy=numpy) + tuple(extra_variants),
                  kink="piecewise constant: the gradient is 0 everywhere, also at the jumps",
                  kink_grads=[(Sample(f64(*kinks[2:5])), np.zeros(3))], **kw)


INTEGERS_AND_HALVES = tuple(np.arange(-3.0, 3.5, 1.0)), tuple(np.arange(-3.5, 4.0, 1.0))


def _round_extra(dtype):
    if dtype.kind != "f":
        return []
    x = make_array((2, 3), dtype, away=tuple(np.arange(-3.05, 3.1, 0.1)))
    halves = np.array([0.125, 2.5, -0.5, 1.5, 14.0, 25.0], dtype)
    return [Sample(x, decimals=1), Sample(halves, decimals=-1, grad=False),
            Sample(x, 1, name="round(t, 1)", extension=True)]  # Python's round(); PyTorch wants decimals=


ROUNDING = [
    _rounding("floor", np.floor, INTEGERS_AND_HALVES[0], numpy="floor"),
    _rounding("ceil", np.ceil, INTEGERS_AND_HALVES[0], numpy="ceil"),
    _rounding("trunc", np.trunc, INTEGERS_AND_HALVES[0], numpy="trunc"),
    _rounding("round", lambda x, decimals=0: np.round(x, decimals), INTEGERS_AND_HALVES[1],
              extra_variants=(Variant("Tensor.__round__", when=lambda s: not s.kwargs),),
              sample_kw={"extra": _round_extra}),
    OpInfo("sign", R.sign, unary_samples(kinks=(0.0,)), torch="torch.sign", variants=forms("sign", numpy="sign"),
           kink="piecewise constant: the gradient is 0 everywhere, also at 0",
           kink_grads=[(Sample(f64(-1.0, 0.0, 2.0)), np.zeros(3))]),
]


def _tests(name, ref, variants=None):
    return OpInfo(name, ref, unary_samples(), torch=f"torch.{name}", variants=variants or forms(name),
                  dtype_rule=bool_result, grad_order=0)


PREDICATES = [_tests("isnan", np.isnan), _tests("isinf", np.isinf), _tests("isfinite", np.isfinite)]


# ---------------------------------------------------------------------------- clip
def _clip_samples(dtype):
    bounds = [(-0.73, 0.61), (None, 0.37), (-0.29, None), (-1.5, 1.5)]
    out = []
    for low, high in bounds:
        kinks = tuple(b for b in (low, high) if b is not None)
        x = make_array((2, 3), dtype, -2, 2, away=kinks, gap=0.05)
        if dtype.kind != "f":  # integer bounds (unsigned: not below 0, which PyTorch would wrap)
            low, high = (None if b is None else max(int(np.floor(b)), 0 if dtype.kind == "u" else -9) for b in
                         (low, high))
        out.append(Sample(x, low, high))
        out.append(Sample(x, min=low, max=high, name="keywords"))
    one = np.ones((), dtype)
    out += [Sample(one, 0, 2), Sample(np.zeros((0, 2), dtype), 0, 1)]
    if dtype.kind == "f":
        out.append(Sample(special_values(dtype, (-0.5, 0.5)), -0.5, 0.5, name="special", grad=False, special=True))
        out.append(Sample(make_array((4,), dtype), 0.5, -0.5, name="min > max", grad=False))
    else:
        out.append(Sample(special_values(dtype), 0, 1, name="integer extremes", special=True))
        out.append(Sample(make_array((3,), dtype), 0.5, 2.5, name="float bounds"))
    return out


def _clip_ref(x, min=None, max=None):
    out = x if min is None else np.maximum(x, min)
    return out if max is None else np.minimum(out, max)


def _clip_dtype(x, min=None, max=None):
    return promoted(x, *(b for b in (min, max) if b is not None))


CLIP = OpInfo("clamp", _clip_ref, _clip_samples, torch="torch.clamp", dtypes=NO_BOOL, dtype_rule=_clip_dtype,
              variants=forms("clamp") + forms("clip") + ("np.clip",),
              kink="the gradient passes where min ≤ x ≤ max (bounds included); min > max gives max everywhere",
              kink_grads=[(Sample(f64(-2.0, -1.0, 0.0, 1.0, 2.0), -1.0, 1.0), g(0, 1, 1, 1, 0)),
                          (Sample(f64(-1.0, 0.0, 1.0), min=0.0), g(0, 1, 1))],
              errors=[ErrorInput(Sample(f64(1.0, 2.0)), (ValueError, RuntimeError), "min")])


# ============================================================================ two inputs
def _quotient_off_integers(a, b):
    with np.errstate(all="ignore"):
        q = np.asarray(a, np.float64) / np.asarray(b, np.float64)
    return np.all(np.abs(q - np.round(q)) > 0.02)


def _pow_samples(dtype):
    """Positive bases for gradients (x ** y is real there); integer exponents never negative (PyTorch
    raises); special pairs include 0 ** 0, 0 ** -1, inf ** 0, NaN ** 0 and (-8) ** (1/3)."""
    if dtype.kind == "f":
        out = binary_samples(0.5, 3.0, low_b=-2.0, high_b=2.0,
                             scalars=(2, 3, -1, -2, 1, 0.5, -0.5, 1.5, 2.5, -1.25, 0))(dtype)
        negative = make_array((2, 3), dtype, -3, 3, away=(0.0,), gap=0.5)
        out.append(Sample(negative, Raw(np.array([2.0, 3.0, -1.0], dtype)), name="negative bases, integer exponents"))
        out += [Sample(negative, c, name="negative bases, integer exponents") for c in (2, 3, -1, -2)]
        out.append(Sample(np.array([-8.0, -1.0], dtype), 1 / 3, name="negative base, fractional exponent",
                          grad=False, special=True))
        for sample in out:  # 0 or a negative number to a real power: no gradient to check
            if isinstance(sample.args[0], (int, float)) and sample.args[0] <= 0:
                sample.grad = False
        return out
    out = binary_samples(0, 3, low_b=0, high_b=3, scalars=(2, 0, 3), special=False)(dtype)
    s = special_values(dtype)
    exponents = np.tile(np.array([0, 1, 2, 3], dtype), len(s))
    out.append(Sample(np.repeat(s, 4), exponents, name="integer extremes", special=True))
    return out


ARITHMETIC = [
    OpInfo("add", np.add, binary_samples(), torch="torch.add", dtype_rule=promoted,
           variants=operator_forms("add", "add", numpy="add", inplace=True)),
    OpInfo("sub", np.subtract, binary_samples(scalars=(2, -1.5, 2.5), mixed_with=(np.float32, np.int64)),
           torch="torch.sub", dtype_rule=promoted,
           dtypes=NO_BOOL,
           variants=operator_forms("sub", "sub", numpy="subtract", inplace=True),
           errors=[ErrorInput(Sample(np.array([True]), np.array([False])), RuntimeError, "bool")]),
    OpInfo("mul", np.multiply, binary_samples(), torch="torch.mul", dtype_rule=promoted,
           variants=operator_forms("mul", "mul", numpy="multiply", inplace=True)),
    OpInfo("div", np.true_divide, binary_samples(b_away=(0.0,)), torch="torch.div", dtype_rule=float_promoted,
           variants=operator_forms("div", "truediv", numpy="true_divide", inplace=True)[:-1] + ("Tensor.__itruediv__",
                                                                                                 "Tensor.true_divide",
                                                                                                 "tinygrad_np.true_divide"),
           errors=[ErrorInput(Sample(f64(1.0, 2.0), f64(1.0, 2.0, 3.0)), RuntimeError, "")]),
    OpInfo("floor_divide", R.floor_divide,
           binary_samples(b_away=(0.0,), nonzero_int_divisor=True, grad_ok=_quotient_off_integers,
                          mixed_with=(np.float32, np.int64)), torch="torch.floor_divide", dtype_rule=promoted,
           dtypes=NO_BOOL,
           variants=operator_forms("floor_divide", "floordiv", numpy="floor_divide"),
           kink="piecewise constant: the gradient is 0 for both operands, also at the jumps (PyTorch has no "
                "derivative for floor_divide: its backward raises)",
           kink_grads=[(Sample(f64(1.0, -2.0), f64(0.5, 1.0)), (np.zeros(2), np.zeros(2)))]),
    OpInfo("remainder", R.remainder,
           binary_samples(b_away=(0.0,), nonzero_int_divisor=True, grad_ok=_quotient_off_integers,
                          mixed_with=(np.float32, np.int64)), torch="torch.remainder", dtype_rule=promoted,
           dtypes=NO_BOOL,
           variants=operator_forms("remainder", "mod", numpy="remainder"),
           kink="a % b has the sign of b; ∂/∂a = 1 and ∂/∂b = −floor(a/b), also at the jumps"),
    OpInfo("pow", np.power, _pow_samples,
           torch="torch.pow", dtype_rule=promoted, dtypes=NO_BOOL, variants=operator_forms("pow", "pow", numpy="power"),
           kink="at a base of 0: ∂/∂a = 0 where b = 0, ∂/∂b = 0 where b ≥ 0 (PyTorch's values)",
           kink_grads=[(Sample(f64(0.0, 0.0, 0.0), f64(0.0, 2.0, 0.5)), (g(0, 0, np.inf), g(0, 0, 0)))]),
]


def _ties(dtype):
    """Pairs with equal elements (ties are maximum's kinks)."""
    return [Sample(np.array([1, 2, 3], dtype), np.array([1, 5, 3], dtype), name="ties", grad=False)]


def _max_samples(dtype):
    away = binary_samples()(dtype)
    return away + _ties(dtype)


def _maximum(name, fn):
    return OpInfo(name, fn, _max_samples, torch=f"torch.{name}", dtype_rule=promoted,
                  variants=forms(name, numpy=name),
                  kink="ties share the gradient equally: ∂/∂a = ∂/∂b = g/2 where a = b",
                  kink_grads=[(Sample(f64(1.0, 2.0, 3.0), f64(1.0, 5.0, 3.0)),
                               (g(0.5, 0, 0.5), g(0.5, 1, 0.5)) if name == "maximum" else (g(0.5, 1, 0.5),
                                                                                            g(0.5, 0, 0.5)))])


def _comparison(name, dunder, ufunc):
    return OpInfo(name, ufunc, binary_samples(), torch=f"torch.{name}", dtype_rule=bool_result, grad_order=0,
                  variants=(f"Tensor.{name}", f"Tensor.__{dunder}__", f"tinygrad_np.{name}", f"np.{ufunc.__name__}"))


COMPARISONS = [_comparison("eq", "eq", np.equal), _comparison("ne", "ne", np.not_equal),
               _comparison("lt", "lt", np.less), _comparison("le", "le", np.less_equal),
               _comparison("gt", "gt", np.greater), _comparison("ge", "ge", np.greater_equal)]


def _bitwise_samples(dtype):
    out = binary_samples(-8, 8, scalars=(3, True), mixed_with=(np.int64, np.bool_))(dtype)
    return [s for s in out if not any(isinstance(a, float) for a in s.args)]


BITWISE = [
    OpInfo("bitwise_and", np.bitwise_and, _bitwise_samples, torch="torch.bitwise_and", dtypes=INTEGERS + (np.bool_,),
           dtype_rule=promoted, grad_order=0, variants=("Tensor.__and__", "Tensor.bitwise_and", "Tensor.__rand__"),
           errors=[ErrorInput(Sample(f64(1.0), f64(2.0)), RuntimeError, "")]),
    OpInfo("bitwise_or", np.bitwise_or, _bitwise_samples, torch="torch.bitwise_or", dtypes=INTEGERS + (np.bool_,),
           dtype_rule=promoted, grad_order=0, variants=("Tensor.__or__", "Tensor.bitwise_or", "Tensor.__ror__"),
           errors=[ErrorInput(Sample(f64(1.0), f64(2.0)), RuntimeError, "")]),
    OpInfo("bitwise_not", np.invert, unary_samples(-8, 8), torch="torch.bitwise_not", dtypes=INTEGERS + (np.bool_,),
           grad_order=0, variants=("Tensor.__invert__", "Tensor.bitwise_not"),
           errors=[ErrorInput(Sample(f64(1.0)), (TypeError, RuntimeError), "")]),
]


def _where_samples(dtype):
    rng = np.random.default_rng(3)
    out = []
    for sc, sa, sb in [((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), ()), ((3,), (2, 1), (1, 3)), ((), (), ()),
                       ((0, 2), (2,), (1, 2))]:
        out.append(Sample(rng.random(sc) < 0.5, make_array(sa, dtype, rng=rng), make_array(sb, dtype, rng=rng)))
    cond = np.array([True, False, True])
    out += [Sample(cond, make_array((3,), dtype, rng=rng), 0.5, name="scalar branch"),
            Sample(cond, -2, make_array((3,), dtype, rng=rng), name="scalar branch"),
            Sample(np.array([1, 0, 2]), make_array((3,), dtype, rng=rng), make_array((3,), dtype, rng=rng),
                   name="integer condition", extension=True)]
    if dtype.kind == "f":
        s = special_values(dtype)
        out.append(Sample(np.arange(len(s)) % 2 == 0, s, s[::-1].copy(), name="special", grad=False, special=True))
    return out


WHERE = OpInfo("where", R.where, _where_samples, torch="torch.where", dtype_rule=promoted_from(1),
               variants=("tinygrad_np.where", Variant("Tensor.where", order=(1, 0, 2)), "np.where"),
               kink="the condition gets no gradient; each branch gets g where it was chosen, 0 elsewhere")


def _masked_fill_samples(dtype):
    rng = np.random.default_rng(4)
    out = [Sample(make_array((2, 3), dtype, rng=rng), rng.random((2, 3)) < 0.5, v) for v in (0.0, -1.5, 2)]
    out += [Sample(make_array((2, 3), dtype, rng=rng), np.array([True, False, True]), 1),
            Sample(make_array((), dtype, rng=rng), np.array(True), 3),
            Sample(np.zeros((0, 2), dtype), np.ones(2, bool), 1)]
    return [s for s in out if dtype.kind == "f" or not isinstance(s.args[2], float)]


MASKED_FILL = OpInfo("masked_fill", R.masked_fill, _masked_fill_samples, torch="torch.Tensor.masked_fill",
                     variants=forms("masked_fill"), kink="no gradient where filled")


def _matmul_samples(dtype, shapes=None):
    rng = np.random.default_rng(5)
    shapes = shapes or [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)), ((2, 2, 3), (3, 2)),
                        ((2, 1, 2, 3), (3, 3, 2)), ((0, 3), (3, 2)), ((2, 0), (0, 3))]
    return [Sample(make_array(a, dtype, -2, 2, rng), make_array(b, dtype, -2, 2, rng)) for a, b in shapes]


MATMUL = [
    OpInfo("matmul", np.matmul, _matmul_samples, torch="torch.matmul", dtypes=NO_BOOL, dtype_rule=promoted,
           variants=("tinygrad_np.matmul", "Tensor.matmul", "Tensor.__matmul__", "Tensor.__rmatmul__", "np.matmul"),
           errors=[ErrorInput(Sample(f64(1.0, 2.0), f64(1.0, 2.0, 3.0)), RuntimeError, ""),
                   ErrorInput(Sample(np.float64(1.0), f64(1.0)), RuntimeError, "")]),
    OpInfo("mm", np.matmul, lambda d: _matmul_samples(d, [((2, 3), (3, 4)), ((1, 1), (1, 2)), ((0, 2), (2, 3))]),
           torch="torch.mm", dtypes=NO_BOOL, variants=forms("mm"), dtype_rule=promoted,
           errors=[ErrorInput(Sample(f64(1.0, 2.0), f64(1.0, 2.0)), RuntimeError, "")]),
    OpInfo("bmm", np.matmul, lambda d: _matmul_samples(d, [((2, 2, 3), (2, 3, 4)), ((1, 0, 2), (1, 2, 3))]),
           torch="torch.bmm", dtypes=NO_BOOL, variants=forms("bmm"), dtype_rule=promoted,
           errors=[ErrorInput(Sample(np.ones((2, 3)), np.ones((3, 2))), RuntimeError, "")]),
]

EINSUM_CASES = {  # subscripts -> operand shapes
    "ij,jk->ik": [(2, 3), (3, 4)], "bqd,bkd->bqk": [(2, 3, 4), (2, 2, 4)], "ij->ji": [(2, 3)], "ij->": [(2, 3)],
    "i,j->ij": [(2,), (3,)], "ij,jk,kl->il": [(2, 3), (3, 2), (2, 2)], "ij,ij->ij": [(1, 3), (2, 3)],
    "ij,jk": [(2, 3), (3, 4)], "ijk,k->": [(2, 2, 3), (3,)], "...ij,...jk->...ik": [(2, 3, 4), (4, 2)],
    "b...d,b...d->b...": [(2, 3, 2), (2, 3, 2)], "...,...->...": [(3,), (2, 3)], "ii->i": [(3, 3)], "ii": [(3, 3)],
    "ii,ij->j": [(3, 3), (3, 2)], "bii->bi": [(2, 3, 3)], "i,i->": [(0,), (0,)], "ij->i": [(3, 2)],
    "...ij,...jk": [(2, 1, 3, 2), (3, 2, 2)], "...i->...": [(2, 3)], "i...->...i": [(2, 3, 2)], "iij->j": [(2, 2, 3)],
}


def _einsum_samples(dtype):
    rng = np.random.default_rng(6)
    out = [Sample(spec, *[make_array(s, dtype, -2, 2, rng) for s in shapes], name=spec)
           for spec, shapes in EINSUM_CASES.items()]
    out.append(Sample("ij,jk->ik", [make_array((2, 3), dtype, rng=rng), make_array((3, 2), dtype, rng=rng)],
                      name="operands in a list"))
    return out


EINSUM = OpInfo("einsum", R.einsum, _einsum_samples, torch="torch.einsum", dtypes=FLOATS,
                variants=("tinygrad_np.einsum", Variant("np.einsum", when=lambda s: not isinstance(s.args[1], list))),
                errors=[ErrorInput(Sample("ij,jk->ik", np.ones((2, 3))), RuntimeError, "names 2 operands"),
                        ErrorInput(Sample("ij,jk->ik", np.ones((2, 3)), np.ones((2, 3))), RuntimeError, ""),
                        ErrorInput(Sample("i,jk->ik", np.ones((2, 3)), np.ones((3, 4))), RuntimeError, "dimensions"),
                        ErrorInput(Sample("...ijk->...", np.ones((2, 3))), RuntimeError, "does not fit")])


# ============================================================================ reductions
def _reduction(name, ref, *, numpy=None, dtypes=ALL_DTYPES, dtype_rule=same_dtype, samples=None, function=True, **kw):
    return OpInfo(name, ref, samples or reduction_samples(), torch=f"torch.{name}", dtypes=dtypes,
                  dtype_rule=dtype_rule, variants=forms(name, numpy=numpy, function=function), **kw)


TIE_GRADS = [(Sample(f64(1.0, 3.0, 3.0)), g(0, 0.5, 0.5)),
             (Sample(np.array([[2.0, 2.0, 2.0], [1.0, 5.0, 5.0]]), dim=1), np.array([[1, 1, 1], [0, 1.5, 1.5]]) / 3)]


def _min_ties(grads):
    return [(Sample(-s.args[0], **s.kwargs), e) for s, e in grads]


def _max_dim_kink():
    # PyTorch's max(dim) returns (values, indices): the gradient goes to the returned (first) index
    return [(Sample(np.array([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]]), dim=1), np.array([[0, 1.0, 0], [1.0, 0, 0]]))]


def _max_samples_with_other(dtype):
    out = reduction_samples(distinct=True, empty_all=False)(dtype)
    out.append(Sample(make_array((2, 3), dtype), make_array((3,), dtype), name="other tensor"))
    return out


# PyTorch's max(dim) and prod take one dim (NumPy's tuples are ours), and max(axis=) is NumPy's form
EXTREME_SAMPLES = extension_where(_max_samples_with_other, lambda s: tuple_dim(s) or numpy_names(s))


def _exact_zeros(dtype):
    """A product is a polynomial: its gradient is exact at zeros too, one or two in a row (finite differences agree)."""
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]]) if dtype.kind == "f" else None
    return [] if x is None else [Sample(x.astype(dtype), dim=1, name="zeros"), Sample(x.astype(dtype), name="zeros")]


def _all_any_dtype(x, *args, **kwargs):
    """bool, except that PyTorch keeps uint8 as uint8 (documented in torch.all)."""
    return x.dtype if x.dtype == np.uint8 else np.dtype(np.bool_)


def _logsumexp_extra(dtype):
    if dtype.kind != "f":
        return []
    return [Sample(np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0]], dtype), dim=1, name="extreme",
                   grad=dtype != np.float16),
            # our default is the last dim; PyTorch has no default
            Sample(make_array((2, 3), dtype), name="default dim", extension=True)]


REDUCTIONS = [
    _reduction("sum", R.reduction(np.sum), numpy="sum", dtype_rule=integer_sum),
    _reduction("prod", R.reduction(np.prod), numpy="prod", dtype_rule=integer_sum,
               samples=extension_where(reduction_samples(-2, 2, extra=_exact_zeros), tuple_dim),
               kink="exact at zeros: ∂/∂xᵢ is the product of the other elements",
               kink_grads=[(Sample(np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0]]), dim=1),
                            np.array([[0.0, 6.0, 0.0], [0.0, 0.0, 0.0]]))]),
    _reduction("mean", R.reduction(np.mean), numpy="mean", dtypes=FLOATS,
               errors=[ErrorInput(Sample(np.array([1, 2])), RuntimeError, "")]),
    _reduction("amax", R.reduction(np.max), dtypes=NO_BOOL,
               samples=reduction_samples(distinct=True, empty_all=False),
               kink="ties share the gradient equally", kink_grads=TIE_GRADS,
               errors=[ErrorInput(Sample(np.zeros((0,))), RuntimeError, "")]),
    _reduction("amin", R.reduction(np.min), dtypes=NO_BOOL,
               samples=reduction_samples(distinct=True, empty_all=False),
               kink="ties share the gradient equally", kink_grads=_min_ties(TIE_GRADS),
               errors=[ErrorInput(Sample(np.zeros((0,))), RuntimeError, "")]),
    _reduction("max", R.extreme("max"), dtypes=NO_BOOL, samples=EXTREME_SAMPLES,
               dtype_rule=lambda x, dim=None, *a, **k: (x.dtype, np.dtype(np.int64)) if isinstance(dim, int) and not
               k.get("axis") else promoted(x, dim) if hasattr(dim, "dtype") else x.dtype,
               kink="max(): ties share the gradient equally; max(dim): the returned (first) index gets it",
               kink_grads=TIE_GRADS[:1] + _max_dim_kink(),
               errors=[ErrorInput(Sample(np.zeros((0,))), RuntimeError, "")]),
    _reduction("min", R.extreme("min"), dtypes=NO_BOOL, samples=EXTREME_SAMPLES,
               dtype_rule=lambda x, dim=None, *a, **k: (x.dtype, np.dtype(np.int64)) if isinstance(dim, int) and not
               k.get("axis") else promoted(x, dim) if hasattr(dim, "dtype") else x.dtype,
               kink="min(): ties share the gradient equally; min(dim): the returned (first) index gets it",
               kink_grads=_min_ties(TIE_GRADS[:1] + _max_dim_kink()),
               errors=[ErrorInput(Sample(np.zeros((0,))), RuntimeError, "")]),
    _reduction("argmax", R.arg_extreme(np.argmax), dtypes=NO_BOOL, dtype_rule=index_result, grad_order=0,
               samples=reduction_samples(single_dim=True, empty_all=False),
               errors=[ErrorInput(Sample(np.zeros((0,))), IndexError, "")]),
    _reduction("argmin", R.arg_extreme(np.argmin), dtypes=NO_BOOL, dtype_rule=index_result, grad_order=0,
               samples=reduction_samples(single_dim=True, empty_all=False),
               errors=[ErrorInput(Sample(np.zeros((0,))), IndexError, "")]),
    _reduction("all", R.reduction(np.all), dtype_rule=_all_any_dtype, grad_order=0),
    _reduction("any", R.reduction(np.any), dtype_rule=_all_any_dtype, grad_order=0),
    _reduction("logsumexp", lambda x, dim=-1, keepdim=False, **k: R.reduction(R.logsumexp)(x, dim, keepdim, **k),
               dtype_rule=float_promoted, samples=reduction_samples(dim_required=True, extra=_logsumexp_extra)),
]


def _variance_samples(dtype):
    out = reduction_samples(distinct=True)(dtype)
    x = make_array((3, 4), dtype)
    out += [Sample(x, dim=1, correction=0), Sample(x, dim=0, unbiased=False), Sample(x, 1, ddof=0),
            Sample(x, (0, 1), keepdim=True, correction=2), Sample(make_array((1,), dtype), name="one element")]
    for sample in out:  # one element with correction 1 has no degrees of freedom: NaN, no gradient to check
        if sample.arrays()[0].size == 1:
            sample.grad, sample.name = False, sample.name or "one element"
    return out


VARIANCE = [
    _reduction("var", R.variance, dtypes=FLOATS, samples=_variance_samples),
    _reduction("std", R.std, dtypes=FLOATS, samples=_variance_samples,
               kink="the gradient at zero variance is NaN (sqrt'(0)), as in PyTorch"),
]


def _softmax_samples(dtype):
    rng = np.random.default_rng(7)
    out = [Sample(make_array(s, dtype, rng=rng), d) for s, d in [((5,), 0), ((2, 3), 1), ((2, 3), 0), ((2, 3, 2), -2),
                                                                  ((), 0), ((0, 3), 1), ((2, 0), 1)]]
    out += [Sample(make_array((2, 3), dtype, rng=rng), dim=-1), Sample(make_array((3, 2), dtype, rng=rng), axis=0)]
    if dtype.kind == "f":
        big = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0]], dtype)
        out.append(Sample(big, 1, name="extreme logits", grad=False, special=True))
        out.append(Sample(np.array([[1000.0, -1000.0, 0.0], [-1000.0, -999.5, -999.0]]).astype(dtype)[:, ::-1].copy(),
                          1, name="large logits", extension=dtype == np.float16))
        # the default dim: the last (PyTorch's implicit choice is the same for 1-d and 2-d input)
        out.append(Sample(make_array((2, 3), dtype, rng=rng), name="default dim", extension=True))
        rows = np.array([[np.nan, 1.0, 2.0], [np.inf, 1.0, 2.0], [-np.inf, 1.0, -1.0], [-np.inf, -np.inf, -np.inf]],
                        dtype)
        out.append(Sample(rows, 1, name="NaN and inf", grad=False, special=True))
    return out


def _softmax(name, ref):
    return OpInfo(name, ref, _softmax_samples, torch=f"torch.{name}", dtypes=FLOATS,
                  variants=forms(name, functional=True),
                  errors=[ErrorInput(Sample(np.ones((2, 3)), 2), IndexError, "")])


SOFTMAX = [_softmax("softmax", R.softmax), _softmax("log_softmax", R.log_softmax)]


def _norm_samples(dtype):
    rng = np.random.default_rng(8)
    out = []
    for p in (2, 1, 3, "fro", np.inf, -np.inf, 0.5, 0):
        x = make_array((2, 3), dtype, rng=rng, away=(0.0,), gap=0.3)
        x = x + np.sign(x) * np.arange(6, dtype=np.float64).reshape(2, 3).astype(dtype) * 0.07  # distinct |x|
        out += [Sample(x, p), Sample(x, p, dim=1), Sample(x, p, 0, True)]
    out += [Sample(make_array((), dtype, rng=rng) + 1), Sample(np.zeros((0, 2), dtype), 2, dim=1)]
    out.append(Sample(np.array([[np.nan, 1.0], [np.inf, 1.0]], dtype), dim=1, name="NaN and inf", grad=False,
                      special=True))
    out.append(Sample(np.zeros((2, 2), dtype), dim=1, name="zeros", grad=False, special=True))
    return out


NORM = OpInfo("norm", R.norm, _norm_samples, torch="torch.norm", dtypes=FLOATS, variants=forms("norm"),
              kink="at an all-zero input the gradient is 0 (PyTorch's subgradient)",
              kink_grads=[(Sample(np.array([[3.0, 4.0], [0.0, 0.0]]), p, dim=1), np.array([[g3, g4], [0, 0]]))
                          for p, g3, g4 in [(2, 0.6, 0.8), ("fro", 0.6, 0.8),
                                            (3, 9 / 91 ** (2 / 3), 16 / 91 ** (2 / 3))]])


def _cumsum_samples(dtype):
    rng = np.random.default_rng(9)
    out = [Sample(make_array(s, dtype, rng=rng), d) for s, d in [((5,), 0), ((2, 3), 1), ((2, 3), -2), ((0, 2), 1)]]
    out += [Sample(make_array((2, 3), dtype, rng=rng), dim=1), Sample(make_array((3,), dtype, rng=rng), axis=0),
            Sample(make_array((), dtype, rng=rng), 0, name="0-d")]
    return out


CUMSUM = OpInfo("cumsum", R.cumsum, _cumsum_samples, torch="torch.cumsum", dtype_rule=integer_sum,
                variants=forms("cumsum") + (Variant("np.cumsum", when=lambda s: len(s.args) == 2 or "axis" in
                                                    s.kwargs),),
                errors=[ErrorInput(Sample(np.ones(3)), TypeError, "")])


def _sort_samples(dtype, k=False):
    rng = np.random.default_rng(10)
    out = []
    for shape, dim in [((5,), 0), ((2, 3), 1), ((2, 3), 0), ((2, 3, 2), -1), ((0, 3), 1)]:
        n = int(np.prod(shape))  # distinct values: no ties (PyTorch does not say how it orders them)
        scale = 0.5 if dtype.kind == "f" else 1
        x = np.asarray(rng.permutation(n).reshape(shape) * scale - (0 if dtype.kind in "ub" else n // 2)).astype(dtype)
        for descending in (False, True):
            if k:
                out.append(Sample(x, min(2, shape[dim]), dim, descending))
            else:
                out.append(Sample(x, dim, descending))
    ties = np.array([2, 1, 2, 3, 1], dtype)
    # PyTorch does not promise an order for tied indices (ours is stable, as torch.sort(stable=True))
    out.append(Sample(ties, *((2,) if k else ()), name="ties", grad=False, extension=True))
    out.append(Sample(ties, *((2, 0, True) if k else (0, True)), name="ties, descending", grad=False, extension=True))
    if dtype.kind == "f" and not k:
        out.append(Sample(np.array([1.0, np.nan, -np.inf, np.inf, 0.0], dtype), 0, True, name="special", grad=False,
                          special=True))
        out.append(Sample(np.array([1.0, np.nan, -np.inf, np.inf, 0.0], dtype), name="special", grad=False,
                          special=True))
    if not k:
        out.append(Sample(make_array((), dtype, rng=rng), name="0-d"))
    if dtype.kind == "b":  # bools always tie
        for sample in out:
            sample.extension = True
    return out


SORTING = [
    OpInfo("sort", R.sort, _sort_samples, torch="torch.sort", variants=forms("sort"),
           dtype_rule=lambda x, *a, **k: (x.dtype, np.dtype(np.int64)),
           kink="stable: ties keep their order in both directions; each value's gradient goes back where it came from"),
    OpInfo("argsort", R.argsort, _sort_samples, torch="torch.argsort", variants=forms("argsort"),
           dtype_rule=index_result, grad_order=0),
    OpInfo("topk", R.topk, lambda d: _sort_samples(d, k=True), torch="torch.topk", dtypes=NO_BOOL,
           variants=forms("topk"), dtype_rule=lambda x, *a, **k: (x.dtype, np.dtype(np.int64)),
           errors=[ErrorInput(Sample(np.ones(3), 4), RuntimeError, "")]),
]


# ============================================================================ shapes
def _shape_op(name, ref, samples, variants=None, **kw):
    # PyTorch's method forms take the sizes as separate arguments too (t.reshape(2, 3)), as ours do
    return OpInfo(name, ref, samples, torch=kw.pop("torch", f"torch.Tensor.{name}"), variants=variants or forms(name),
                  **kw)


def _samples_of(*cases):
    """Samples from (shape, args, kwargs) cases, for any dtype."""

    def samples(dtype):
        rng = np.random.default_rng(11)
        return [Sample(make_array(shape, dtype, rng=rng), *args, **kwargs) for shape, args, kwargs in cases]

    return samples


SHAPE_OPS = [
    _shape_op("reshape", lambda x, *shape: x.reshape(R.shape_arg(shape)),
              _samples_of(((2, 3), ((3, 2),), {}), ((2, 3), (6,), {}), ((2, 3), (-1, 2), {}), ((6,), ((1, 2, 3),), {}),
                          ((), ((1, 1),), {}), ((1,), ((),), {}), ((0, 3), (3, -1), {}), ((2, 3), ((2, 3),), {})),
              variants=forms("reshape") + ("Tensor.view", Variant("np.reshape", when=lambda s: len(s.args) == 2)),
              errors=[ErrorInput(Sample(np.ones((2, 3)), 4), RuntimeError, ""),
                      ErrorInput(Sample(np.ones((2, 3)), -1, -1), RuntimeError, "")]),
    _shape_op("flatten", R.flatten, _samples_of(((2, 3, 2), (), {}), ((2, 3, 2), (1,), {}), ((2, 3, 2), (0, -2), {}),
                                                ((), (), {}), ((0, 2), (), {}))),
    _shape_op("permute", R.permute, _samples_of(((2, 3, 4), (2, 0, 1), {}), ((2, 3, 4), ((1, 0, 2),), {}),
                                                ((2, 3), (-1, 0), {}), ((), ((),), {}), ((0, 2), (1, 0), {})),
              errors=[ErrorInput(Sample(np.ones((2, 3)), 0, 0), RuntimeError, ""),
                      ErrorInput(Sample(np.ones((2, 3)), 0), RuntimeError, "")]),
    _shape_op("transpose", R.transpose, extension_where(
        _samples_of(((2, 3, 4), (0, 2), {}), ((2, 3), (-1, -2), {}), ((2, 3), (), {}), ((2, 3, 4), ((2, 0, 1),), {}),
                    ((0, 2), (0, 1), {})), lambda s: len(s.args) != 3),  # NumPy's t.transpose() and t.transpose(perm)
              notes="t.transpose() reverses the dimensions and t.transpose(perm) permutes them, as in NumPy"),
    _shape_op("swapaxes", np.swapaxes, _samples_of(((2, 3, 4), (0, 2), {}), ((2, 3), (1, 0), {})),
              torch="torch.swapaxes", variants=forms("swapaxes", numpy="swapaxes") + forms("swapdims")),
    _shape_op("T", lambda x: x.T, _samples_of(((2, 3), (), {}), ((2, 3, 4), (), {}), ((), (), {}), ((3,), (), {})),
              torch="Tensor.T", variants=("Tensor.T",)),
    _shape_op("t", lambda x: x.T, _samples_of(((2, 3), (), {}), ((3,), (), {}), ((), (), {})), torch="torch.t",
              variants=forms("t"), errors=[ErrorInput(Sample(np.ones((1, 2, 3))), RuntimeError, "")]),
    _shape_op("squeeze", R.squeeze, _samples_of(((1, 3, 1), (), {}), ((1, 3, 1), (0,), {}), ((1, 3, 1), (1,), {}),
                                                ((), (0,), {}),
                                                ((1, 3, 1), ((0, 2),), {}), ((1, 3), (), {"dim": -2}), ((), (), {}),
                                                ((1, 0), (0,), {}))),
    _shape_op("unsqueeze", np.expand_dims, _samples_of(((2, 3), (0,), {}), ((2, 3), (-1,), {}), ((2, 3), (1,), {}),
                                                       ((), (0,), {}), ((0,), (1,), {})),
              variants=forms("unsqueeze", numpy="expand_dims") + ("Tensor.expand_dims",),
              errors=[ErrorInput(Sample(np.ones((2, 3)), 3), IndexError, "")]),
    _shape_op("expand", R.expand, _samples_of(((3, 1), (3, 4), {}), ((3, 1), ((2, 3, 4),), {}), ((1,), (-1,), {}),
                                              ((), (2, 2), {}), ((2, 1), (-1, 0), {}), ((3, 1), (2, -1, 2), {})),
              variants=forms("expand") + ("Tensor.broadcast_to",),
              errors=[ErrorInput(Sample(np.ones((2, 3)), 3, 3), RuntimeError, "")]),
    _shape_op("expand_as", lambda x, other: np.broadcast_to(x, other.shape),
              lambda d: [Sample(make_array((3, 1), d), make_array((2, 3, 4), d), name="other"),
                         Sample(make_array((), d), make_array((2,), d))],
              torch="torch.Tensor.expand_as", variants=("Tensor.expand_as",), nondiff=(1,)),
    _shape_op("flip", R.flip, _samples_of(((2, 3), (0,), {}), ((2, 3), (0, 1), {}), ((2, 3, 2), ((-1, 0),), {}),
                                          ((0, 2), (1,), {})),
              variants=forms("flip") + (Variant("np.flip", when=lambda s: len(s.args) == 2),)),
    _shape_op("repeat", R.repeat, _samples_of(((2, 3), (2, 1), {}), ((3,), (2, 2), {}), ((2, 1), ((1, 3),), {}),
                                              ((), (2,), {}), ((0, 2), (2, 1), {})),
              variants=("Tensor.repeat",), torch="torch.Tensor.repeat",
              errors=[ErrorInput(Sample(np.ones((2, 3)), 2), RuntimeError, "")]),
    _shape_op("split", R.split, _samples_of(((5, 2), (2,), {}), ((5, 2), ([1, 4],), {}), ((2, 5), (3, 1), {}),
                                            ((2, 4), ([2, 0, 2], -1), {}), ((0, 2), (1, 1), {})),
              errors=[ErrorInput(Sample(np.ones((2, 3)), [1, 1], 1), RuntimeError, ""),
                      ErrorInput(Sample(np.ones((2, 3)), 0), RuntimeError, "")]),
    _shape_op("chunk", R.chunk, _samples_of(((5, 2), (2,), {}), ((5, 2), (3,), {}), ((2, 6), (4, 1), {}),
                                            ((2, 6), (6, -1), {}))),
    _shape_op("unbind", R.unbind, _samples_of(((3, 2), (), {}), ((2, 3), (1,), {}), ((2, 3, 2), (-1,), {}),
                                              ((0, 2), (1,), {}))),
    _shape_op("clone", np.copy, _samples_of(((2, 3), (), {}), ((), (), {}), ((0,), (), {})),
              variants=forms("clone")),
]


def _cat_samples(dtype, stack=False):
    rng = np.random.default_rng(12)
    cases = [([(2, 3), (1, 3), (0, 3)], 0), ([(2, 3), (2, 1)], 1), ([(2, 3), (2, 2)], -1), ([(3,)], 0),
             ([(2, 0), (2, 3)], 1)] if not stack else [([(2, 3), (2, 3)], 0), ([(2, 3)] * 3, 2), ([()] * 2, 0),
                                                       ([(2,), (2,)], -1), ([(0, 2)] * 2, 1)]
    out = [Sample([make_array(s, dtype, rng=rng) for s in shapes], dim) for shapes, dim in cases]
    out.append(Sample([make_array(s, dtype, rng=rng) for s in cases[1][0]], dim=cases[1][1]))
    return out


def _mixed_cat(dtype):
    return [Sample([np.ones((1, 2), dtype), np.ones((1, 2), np.float32)], 0, name="mixed dtypes", grad=False)]


def _cat_dtype(tensors, *args, **kwargs):
    return promoted(*tensors)


JOINING = [
    OpInfo("cat", lambda xs, dim=0: np.concatenate(xs, axis=dim), lambda d: _cat_samples(d) + _mixed_cat(d),
           torch="torch.cat", variants=("tinygrad_np.cat", "tinygrad_np.concatenate", "np.concatenate"),
           dtype_rule=_cat_dtype,
           errors=[ErrorInput(Sample([np.ones((2, 3)), np.ones((2, 2))], 0), RuntimeError, ""),
                   ErrorInput(Sample([]), ValueError, ""),
                   ErrorInput(Sample([np.float64(1.0)]), RuntimeError, "")]),
    OpInfo("stack", lambda xs, dim=0: np.stack(xs, axis=dim), lambda d: _cat_samples(d, stack=True),
           torch="torch.stack", variants=("tinygrad_np.stack", "np.stack"), dtype_rule=_cat_dtype,
           errors=[ErrorInput(Sample([np.ones((2, 3)), np.ones((2, 2))]), RuntimeError, "")]),
]


def _pad_samples(dtype):
    rng = np.random.default_rng(13)
    out = []
    for shape, pad, value in [((2, 3), (1, 2), 0.0), ((2, 3), (1, 0, 0, 2), 1.5), ((2, 3, 2), (0, 1), -2),
                              ((3,), (2, 2), 0.0), ((2, 3), ((1, 0), (0, 2)), 0.5), ((0, 2), (1, 1), 0.0)]:
        value = value if dtype.kind == "f" else abs(int(value)) if dtype.kind == "u" else int(value)
        out.append(Sample(make_array(shape, dtype, rng=rng), pad, value=value, extension=isinstance(pad[0], tuple)))
    return out


PAD = OpInfo("pad", R.pad, _pad_samples, torch="torch.nn.functional.pad", variants=("tinygrad_np.pad", "Tensor.pad"),
             errors=[ErrorInput(Sample(np.ones((2, 3)), (1, 2, 3)), RuntimeError, "")],
             notes="NumPy's ((before, after), ...) pairs are accepted beside PyTorch's flat form")


# ---------------------------------------------------------------------------- indexing
def _getitem_samples(dtype):
    rng = np.random.default_rng(14)
    x = make_array((3, 4), dtype, rng=rng)
    y = make_array((2, 3, 4), dtype, rng=rng)
    cases = [("int", x, 1), ("negative int", x, -1), ("slice, int", x, (slice(None), 2)),
             ("negative step", x, (slice(1, None), slice(None, None, -2))), ("None, ..., int", x, (None, Ellipsis, 1)),
             ("..., slice", y, (Ellipsis, slice(0, 2))), ("repeated indices", x, Raw(np.array([0, 2, 0]))),
             ("two index arrays", x, (np.array([1, 1]), np.array([0, 0]))),
             ("slice, index array", x, (slice(None), np.array([3, 0, 3]))), ("mask", x, Raw(x > 0)),
             ("row mask", x, Raw(np.array([True, False, True]))), ("int, list", x, (1, [0, 2])),
             ("int, slice, list", y, (0, slice(None), [0, 1])), ("list, slice, list", y, ([0, 1], slice(None), [0, 1])),
             ("tensor index", x, np.array([2, 0, 2])), ("slice, tensor index", x, (slice(None), np.array([1, 1]))),
             ("repeated lists", x, ([1, 1], [0, 0])), ("slice, repeated list", x, (slice(None), [0, 0])),
             ("empty slice", x, (slice(0, 0),)), ("0-d, ()", make_array((), dtype, rng=rng), ())]
    return [Sample(a, i, name=name, extension=name == "negative step") for name, a, i in cases]


INDEXING = [
    OpInfo("getitem", R.getitem, _getitem_samples, torch="Tensor.__getitem__", variants=("Tensor.__getitem__",),
           kink="repeated indices accumulate their gradients",
           kink_grads=[(Sample(f64(1.0, 2.0, 3.0), Raw(np.array([0, 2, 0, 0]))), g(3, 0, 1))],
           errors=[ErrorInput(Sample(np.ones((2, 3)), 5), IndexError, "")]),
]


def _gather_samples(dtype):
    rng = np.random.default_rng(15)
    x = make_array((3, 4), dtype, rng=rng)
    return [Sample(x, 1, np.array([[0, 0], [3, 1], [2, 2]])), Sample(x, 0, np.array([[2, 0, 1, 1]])),
            Sample(x, -1, np.array([[1], [0]])),
            Sample(make_array((2, 2, 3), dtype, rng=rng), 2, np.zeros((2, 1, 2), int)),
            Sample(x, 1, np.zeros((3, 0), int))]


INDEXING.append(
    OpInfo("gather", lambda x, dim, index: R.gather(x, dim, index), _gather_samples, torch="torch.gather",
           variants=forms("gather"), kink="repeated indices accumulate their gradients",
           errors=[ErrorInput(Sample(np.ones((2, 3)), 1, np.array([[-1], [0]])), RuntimeError, ""),
                   ErrorInput(Sample(np.ones((2, 3)), 1, np.array([[3], [0]])), RuntimeError, ""),
                   ErrorInput(Sample(np.ones((2, 3)), 1, np.zeros((3, 1), int)), RuntimeError, ""),
                   ErrorInput(Sample(np.ones((2, 3)), 0, np.zeros(2, int)), RuntimeError, "")]))


# ============================================================================ dtype conversions
def _exact_halves(dtype):
    """Values exactly representable in float16 (multiples of 2^-10 in (-1, 1)), so that a finite
    difference of step 1/16 through a float16 or float32 round trip is exact."""
    rng = np.random.default_rng(16)
    out = [Sample((np.round(rng.uniform(-0.9, 0.9, s) * 1024) / 1024).astype(dtype)) for s in [(), (5,), (2, 3)]]
    if dtype.kind != "f":
        out = [Sample(make_array(s, dtype, rng=rng)) for s in [(), (5,), (2, 3)]]
    out.append(Sample(np.zeros((0, 2), dtype)))
    return out


def _exact_upstream(shape, rng):
    return np.round(rng.uniform(-0.9, 0.9, shape) * 1024) / 1024


def _cast(name, target, **kw):
    grad = 2 if np.dtype(target).kind == "f" else 0
    return OpInfo(name, lambda x: x.astype(target), _exact_halves, torch=f"torch.Tensor.{name}",
                  variants=(f"Tensor.{name}",), dtype_rule=fixed(target), grad_order=grad, grad_eps=1 / 16,
                  upstream=_exact_upstream, gradgrad_fast=False, **kw)


def _astype_samples(dtype):
    base = _exact_halves(dtype)
    return [Sample(s.args[0], t) for s in base for t in ("float64", np.float32)] + \
           [Sample(base[2].args[0], "int64", name="to an integer", grad=False)]


CASTS = [
    _cast("double", np.float64),
    _cast("float", np.float32),
    _cast("half", np.float16),
    _cast("long", np.int64),
    _cast("int", np.int32),
    _cast("bool", np.bool_),
    OpInfo("astype", lambda x, dtype: x.astype(dtype), _astype_samples, torch="torch.Tensor.to",
           variants=("Tensor.astype", "Tensor.to", "Tensor.type"),
           dtype_rule=lambda x, dtype: np.dtype(dtype), grad_order=2, grad_eps=1 / 16, upstream=_exact_upstream,
           gradgrad_fast=False,
           kink="a cast to an integer or bool dtype ends the graph (no gradient), as in PyTorch"),
]

# ============================================================================ known differences from PyTorch
# Each is a strict expected failure (see opinfo.KnownFailure): the note must go when the op is fixed.
# None is left: the last ones (max/min and softmax over empty dims, norm(p=0)) were fixed.


def _known(*notes):
    return [opinfo.KnownFailure(*n[:2], **(n[2] if len(n) > 2 else {})) for n in notes]


KNOWN: dict = {}
# ============================================================================ in place, outside the graph
def _fill_samples(dtype):
    rng = np.random.default_rng(17)
    value = 2.5 if dtype.kind == "f" else True if dtype.kind == "b" else 3
    return [Sample(make_array((2, 3), dtype, rng=rng), value), Sample(make_array((), dtype, rng=rng), value),
            Sample(make_array((2, 3), dtype, rng=rng), np.array(value, dtype), name="a 0-d tensor value"),
            Sample(np.zeros((0, 2), dtype), value)]


def _copy_samples(dtype):
    rng = np.random.default_rng(18)
    out = [Sample(make_array((2, 3), dtype, rng=rng), make_array((2, 3), dtype, rng=rng)),
           Sample(make_array((2, 3), dtype, rng=rng), make_array((3,), dtype, rng=rng), name="broadcast source")]
    if dtype.kind == "f":
        out.append(Sample(make_array((2, 2), dtype, rng=rng), make_array((2, 2), np.float64, rng=rng),
                          name="float64 source"))
    return out


def _setitem_samples(dtype):
    rng = np.random.default_rng(19)
    x = make_array((3, 4), dtype, rng=rng)
    value = make_array((), dtype, rng=rng).item()
    return [Sample(x, 1, value), Sample(x, (slice(None), 0), make_array((3,), dtype, rng=rng)),
            Sample(x, Raw(x > 0), value, name="mask"),
            Sample(x, Raw(np.array([0, 2])), make_array((2, 4), dtype, rng=rng))]


IN_PLACE = [
    OpInfo("fill_", lambda x, value: np.full_like(x, value), _fill_samples, torch="torch.Tensor.fill_",
           variants=("Tensor.fill_",), grad_order=0, notes="in place, outside the graph (on a tensor with no grad_fn)"),
    OpInfo("zero_", np.zeros_like, unary_samples(special=False), torch="torch.Tensor.zero_", variants=("Tensor.zero_",),
           grad_order=0, notes="in place, outside the graph"),
    OpInfo("copy_", R.copy, _copy_samples, torch="torch.Tensor.copy_", variants=("Tensor.copy_",), grad_order=0,
           notes="in place, outside the graph; the source is cast and broadcast to the tensor"),
    OpInfo("setitem", R.setitem, _setitem_samples, torch="Tensor.__setitem__", variants=("Tensor.__setitem__",),
           grad_order=0, notes="t[index] = value, in place, outside the graph"),
]

OPS = (ELEMENTWISE + ROUNDING + PREDICATES + [CLIP] + ARITHMETIC + [_maximum("maximum", np.maximum),
                                                                     _maximum("minimum", np.minimum)]
       + COMPARISONS + BITWISE + [WHERE, MASKED_FILL] + MATMUL + [EINSUM] + REDUCTIONS + VARIANCE + SOFTMAX
       + [NORM, CUMSUM] + SORTING + SHAPE_OPS + JOINING + [PAD] + INDEXING + CASTS + IN_PLACE)
for _op in OPS:
    _op.known_failures += tuple(KNOWN.get(_op.name, ()))
assert set(KNOWN) <= {op.name for op in OPS}, set(KNOWN) - {op.name for op in OPS}
