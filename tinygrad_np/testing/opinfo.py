"""The op database: one entry per public op, from which the generic tests are derived.

Each :class:`OpInfo` says, once, everything a test needs to know about an op:

* how to call it: its *variants* (``"Tensor.exp"``, ``"tinygrad_np.exp"``, ``"F.relu"``,
  ``"Tensor.__add__"``, the reflected ``"Tensor.__radd__"``, the in-place ``"Tensor.add_"`` and
  NumPy's spelling ``"np.exp"``, which reaches the op through ``__array_ufunc__``);
* its NumPy/SciPy reference, called on the same arguments as NumPy arrays;
* its sample inputs for a dtype: broadcasting shapes, 0-d and empty shapes, and (as *special*
  samples) 0, -0, ±inf, NaN, ties, values at and beside its kinks, integer extremes;
* the dtypes it supports, the dtype of its result (PyTorch's promotion rules, see
  :func:`torch_result_type`), whether it is differentiable once or twice, its convention at the
  kinks (as text, and as ``kink_grads``: inputs with the gradient expected there), and the
  error class of invalid input.

``tests/test_opinfo.py`` sweeps every entry through forward values, result dtypes, special values,
empty and 0-d shapes, gradcheck/gradgradcheck, the create_graph path, input mutation and errors;
a coverage test there fails when a public op has no entry. ``docs/ops.md`` is generated from the
table (``python docs/scripts/make_ops_page.py``); ``python -m benchmarks.crosscheck_opinfo`` checks the
table and the library against PyTorch.

Adding an op: append an ``OpInfo`` to ``opinfo_core.py``, ``opinfo_surface.py`` or ``opinfo_nn.py`` (many examples
there); most ops need only a reference, a sample family (:func:`unary_samples`, :func:`binary_samples`,
:func:`reduction_samples`, or a small function of the dtype returning :class:`Sample` objects) and
their variants. Write values that PyTorch gives; where this library still differs, say so with a
:class:`KnownFailure` (a strict expected failure: the test fails again once the op is fixed, so the
note cannot outlive the bug).

Samples are deterministic (a fixed seed per entry and dtype) so the whole sweep runs in about a
minute; hypothesis-based tests of single ops remain available through ``op_property_test``.
"""

from __future__ import annotations

import zlib

import numpy as np

from ..dtypes import DEFAULT_FLOAT

__all__ = [
    "OpInfo", "Sample", "Raw", "ErrorInput", "KnownFailure", "Variant", "op_db",
    "FLOATS", "INTEGERS", "ALL_DTYPES", "torch_result_type", "unary_samples", "binary_samples",
    "reduction_samples", "make_array", "extension_where",
]

FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
INTEGERS = tuple(np.dtype(t) for t in (np.uint8, np.int8, np.int16, np.int32, np.int64))
BOOL = np.dtype(np.bool_)
ALL_DTYPES = FLOATS + INTEGERS + (BOOL,)
FLOAT64 = np.dtype(np.float64)


# ============================================================================ samples
class Raw:
    """An argument passed to the op exactly as it is (an array stays a NumPy array: a constant
    operand, as in ``ndarray + tensor``); other arrays in a sample become Tensors."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"Raw({self.value!r})"


class Sample:
    """One call of an op: positional ``args`` and keyword ``kwargs``.

    NumPy arrays among the args (also inside lists and tuples, as for ``cat``) become Tensors;
    float ones require grad in the gradient tests. Wrap an argument in :class:`Raw` to pass it
    unchanged. ``grad=False`` keeps a sample out of the gradient checks (values at kinks, poles or
    infinities); ``special=True`` marks samples of special values (NaN, ±inf, ±0, ties, kinks,
    integer extremes), checked by their own test. ``extension=True`` marks a call PyTorch does not
    accept or does not define (NumPy's ``axis=``, a negative slice step, the order of tied indices):
    checked against the reference like any other, but not cross-checked against PyTorch.
    """

    __slots__ = ("args", "kwargs", "name", "grad", "special", "extension")

    def __init__(self, *args, name: str = "", grad: bool = True, special: bool = False, extension: bool = False,
                 **kwargs):
        # a NumPy scalar (what arithmetic on a 0-d array gives) means a 0-d array; Raw(np.float64(2))
        # passes a NumPy scalar itself
        args = _walk(args, lambda a: a, lambda v: np.asarray(v) if isinstance(v, np.generic) else v)
        self.args, self.kwargs, self.name, self.grad, self.special = args, kwargs, name, grad, special
        self.extension = extension

    def arrays(self) -> list:
        """The arrays that become Tensors, in order."""
        found = []
        _walk(self.args, lambda a: found.append(a) or a)
        return found

    @property
    def is_empty_or_0d(self) -> bool:
        return any(a.size == 0 or a.ndim == 0 for a in self.arrays())

    def op_args(self, make_tensor) -> tuple:
        """The args with each array replaced by ``make_tensor(array)`` and each Raw unwrapped."""
        return _walk(self.args, make_tensor)

    def reference_args(self, upcast: bool, ints_too: bool = False) -> tuple:
        """The args for the reference: copies of the arrays (floats in float64 if ``upcast``; with
        ``ints_too`` integers and bools as well, by way of the default float, which is what an op that
        turns them into floats computes with: sin(2**31 - 1) is sin(2**31) in float32)."""

        def convert(a):
            if upcast and a.dtype.kind == "f":
                return a.astype(FLOAT64)
            if ints_too and a.dtype.kind in "biu":
                return a.astype(DEFAULT_FLOAT).astype(FLOAT64)
            return a.copy()

        return _walk(self.args, convert)

    def describe(self) -> str:
        def show(v):
            if isinstance(v, np.ndarray):
                return f"{v.dtype}{list(v.shape)}"
            if isinstance(v, (list, tuple)):
                return "[" + ", ".join(show(x) for x in v) + "]"
            return repr(v.value if isinstance(v, Raw) else v)

        parts = [show(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.name + ': ' if self.name else ''}({', '.join(parts)})"

    __repr__ = describe


def _walk(value, fn, other=None):
    """``value`` with ``fn`` applied to each array (in lists and tuples too), Raw values unwrapped
    (unless ``other`` is given: then ``other`` is applied to every non-array leaf, Raw included)."""
    if isinstance(value, Raw):
        return value.value if other is None else other(value)
    if isinstance(value, np.ndarray):
        return fn(value)
    if isinstance(value, tuple):
        return tuple(_walk(v, fn, other) for v in value)
    if isinstance(value, list):
        return [_walk(v, fn, other) for v in value]
    return value if other is None else other(value)


class ErrorInput:
    """An invalid call and the exception PyTorch raises for it (``error``: the class that user code
    catches, e.g. ``RuntimeError``; ``match``: a regular expression the message must contain)."""

    __slots__ = ("sample", "error", "match")

    def __init__(self, sample: Sample, error: type, match: str = ""):
        self.sample, self.error, self.match = sample, error, match


class KnownFailure:
    """A check this op does not pass yet, with the reason (an issue reference).

    ``check`` is the name of a check (``forward``, ``dtype``, ``special``, ``empty_and_0d``,
    ``gradcheck``, ``gradgradcheck``, ``create_graph``, ``errors``, ``kinks``, ``no_grad``); ``dtypes``
    limits it to some dtypes, and ``samples`` (a predicate on :class:`Sample`, or a sample name) to
    some samples. Known failures are strict: the check still runs and must fail where the note says
    (so the note goes as soon as the op is fixed), and must pass everywhere else."""

    __slots__ = ("check", "dtypes", "reason", "samples", "instead")

    def __init__(self, check: str, reason: str, dtypes=None, samples=None, instead=None):
        # instead (errors only): the class raised today; the check then requires exactly that, so an
        # error that stops being raised at all is still caught
        self.check, self.reason, self.instead = check, reason, instead
        self.dtypes = None if dtypes is None else tuple(np.dtype(d) for d in dtypes)
        if isinstance(samples, str):
            name = samples
            samples = lambda s: s.name == name  # noqa: E731
        self.samples = samples

    def applies(self, check: str, dtype=None, sample=None) -> bool:
        """Whether it covers this check and dtype; with ``sample``, whether it covers that sample (a note
        without a sample predicate covers the whole check, and is not asked about single samples)."""
        if check != self.check or not (self.dtypes is None or dtype is None or np.dtype(dtype) in self.dtypes):
            return False
        if self.instead is not None:  # (check_errors handles these itself)
            return False
        if sample is None:
            return self.samples is None
        return self.samples is not None and bool(self.samples(sample))

    def covers(self, sample) -> bool:
        return self.samples is None or bool(self.samples(sample))


def _seed(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def make_array(shape, dtype, low=-3.0, high=3.0, rng=None, *, away=(), gap=0.1) -> np.ndarray:
    """A deterministic array of ``dtype``: floats uniform in [low, high], integers in the dtype's part
    of [ceil(low), floor(high)], random bools. ``away``: float values are moved at least ``gap`` away
    from these points (the op's kinks), so finite differences never straddle one."""
    dtype = np.dtype(dtype)
    rng = rng if rng is not None else _seed(shape, str(dtype), low, high)
    if dtype.kind == "b":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        lo, hi = max(int(np.ceil(low)), int(info.min)), min(int(np.floor(high)), int(info.max))
        return np.asarray(rng.integers(lo, max(lo, hi) + 1, size=shape), dtype=dtype)
    x = np.asarray(rng.uniform(low, high, shape))
    for k in away:
        near = np.abs(x - k) < gap
        x = np.where(near, k + np.where(x >= k, gap, -gap) * (1.5 + rng.random(np.shape(x))), x)
    return np.asarray(x).astype(dtype)


def special_values(dtype, kinks=(), domain=None) -> np.ndarray:
    """The values every op must handle as PyTorch does: for floats 0, -0, ±1, ±inf, NaN, the kinks
    and values 1e-3 beside them (and the domain's bounds); for integers 0, ±1 and the dtype's extremes."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return np.array([False, True])
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        values = [0, 1, 2, info.max, info.min] + ([] if dtype.kind == "u" else [-1, -2, info.min + 1])
        return np.array(values, dtype=dtype)
    values = [0.0, -0.0, 1.0, -1.0, 0.5, np.inf, -np.inf, np.nan]
    for k in kinks:
        values += [k, k - 1e-3, k + 1e-3]
    if domain is not None:
        values += [v for v in domain if np.isfinite(v)]
    return np.array(values, dtype=dtype)


# ---------------------------------------------------------------------------- sample families
SHAPES = [(), (5,), (2, 3)]
EMPTY_SHAPES = [(0,), (2, 0)]


def unary_samples(low=-3.0, high=3.0, *, kinks=(), int_low=None, int_high=None, extra=None, special=True,
                  empty=True):
    """Samples of a one-tensor op: 0-d, 1-d and 2-d values in [low, high] (away from ``kinks``),
    empty shapes, and the special values (with the kinks). ``extra(dtype)`` adds samples (keyword
    arguments, say)."""

    def samples(dtype):
        rng = _seed("unary", str(dtype), low, high)
        lo = low if int_low is None else int_low
        hi = high if int_high is None else int_high
        out = [Sample(make_array(s, dtype, *((low, high) if dtype.kind == "f" else (lo, hi)), rng, away=kinks))
               for s in SHAPES]
        if empty:
            out += [Sample(np.zeros(s, dtype)) for s in EMPTY_SHAPES]
        if special:
            out.append(Sample(special_values(dtype, kinks, (low, high)), name="special", grad=False, special=True))
        if extra is not None:
            out += extra(dtype)
        return out

    return samples


BINARY_SHAPES = [((), ()), ((4,), ()), ((), (4,)), ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)),
                 ((3, 1, 2), (2, 1))]


def binary_samples(low=-3.0, high=3.0, *, low_b=None, high_b=None, b_away=(), scalars=(2, -1.5, 2.5, True),
                   nonzero_int_divisor=False, grad_ok=None, special=True, mixed_with=(np.float32, np.int64, np.bool_)):
    """Samples of a two-operand op: broadcasting shapes, Python scalars on either side, empty
    shapes, and every pair of special values (0 ** 0, inf - inf, NaN, ties, ...). ``b_away``: the
    second operand keeps 0.5 away from these points (divisors: ``(0,)``). ``nonzero_int_divisor``:
    integer divisors are never 0 (PyTorch raises there). ``grad_ok(a, b)``: False for a pair of float
    arrays too close to a jump for gradient checks. ``mixed_with``: the other dtypes each dtype is
    paired with (PyTorch's promotion), and NumPy arrays are operands too."""
    low_b = low if low_b is None else low_b
    high_b = high if high_b is None else high_b

    def operands(shape_a, shape_b, dtype, rng):
        a = make_array(shape_a, dtype, low, high, rng)
        b = make_array(shape_b, dtype, low_b, high_b, rng, away=b_away, gap=0.5)
        if dtype.kind in "iu" and nonzero_int_divisor:
            b = np.where(b == 0, 1, b).astype(dtype)
        return a, b

    def samples(dtype):
        rng = _seed("binary", str(dtype), low, high, low_b, high_b)
        out = []
        for shape_a, shape_b in BINARY_SHAPES:
            a, b = operands(shape_a, shape_b, dtype, rng)
            out.append(Sample(a, b, grad=grad_ok is None or dtype.kind != "f" or bool(grad_ok(a, b))))
        for c in scalars:
            a, b = operands((2, 2), (3,), dtype, rng)
            out.append(Sample(a, c, name="scalar operand", grad=grad_ok is None or bool(grad_ok(a, c))))
            out.append(Sample(c, b, name="scalar first operand", grad=grad_ok is None or bool(grad_ok(c, b))))
        out += [Sample(*operands((0,), (1,), dtype, rng)), Sample(*operands((2, 0), (2, 1), dtype, rng))]
        a, b = operands((2, 3), (3,), dtype, rng)
        out += [Sample(Raw(a), b, name="ndarray first operand"), Sample(a, Raw(b), name="ndarray operand")]
        for other in mixed_with:  # promotion: another dtype, as a tensor and as a 0-d tensor (which does not upcast)
            other = np.dtype(other)
            if other != dtype:
                b = make_array((3,), other, low_b, high_b, rng, away=b_away, gap=0.5)
                if nonzero_int_divisor:  # either may be the divisor here
                    a, b = (np.where(v == 0, 1, v).astype(v.dtype) if v.dtype.kind in "iu" else v for v in (a, b))
                out += [Sample(a, b, name=f"mixed dtypes ({other})", grad=False),
                        Sample(b, a, name=f"mixed dtypes ({other} first)", grad=False),
                        Sample(a, b[0].copy(), name=f"a 0-d {other} operand", grad=False)]
        if special:
            s = special_values(dtype)
            b = np.tile(s, len(s))
            if dtype.kind in "iu" and nonzero_int_divisor:
                b = np.where(b == 0, 1, b).astype(dtype)
            out.append(Sample(np.repeat(s, len(s)), b, name="special pairs", grad=False, special=True))
        return out

    return samples


REDUCTION_CASES = [((), {}), ((), {"dim": 0}), ((5,), {}), ((5,), {"dim": 0}), ((5,), {"dim": -1, "keepdim": True}),
                   ((2, 3), {}), ((2, 3), {"dim": 1}), ((2, 3), {"dim": 0, "keepdim": True}),
                   ((2, 3, 2), {"dim": (0, 2)}), ((2, 3, 2), {"dim": (-1, 1), "keepdim": True}),
                   ((2, 3), {"axis": 1, "keepdims": True})]


def reduction_samples(low=-3.0, high=3.0, *, single_dim=False, dim_required=False, distinct=False, empty=True,
                      empty_all=True, nan_rows=True, extra=None):
    """Samples of a reduction over ``dim`` (an int or a tuple, with ``keepdim``; NumPy's
    ``axis``/``keepdims`` too): 0-d to 3-d, empty inputs, rows with NaN and ±inf, ties, and a
    float16 sum that only fits when accumulated in float32 (as PyTorch does). ``single_dim``: the op
    takes one dim; ``dim_required``: it has no all-elements form; ``distinct``: values a gap apart
    (ties are the op's kinks); ``empty_all``: include the reduction of a whole empty tensor (max
    has no value there: PyTorch raises)."""

    def samples(dtype):
        rng = _seed("reduction", str(dtype), low, high)
        out = []
        for shape, kwargs in REDUCTION_CASES:
            dim = kwargs.get("dim", kwargs.get("axis"))
            if (single_dim and isinstance(dim, tuple)) or (dim_required and dim is None):
                continue
            if distinct and dtype.kind == "f":
                n = int(np.prod(shape))
                x = np.asarray(rng.permutation(n).reshape(shape) * (high - low) / max(n, 1) + low).astype(dtype)
            else:
                x = make_array(shape, dtype, low, high, rng)
            out.append(Sample(x, **kwargs))
        if empty:
            out += [Sample(np.zeros((2, 0), dtype), dim=0), Sample(np.zeros((0, 3), dtype), dim=1)]
            if empty_all and not dim_required:
                out.append(Sample(np.zeros((0,), dtype)))
        if dtype.kind == "f" and nan_rows:
            rows = np.array([[np.nan, 1.0, 2.0], [np.inf, 1.0, 2.0], [-np.inf, 1.0, -1.0], [np.inf, -np.inf, 0.0],
                             [-np.inf, -np.inf, -np.inf], [1.0, 1.0, 1.0], [0.0, -0.0, 0.0]], dtype=dtype)
            out.append(Sample(rows, dim=1, name="NaN, inf and ties", grad=False, special=True))
        if dtype == np.float16:  # PyTorch accumulates float16 in float32: the sum 2 * 40000 is inf, the mean is not
            out.append(Sample(np.full((4, 2), 4e4, np.float16), dim=0, name="float16 accumulation", grad=False,
                              special=True))
        if dtype.kind in "iu":
            s = special_values(dtype)
            out.append(Sample(s.reshape(1, -1), dim=1, name="integer extremes", grad=False, special=True))
        if dtype.kind == "b":
            out.append(Sample(np.array([[True, False, True], [False, False, False]]), dim=1, special=True))
        if extra is not None:
            out += extra(dtype)
        return out

    return samples


def extension_where(samples, predicate):
    """The sample family with ``extension=True`` on the samples where ``predicate(sample)`` holds."""

    def marked(dtype):
        out = samples(dtype)
        for s in out:
            if predicate(s):
                s.extension = True
        return out

    return marked


def has_number(sample) -> bool:
    """A Python number among the positional arguments (a scalar operand)."""
    return any(isinstance(a, (bool, int, float)) for a in sample.args)


def named(*names):
    """A predicate: the sample has one of these names."""
    return lambda sample: sample.name in names


def tuple_dim(sample) -> bool:
    """A reduction over several dims (NumPy has it for every reduction; PyTorch not for prod, max, ...)."""
    return isinstance(sample.kwargs.get("dim", sample.kwargs.get("axis")), tuple)


def numpy_names(sample) -> bool:
    return "axis" in sample.kwargs or "keepdims" in sample.kwargs


# ============================================================================ dtypes
def _category(dtype) -> int:
    return {"b": 0, "u": 1, "i": 1, "f": 2}[np.dtype(dtype).kind]


def _promote(a, b):
    """PyTorch's promote_types of two dtypes."""
    if a is None:
        return b
    if b is None:
        return a
    a, b = np.dtype(a), np.dtype(b)
    if a.kind == "f" and b.kind != "f":
        return a
    if b.kind == "f" and a.kind != "f":
        return b
    return np.promote_types(a, b)


def torch_result_type(*operands):
    """The dtype PyTorch gives an op of these operands (``torch.result_type``): tensors with
    dimensions decide first, then 0-d tensors, then Python numbers, and a later group only counts
    if it is of a higher category (bool < integer < float). A Python float is the default float
    dtype, a Python int int64. Operands are Tensors, arrays (dtype and ndim) or Python numbers."""
    groups = [None, None, None]  # dimensioned tensors, 0-d tensors, Python numbers
    for x in operands:
        if isinstance(x, bool):
            group, dtype = 2, BOOL
        elif isinstance(x, int):
            group, dtype = 2, np.dtype(np.int64)
        elif isinstance(x, float):
            group, dtype = 2, np.dtype(DEFAULT_FLOAT)
        else:
            group, dtype = (0 if np.ndim(x) else 1), np.dtype(x.dtype)
        groups[group] = _promote(groups[group], dtype)

    def combine(higher, lower):
        if higher is None:
            return lower
        if lower is None or higher.kind == "f":
            return higher
        if higher.kind == "b" or lower.kind == "f":
            return _promote(higher, lower)
        return higher

    return combine(groups[0], combine(groups[1], groups[2]))


def _tensors_and_numbers(args):
    return [a for a in args if hasattr(a, "dtype") or isinstance(a, (bool, int, float))]


def same_dtype(*args, **kwargs):
    """The first tensor's dtype (shape ops, abs, max, ...), also inside a list of tensors."""
    flat = [b for a in args for b in (a if isinstance(a, (list, tuple)) else (a,))]
    return np.dtype(next(a for a in flat if hasattr(a, "dtype")).dtype)


def promoted(*args, **kwargs):
    """PyTorch's promotion of the positional operands (add, mul, maximum, where's branches, ...)."""
    return torch_result_type(*_tensors_and_numbers(args))


def float_promoted(*args, **kwargs):
    """Promotion, then integer and bool results become the default float (exp, div, sigmoid, ...)."""
    dtype = promoted(*args)
    return dtype if dtype.kind == "f" else np.dtype(DEFAULT_FLOAT)


def integer_sum(*args, **kwargs):
    """sum, prod, cumsum: integers and bools accumulate in int64, floats keep their dtype."""
    dtype = same_dtype(*args)
    return dtype if dtype.kind == "f" else np.dtype(np.int64)


def fixed(dtype):
    dtype = np.dtype(dtype)

    def rule(*args, **kwargs):
        return dtype

    rule.__name__ = str(dtype)
    return rule


bool_result, index_result = fixed(np.bool_), fixed(np.int64)


# ============================================================================ variants
class Variant:
    """One way to call an op, named as the user writes it:

    ``"Tensor.exp"`` (a method of the first argument), ``"Tensor.__radd__"`` (a reflected operator:
    a method of the second argument, given the first), ``"Tensor.add_"`` / ``"Tensor.__iadd__"``
    (in place, on a copy of the first argument), ``"tinygrad_np.exp"``, ``"F.relu"``
    (``tinygrad_np.nn.functional``) and ``"np.exp"`` (NumPy's function on Tensors)."""

    def __init__(self, spec, order=None, when=None):
        # order: the sample's args in the order this spelling takes them; when(sample): the samples it can express
        self.order, self.when, self.function = order, when, None
        if callable(spec):  # a function of your own (a custom op, or a deliberately wrong one in a test)
            self.function, self.spec, self.owner, self.name, self.kind = spec, spec.__name__, None, spec.__name__, \
                "function"
            return
        self.spec = spec
        owner, _, name = spec.partition(".")
        self.owner, self.name = owner, name
        if owner == "Tensor":
            reflected = name.startswith("__r") and name not in ("__round__", "__rshift__")
            inplace = (name.endswith("_") and not name.endswith("__")) or name == "__setitem__" or (
                name.startswith("__i") and name not in ("__invert__", "__index__", "__int__"))
            self.kind = "reflected" if reflected else "inplace" if inplace else "method"
        elif owner in ("tinygrad_np", "F", "np"):
            self.kind = "numpy" if owner == "np" else "function"
        else:
            raise ValueError(f"Variant: unknown owner in {spec!r} (Tensor, tinygrad_np, F or np)")

    @property
    def public_name(self):
        """The name the coverage test counts (NumPy spellings and your own functions are not tinygrad_np's names)."""
        return None if self.owner in ("np", None) else self.spec

    def target(self):
        if self.function is not None:
            return self.function
        import tinygrad_np
        import tinygrad_np.nn.functional as F

        return getattr({"Tensor": tinygrad_np.Tensor, "tinygrad_np": tinygrad_np, "F": F, "np": np}[self.owner],
                       self.name)

    def applies(self, sample: Sample) -> bool:
        """Whether this spelling can express the sample (a method needs a tensor first; in place
        needs a result of the first operand's shape and dtype, checked when run)."""
        args = sample.args if self.order is None else tuple(sample.args[i] for i in self.order)
        if self.when is not None and not self.when(sample):
            return False
        if self.kind == "numpy" and not set(sample.kwargs) <= {"axis", "keepdims"}:
            return False  # NumPy's functions take NumPy's names only
        if self.kind in ("method", "inplace"):
            return bool(args) and isinstance(args[0], np.ndarray)
        if self.kind == "reflected":
            return len(args) == 2 and isinstance(args[1], np.ndarray)
        if self.kind == "numpy":
            return any(isinstance(a, np.ndarray) for a in args)
        return True

    def __call__(self, *args, **kwargs):
        fn = self.target()
        if self.order is not None:
            args = tuple(args[i] for i in self.order)
        if isinstance(fn, property):  # t.T
            return fn.fget(*args, **kwargs)
        if self.kind == "function" or self.kind == "numpy":
            return fn(*args, **kwargs)
        if self.kind == "reflected":
            return fn(args[1], args[0], *args[2:], **kwargs)
        return fn(*args, **kwargs)  # an unbound method: Tensor.exp(t, ...)

    def __repr__(self):
        return self.spec if self.order is None else f"{self.spec} (arguments {self.order})"


# ============================================================================ the entry
class OpInfo:
    """Everything the generic tests need to know about one public op.

    Args:
        name: the op's name (the PyTorch name where there is one).
        ref: the NumPy/SciPy reference: takes the sample's arguments as arrays (floats in float64
            unless ``ref_upcast=False``) and the same keyword arguments; returns an array, a
            scalar or a tuple of them. None for ops whose reference is the op's own definition
            (checked by the dedicated tests named in ``notes``).
        samples: ``samples(dtype) -> list[Sample]``.
        variants: the spellings, e.g. ``("Tensor.exp", "tinygrad_np.exp", "np.exp")``; the first
            one is used where one suffices (gradients, errors).
        torch: the PyTorch equivalent, e.g. ``"torch.exp"`` or ``"Tensor.exp"`` (for the docs and
            ``benchmarks/crosscheck_opinfo.py``).
        dtypes: the dtypes PyTorch supports for it (on the CPU).
        dtype_rule: ``rule(*args, **kwargs) -> dtype`` (or a tuple for several outputs) on the
            op's arguments: :func:`same_dtype`, :func:`promoted`, :func:`float_promoted`,
            :func:`integer_sum`, ``bool_result``, ``index_result``.
        grad_order: 0 (no gradient), 1, or 2 (twice differentiable).
        kink: the convention at kinks, as text (docs).
        kink_grads: ``[(Sample, expected_gradients)]``: the gradient (for an upstream gradient of
            ones) at kinks, ties and jumps, which finite differences cannot check.
        errors: invalid calls, as :class:`ErrorInput`.
        tol: ``{dtype: (rtol, atol)}`` overriding :data:`TOLERANCES` for the forward check.
        grad_tol: ``(atol, rtol)`` for gradcheck (default PyTorch's 1e-5, 1e-3).
        grad_eps: the finite-difference step (default 1e-6; casts through float16 use 1/16 on
            float16-exact samples, where the difference is then exact).
        upstream: ``upstream(shape, rng) -> array``, the upstream gradients of gradgradcheck
            (default: standard normal; casts through float16 need float16-exact ones, and the full
            check rather than random directions: ``gradgrad_fast=False``).
        known_failures: :class:`KnownFailure` notes.
        nondiff: positions of float arguments that get no gradient (a mask, say).
        notes: anything the table cannot say (shown in docs/ops.md).
    """

    def __init__(self, name, ref, samples, *, variants, torch=None, dtypes=ALL_DTYPES, dtype_rule=same_dtype,
                 grad_order=2, kink=None, kink_grads=(), errors=(), tol=None, grad_tol=(1e-5, 1e-3), grad_eps=1e-6,
                 upstream=None, gradgrad_fast=True, known_failures=(), ref_upcast=True, nondiff=(), notes=None):
        self.name, self.ref, self.samples = name, ref, samples
        self.variants = tuple(Variant(v) if isinstance(v, str) else v for v in variants)
        if not self.variants:
            raise ValueError(f"OpInfo({name!r}): give at least one variant")
        self.torch = torch
        self.dtypes = tuple(np.dtype(d) for d in dtypes)
        self.dtype_rule, self.grad_order, self.kink = dtype_rule, grad_order, kink
        self.kink_grads, self.errors = tuple(kink_grads), tuple(errors)
        self.tol = {np.dtype(k): v for k, v in (tol or {}).items()}
        self.grad_tol, self.grad_eps, self.known_failures = grad_tol, grad_eps, tuple(known_failures)
        self.upstream, self.gradgrad_fast = upstream, gradgrad_fast
        self.ref_upcast, self.nondiff, self.notes = ref_upcast, tuple(nondiff), notes
        # an op that turns integers into floats (exp, div, ...) is compared with its reference on floats
        self.ref_int_to_float = dtype_rule is float_promoted

    def __repr__(self):
        return f"OpInfo({self.name!r})"

    @property
    def op(self) -> Variant:
        return self.variants[0]

    @property
    def float_dtypes(self):
        return tuple(d for d in self.dtypes if d.kind == "f")

    def known_failure(self, check: str, dtype=None, sample=None):
        """The reason this check is expected to fail (for this dtype, or this sample), or None."""
        for k in self.known_failures:
            if k.applies(check, dtype, sample):
                return k.reason
        return None

    def each(self, check: str, dtype, samples, fn):
        """``fn(sample)`` for every sample; where a known failure covers the sample, ``fn`` must fail."""
        for sample in samples:
            reason = self.known_failure(check, dtype, sample)
            if reason is None:
                fn(sample)
                continue
            try:
                fn(sample)
            except Exception:  # noqa: BLE001 - expected: any failure of the check on this sample
                continue
            raise AssertionError(f"{self.name}: the {check} check passes now on {dtype} sample {sample.describe()}; "
                                 f"remove the KnownFailure ({reason})")

    def tolerance(self, dtype):
        dtype = np.dtype(dtype)
        return self.tol.get(dtype, TOLERANCES.get(dtype, (0, 0)))

    def expected_dtype(self, args, kwargs):
        rule = self.dtype_rule(*args, **kwargs)
        return tuple(np.dtype(d) for d in rule) if isinstance(rule, tuple) else np.dtype(rule)


#: gradcheck builds the full Jacobian for samples of at most this many input elements (random projections above)
FULL_JACOBIAN = 32

#: forward tolerances (rtol, atol) by result dtype; the reference runs in float64 and is rounded to
#: the result dtype first, so these only absorb the op's own rounding (a few ulps)
TOLERANCES = {np.dtype(np.float16): (4e-3, 2e-3), np.dtype(np.float32): (2e-5, 2e-6),
              np.dtype(np.float64): (1e-9, 1e-12)}


_DB = []


def op_db() -> list:
    """The whole table: every entry (core ops, nn.functional, then issue 11 §2's surface), built on first use."""
    if not _DB:
        from . import opinfo_core, opinfo_nn, opinfo_surface

        _DB.extend(opinfo_core.OPS + opinfo_nn.OPS + opinfo_surface.OPS)
    return _DB


def __getattr__(name):
    if name == "OP_DB":  # the entries import their references: built on first use, not on import
        return op_db()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ============================================================================ the checks
# Each takes an entry (and a dtype) and raises AssertionError (GradcheckError for gradients) on the
# first disagreement, naming the variant and the sample. tests/test_opinfo.py runs them for every
# entry; users can run them on entries of their own.
def _tensor_of(array, requires_grad=False):
    from ..tensor import Tensor

    return Tensor(array, requires_grad=requires_grad and array.dtype.kind == "f")


def _outputs(out) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def reference(op: OpInfo, sample: Sample):
    """The reference's outputs for a sample, as a tuple of arrays."""
    args = sample.reference_args(op.ref_upcast, op.ref_int_to_float)
    if op.dtype_rule is promoted:  # integer operands are brought to the result's dtype first, as PyTorch does
        want = op.expected_dtype(sample.op_args(_tensor_of), sample.kwargs)
        if want.kind in "biu":
            args = _walk(args, lambda a: a.astype(want) if a.dtype.kind in "biu" else a)
    with np.errstate(all="ignore"):
        expected = op.ref(*args, **sample.kwargs)
    return tuple(np.asarray(e) for e in _outputs(expected))


def _as_expected(values, dtype):
    with np.errstate(all="ignore"):
        return np.asarray(values).astype(dtype)


def _fail(op, variant, sample, dtype, what):
    raise AssertionError(f"{op.name} via {variant} on {dtype} sample {sample.describe()}: {what}")


def _compare(op, variant, sample, dtype, out, expected, dtypes):
    from ..tensor import Tensor

    outs = _outputs(out)
    if len(outs) != len(expected):
        _fail(op, variant, sample, dtype, f"{len(outs)} outputs, the reference has {len(expected)}")
    for k, (o, e) in enumerate(zip(outs, expected)):
        if not isinstance(o, Tensor):
            _fail(op, variant, sample, dtype, f"output {k} is a {type(o).__name__}, not a Tensor")
        if o.shape != e.shape:
            _fail(op, variant, sample, dtype, f"output {k} has shape {o.shape}, the reference {e.shape}")
        want = dtypes[k] if isinstance(dtypes, tuple) else dtypes
        if want.kind != "f" or o.dtype.kind != "f":
            if not np.array_equal(o.data, _as_expected(e, want)):
                _fail(op, variant, sample, dtype, f"output {k} is\n{o.data}\nthe reference gives\n{e}")
            continue
        rtol, atol = op.tolerance(want)
        ok = np.isclose(o.data.astype(FLOAT64), _as_expected(e, want).astype(FLOAT64), rtol=rtol, atol=atol,
                        equal_nan=True)
        if not ok.all():
            bad = np.argwhere(~ok)[:3].tolist() if ok.ndim else [()]
            got = [o.data[tuple(i)] for i in bad]
            ref = [_as_expected(e, want)[tuple(i)] for i in bad]
            _fail(op, variant, sample, dtype, f"output {k} differs from the reference (rtol={rtol}, atol={atol}) at "
                                              f"{bad}: got {got}, expected {ref}")


def _run_variant(variant, sample, requires_grad=False):
    """Call the variant on Tensors made from the sample; returns (output, tensors, their data before)."""
    tensors = []

    def make(a):
        t = _tensor_of(a, requires_grad)
        tensors.append(t)
        return t

    args = sample.op_args(make)
    before = [t.data.copy() for t in tensors]
    if variant.kind == "inplace":
        from ..autograd import no_grad

        with no_grad(), np.errstate(all="ignore"):
            out = variant(*args, **sample.kwargs)
        if variant.name == "__setitem__":  # t[i] = v returns nothing
            out = args[0]
        if out is not args[0]:
            raise AssertionError(f"{variant} did not return the tensor it changed")
        return out, tensors[1:], before[1:]
    with np.errstate(all="ignore"):
        return variant(*args, **sample.kwargs), tensors, before


def _check_unchanged(op, variant, sample, dtype, tensors, before, when="forward"):
    for i, (t, b) in enumerate(zip(tensors, before)):
        if t.data.shape != b.shape or not np.array_equal(t.data, b, equal_nan=True):
            _fail(op, variant, sample, dtype, f"the {when} changed input tensor {i}")


def _inplace_fits(sample, expected, dtype_rule_result) -> bool:
    """Whether the result can be written into the first operand (same shape and dtype), as in place needs."""
    first = sample.args[0]
    return (len(expected) == 1 and expected[0].shape == first.shape and not isinstance(dtype_rule_result, tuple)
            and dtype_rule_result == first.dtype)


def check_forward(op: OpInfo, dtype, samples=None, check_name="forward"):
    """Every variant on every sample equals the reference (shape and values), and leaves its inputs alone."""
    samples = op.samples(np.dtype(dtype)) if samples is None else samples

    def check(sample):
        expected = reference(op, sample)
        for variant in op.variants:
            if not variant.applies(sample):
                continue
            probe = sample.op_args(_tensor_of)
            want = op.expected_dtype(probe, sample.kwargs)
            if variant.kind == "inplace" and not _inplace_fits(sample, expected, want):
                continue
            out, tensors, before = _run_variant(variant, sample)
            _compare(op, variant, sample, dtype, out, expected, want)
            _check_unchanged(op, variant, sample, dtype, tensors, before)

    op.each(check_name, dtype, samples, check)


def check_special(op: OpInfo, dtype):
    """The special samples (NaN, ±inf, ±0, ties, kinks, integer extremes) equal the reference."""
    check_forward(op, dtype, special_samples(op, dtype), "special")


def regular_samples(op, dtype):
    return [s for s in op.samples(np.dtype(dtype)) if not s.special and not s.is_empty_or_0d]


def special_samples(op, dtype):
    return [s for s in op.samples(np.dtype(dtype)) if s.special]


def shape_samples(op, dtype):
    return [s for s in op.samples(np.dtype(dtype)) if not s.special and s.is_empty_or_0d]


def check_dtype(op: OpInfo, dtype):
    """The result dtype of every sample is PyTorch's (``op.dtype_rule``), through every variant."""
    def check(sample):
        for variant in op.variants:
            if not variant.applies(sample) or variant.kind == "inplace":
                continue
            out, _, _ = _run_variant(variant, sample)
            args = sample.op_args(_tensor_of)
            want = op.expected_dtype(args, sample.kwargs)
            got = tuple(o.dtype for o in _outputs(out))
            if not isinstance(want, tuple):
                want = (want,) * len(got)
            if got != want:
                _fail(op, variant, sample, dtype, f"result dtype {[str(d) for d in got]}, PyTorch gives "
                                                  f"{[str(d) for d in want]}")

    op.each("dtype", dtype, op.samples(np.dtype(dtype)), check)


def check_empty_and_0d(op: OpInfo, dtype):
    """0-d and empty inputs: the forward equals the reference, and (float dtypes) backward runs and
    gives every input a gradient of its own shape and dtype."""
    samples = shape_samples(op, dtype)
    check_forward(op, dtype, samples, "empty_and_0d")
    if op.grad_order == 0 or np.dtype(dtype).kind != "f":
        return
    op.each("empty_and_0d", dtype, samples, lambda sample: _backward_shapes(op, sample, dtype))


class _Leaf:
    """Where the i-th differentiable tensor goes in a sample's arguments."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def _differentiable(op, sample, requires_grad=True, as_float64=False):
    """(fn of the differentiable tensors, those tensors): the op's first variant as a function of its
    float array arguments (minus ``op.nondiff``), other arguments fixed."""
    position = [0]
    leaves = []

    def mark(a):
        i = position[0]
        position[0] += 1
        if a.dtype.kind == "f" and i not in op.nondiff:
            leaves.append(_tensor_of(a, requires_grad))
            return _Leaf(len(leaves) - 1)
        return _tensor_of(a)

    template = sample.op_args(mark)

    def fill(value, tensors):
        if isinstance(value, _Leaf):
            return tensors[value.index]
        if isinstance(value, list):
            return [fill(v, tensors) for v in value]
        if isinstance(value, tuple):
            return tuple(fill(v, tensors) for v in value)
        return value

    def fn(*tensors):
        out = op.op(*fill(template, tensors), **sample.kwargs)
        if not as_float64:
            return out
        # gradcheck works in float64: a float32 or float16 result (a cast) is compared after a cast back
        outs = tuple(o.double() if o.dtype.kind == "f" and o.dtype != FLOAT64 else o for o in _outputs(out))
        return outs if isinstance(out, (tuple, list)) else outs[0]

    return fn, leaves


def _float_outputs(out):
    return [o for o in _outputs(out) if o.dtype.kind == "f" and o.requires_grad]


def _backward_shapes(op, sample, dtype):
    from ..autograd import grad

    fn, leaves = _differentiable(op, sample)
    if not leaves:
        return
    before = [t.data.copy() for t in leaves]
    with np.errstate(all="ignore"):
        outs = _float_outputs(fn(*leaves))
        if not outs:
            _fail(op, op.op, sample, dtype, "no output requires grad, but the op is differentiable")
        upstream = [np.ones(o.shape, o.dtype) for o in outs]
        grads = grad(outs, leaves, grad_outputs=upstream, allow_unused=True)
    for i, (g, t) in enumerate(zip(grads, leaves)):
        if g is not None and (g.shape != t.shape or g.dtype != t.dtype):
            _fail(op, op.op, sample, dtype, f"the gradient of input {i} has shape {g.shape} and dtype {g.dtype}, "
                                            f"the input {t.shape} and {t.dtype}")
    _check_unchanged(op, op.op, sample, dtype, leaves, before, "backward")


def grad_samples(op):
    """The float64 samples fit for finite differences (away from kinks and poles, not empty)."""
    return [s for s in op.samples(FLOAT64) if s.grad and not s.special and not any(a.size == 0 for a in s.arrays())]


def check_no_grad(op: OpInfo):
    """An op with no gradient (grad_order 0) returns tensors that do not require grad (an op that only
    exists in place, such as ``fill_``, works outside the graph and has nothing to check)."""
    if op.op.kind == "inplace":
        return

    def check(sample):
        fn, leaves = _differentiable(op, sample)
        with np.errstate(all="ignore"):
            outs = _outputs(fn(*leaves))
        if any(o.requires_grad for o in outs):
            _fail(op, op.op, sample, dtype, "grad_order is 0 but an output requires grad")

    dtype = FLOAT64 if FLOAT64 in op.dtypes else op.dtypes[-1]  # bitwise ops have no float samples
    op.each("no_grad", dtype, op.samples(dtype), check)


def check_gradients(op: OpInfo, second_order=False, seed=0):
    """gradcheck (or gradgradcheck, random projections) on every float64 gradient sample."""
    from .gradcheck import gradcheck, gradgradcheck

    atol, rtol = op.grad_tol
    samples = grad_samples(op)
    if not samples:
        raise AssertionError(f"{op.name}: no float64 sample fit for gradient checks")

    def check(sample):
        fn, leaves = _differentiable(op, sample, as_float64=True)
        if not leaves:
            return
        before = [t.data.copy() for t in leaves]
        try:
            if second_order:
                upstream = None
                if op.upstream is not None:
                    rng = np.random.default_rng(seed)
                    upstream = tuple(_tensor_of(np.asarray(op.upstream(o.shape, rng), FLOAT64), True)
                                     for o in _float_outputs(fn(*leaves)))
                gradgradcheck(fn, tuple(leaves), upstream, atol=atol, rtol=rtol, eps=op.grad_eps,
                              fast_mode=op.gradgrad_fast, seed=seed)
            else:  # the full Jacobian for small samples, random projections (PyTorch's fast mode) for big ones
                size = sum(t.data.size for t in leaves)
                gradcheck(fn, tuple(leaves), atol=atol, rtol=rtol, eps=op.grad_eps, fast_mode=size > FULL_JACOBIAN,
                          seed=seed)
        except AssertionError as e:
            e.args = (f"{op.name} on sample {sample.describe()}: {e}",)
            raise
        _check_unchanged(op, op.op, sample, "float64", leaves, before, "gradient check")

    op.each("gradgradcheck" if second_order else "gradcheck", FLOAT64, samples, check)


def _shares(a, b) -> bool:
    return a is b or np.shares_memory(a, b)


def check_create_graph(op: OpInfo, seed=0):
    """Under ``create_graph=True`` the first-order gradient equals the plain one; the gradients
    handed out alias neither each other nor the inputs, outputs or upstream gradients; and
    ``backward(create_graph=True)`` leaves distinct ``.grad`` tensors."""
    from ..autograd import grad
    from ..tensor import Tensor

    rng = np.random.default_rng(seed)

    def check(sample):
        fn, leaves = _differentiable(op, sample)
        if not leaves:
            return
        outs = _float_outputs(fn(*leaves))
        upstream = [rng.standard_normal(o.shape) for o in outs]
        plain = grad(outs, leaves, grad_outputs=[u.astype(o.dtype) for u, o in zip(upstream, outs)],
                     allow_unused=True)
        outs = _float_outputs(fn(*leaves))
        graph_upstream = [Tensor(u.astype(o.dtype), requires_grad=True) for u, o in zip(upstream, outs)]
        graphed = grad(outs, leaves, grad_outputs=graph_upstream, create_graph=True, allow_unused=True)
        for i, (p, g) in enumerate(zip(plain, graphed)):
            if (p is None) != (g is None):
                _fail(op, op.op, sample, "float64", f"input {i} has a gradient on one path only")
            if g is None:
                continue  # noqa: B007
            if not np.allclose(g.data, p.data, rtol=1e-9, atol=1e-12):
                _fail(op, op.op, sample, "float64", f"the gradient of input {i} under create_graph is\n{g.data}\n"
                                                    f"the plain one is\n{p.data}")
        visible = [t.data for t in leaves] + [o.data for o in outs]
        _check_distinct(op, sample, [g for g in plain if g is not None], visible + [u.data for u in graph_upstream],
                        "plain")
        # under create_graph a gradient may be (a view of) the upstream gradient, as in PyTorch: a rule
        # such as add's hands g on as it is, recorded
        _check_distinct(op, sample, [g for g in graphed if g is not None], visible, "create_graph")
        for t in leaves:
            t.grad = None
        outs = _float_outputs(fn(*leaves))
        loss = sum(((o * Tensor(u.astype(o.dtype))).sum() for o, u in zip(outs, upstream)), Tensor(0.0))
        loss.backward(create_graph=True)
        _check_distinct(op, sample, [t.grad for t in leaves if t.grad is not None], visible, "backward(create_graph)")

    op.each("create_graph", FLOAT64, grad_samples(op), check)


def _check_distinct(op, sample, grads, visible, path):
    for i, g in enumerate(grads):
        for h in grads[i + 1:]:
            if g is h or _shares(g.data, h.data):
                _fail(op, op.op, sample, "float64", f"two gradients ({path}) are the same array")
        for v in visible:
            if _shares(g.data, v):
                _fail(op, op.op, sample, "float64", f"a gradient ({path}) shares memory with an input or an output"
                                                    + (" or the upstream gradient" if path == "plain" else ""))


def check_kinks(op: OpInfo):
    """The gradient at kinks, ties and jumps is the documented convention (``op.kink_grads``)."""
    from ..autograd import grad

    expected_of = {id(sample): expected for sample, expected in op.kink_grads}

    def check(sample):
        fn, leaves = _differentiable(op, sample)
        outs = _float_outputs(fn(*leaves))
        grads = grad(outs, leaves, grad_outputs=[np.ones(o.shape, o.dtype) for o in outs], allow_unused=True)
        for i, (g, e) in enumerate(zip(grads, _outputs(expected_of[id(sample)]))):
            got = np.zeros(leaves[i].shape) if g is None else g.data
            if not np.allclose(got, e, rtol=1e-12, atol=0, equal_nan=True):
                _fail(op, op.op, sample, "float64", f"the gradient of input {i} at the kink is {got}, the "
                                                    f"convention gives {np.asarray(e)}")

    op.each("kinks", FLOAT64, [sample for sample, _ in op.kink_grads], check)


def _class_names(error) -> str:
    return " or ".join(e.__name__ for e in (error if isinstance(error, tuple) else (error,)))


def check_errors(op: OpInfo):
    """Every invalid call raises the class PyTorch raises (user code catches it), through every variant.
    Where a known failure says which class is raised ``instead``, exactly that class must be raised."""
    import re

    case_of = {id(case.sample): case for case in op.errors}

    def expect(sample, error, match):
        for variant in op.variants:
            if not variant.applies(sample) or variant.kind == "inplace":
                continue
            try:
                _run_variant(variant, sample)
            except error as e:
                if not re.search(match, str(e)):
                    _fail(op, variant, sample, "-", f"raised {type(e).__name__}({e}), the message does not match "
                                                    f"{match!r}")
            except Exception as e:  # noqa: BLE001 - the wrong class is the failure reported
                _fail(op, variant, sample, "-", f"raised {type(e).__name__}({e}), expected {_class_names(error)}")
            else:
                _fail(op, variant, sample, "-", f"raised nothing, expected {_class_names(error)}")

    def known_instead(case):  # a note saying which class is raised today (where that is not PyTorch's)
        return next((k for k in op.known_failures if k.check == "errors" and k.instead is not None and
                     k.covers(case.sample) and not issubclass(k.instead, case.error)), None)

    for case in op.errors:
        known = known_instead(case)
        if known is None:
            continue
        expect(case.sample, known.instead, case.match)  # today's class: an error is still raised
        try:
            expect(case.sample, case.error, case.match)
        except AssertionError:
            continue
        raise AssertionError(f"{op.name}: {case.sample.describe()} raises {_class_names(case.error)} now; remove the "
                             f"KnownFailure ({known.reason})")
    plain = [case.sample for case in op.errors if known_instead(case) is None]
    op.each("errors", None, plain, lambda sample: expect(sample, case_of[id(sample)].error, case_of[id(sample)].match))


def check_grad_dtypes(op: OpInfo, dtype):
    """Backward gives every float input a gradient of its own shape and dtype (mixed dtypes too), as PyTorch."""
    samples = [s for s in regular_samples(op, dtype) if s.grad and not any(a.size == 0 for a in s.arrays())]
    op.each("grad_dtypes", dtype, samples, lambda sample: _backward_shapes(op, sample, dtype))
