"""The primitive ops: each forward with its local backward rule (vector-Jacobian product).

Every op is run by ``Op.apply``, which records it (``autograd.engine.record``). The two big
families get a faster ``apply`` of their own, made once per class: ``Elementwise`` (one Tensor
in, e.g. ``Exp.apply(t)``, which is ``t.exp()``) and ``Binary`` (two operands after PyTorch's
type promotion, e.g. ``Mul.apply(a, 2.0)``, which is ``a * 2.0``).

Conventions shared by every rule:

* ``ctx.inputs`` are the forward's positional arguments and ``ctx.output`` its result:
  NumPy arrays on the plain path, Tensors under ``create_graph`` (so write rules with
  operators, NumPy ufuncs and ``reshape``/``sum``/``swapaxes``/``transpose``, which both have).
  A node keeps them only if its class says the rule reads them (``saves_inputs``,
  ``saves_output``); ``ctx.input_shape(i)`` is always known for an input that needs a gradient.
* A rule may return a gradient in the broadcast shape of the output; the engine sums it
  back to the input's shape (``sum_to_shape``) and casts it to the input's dtype.
* Return ``None`` for an input that needs no gradient (``ctx.needs_input_grad``).
* ``formula`` states the rule in one line (g is the incoming gradient); the docs' op table,
  ``explain`` and the graph pictures show it.

Kink conventions (documented in docs/engine.md): relu'(0) = 0, abs'(0) = 0, clip passes
the gradient where min <= x <= max, ties in max/min/maximum/minimum share it equally, and
piecewise-constant ops (floor, round, sign, //) pass zeros, their jumps included.
"""

from __future__ import annotations

import math
import string

import numpy as np

from . import dtypes
from .autograd.engine import NEEDS, Function, new_node, record, sum_to_shape
from .dtypes import PYTHON_SCALARS, result_dtype, to_array
from .errors import ArgumentError, ArgumentTypeError

Tensor = None  # set by tensor.py (which imports this module)


def _array(v):
    """The array behind ``v``. Gradient masks are constants, so rules build them from arrays even
    when create_graph hands them Tensors; and they build them in backward, not in forward, so a
    forward that is not recorded (no_grad, or no input needing a gradient) computes no mask."""
    return v.data if isinstance(v, Tensor) else v


# ---------------------------------------------------------------- the two families
class Elementwise(Function):
    """A one-input elementwise op. Its forward is the NumPy function ``fn`` unless it writes its own,
    and its rule returns a gradient of g's shape and dtype, so the engine skips its check
    (``Function.elementwise``; tests/test_ops.py proves it for each op)."""

    elementwise = True
    saves_inputs = saves_output = False
    float_result = False  # on an integer or bool tensor, gives the default float (exp, sin, ...), as PyTorch
    fn = None

    @staticmethod
    def forward(ctx, x):
        return ctx.op.fn(x)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.apply = staticmethod(_one_input_apply(cls))


def _one_input_apply(op):
    fn = op.fn if op.forward is Elementwise.forward else None  # a forward that is just this NumPy function
    forward, float_result, keep_input, keep_output = op.forward, op.float_result, op.saves_inputs, op.saves_output

    def apply(x):
        """Run the op on the Tensor ``x`` (Function.apply for one Tensor, without its argument handling)."""
        data = x.data
        node = None if fn is not None else new_node(op)  # (a forward of its own gets a ctx)
        if x._requires_grad:
            return record(op, node, forward(node, data) if fn is None else fn(data),
                          (data,) if keep_input else None, keep_output, (x.grad_fn or x,), NEEDS[1])
        if float_result and data.dtype.kind != "f":  # (a tensor that requires grad is a float one)
            data = data.astype(dtypes.DEFAULT_FLOAT)
        try:
            out = forward(node, data) if fn is None else fn(data)
        except TypeError as e:  # NumPy refused the dtype (-x of a bool tensor): PyTorch raises RuntimeError
            raise ArgumentTypeError(f"{op.__name__.lower()}: {e}") from None
        return record(op, node, out, None, False, None, None)

    apply.__name__ = apply.__qualname__ = op.__name__.lower()
    apply.__doc__ = f"The op ``{op.__name__}`` applied to this tensor: {op.formula or op.__doc__}"
    return apply


class Binary(Function):
    """A two-input op whose operands are brought to one dtype first (PyTorch's promotion, see
    ``dtypes.result_dtype``). Its forward is the NumPy ufunc ``fn`` unless it writes its own.

    A Python scalar meeting a float tensor becomes a 0-d array of the tensor's dtype (the value
    NumPy would use): ufuncs take that at half the cost of a Python scalar, forward and backward.
    An op that treats scalars specially (``Pow``: ``x ** 2`` is a square) sets ``scalars_as_arrays``.
    """

    saves_inputs = saves_output = False
    scalars_as_arrays = True
    fn = None

    @staticmethod
    def forward(ctx, a, b):
        return ctx.op.fn(a, b)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.apply = staticmethod(_two_input_apply(cls))


def _two_input_apply(op):
    fn = op.fn if op.forward is Binary.forward else None
    forward, scalars_as_arrays = op.forward, op.scalars_as_arrays
    keep_inputs, keep_output = op.saves_inputs, op.saves_output

    # The commonest operands are decided here and the op recorded at the end (in-line, as a small
    # op's cost is mostly this dispatch); any other operand kind goes through _promoted.
    def apply(a, b):
        if isinstance(a, Tensor):
            a_data, need_a = a.data, a._requires_grad
            if isinstance(b, Tensor):
                b_data, need_b = b.data, b._requires_grad
                if a_data.dtype is not b_data.dtype and a_data.dtype != b_data.dtype:
                    dtype = result_dtype(a_data.dtype, b_data.dtype, a_data.ndim, b_data.ndim)
                    return apply(a.astype(dtype), b.astype(dtype))
            elif type(b) in PYTHON_SCALARS and a_data.dtype.kind == "f":
                if scalars_as_arrays:
                    b = _SCALARS.get((b, a_data.dtype)) or _scalar_array(b, a_data.dtype)
                b_data, need_b = b, False
            else:
                return _promoted(op, apply, a, b)
        elif isinstance(b, Tensor) and type(a) in PYTHON_SCALARS and b.data.dtype.kind == "f":
            b_data, need_b = b.data, b._requires_grad
            if scalars_as_arrays:
                a = _SCALARS.get((a, b_data.dtype)) or _scalar_array(a, b_data.dtype)
            a_data, need_a = a, False
        else:
            return _promoted(op, apply, a, b)
        node = None if fn is not None else new_node(op)
        try:
            out = forward(node, a_data, b_data) if fn is None else fn(a_data, b_data)
        except ValueError as e:  # e.g. shapes that do not broadcast: say which op and which shapes
            raise ArgumentError(f"{op.__name__}: {e} (input shapes {np.shape(a_data)}, {np.shape(b_data)}); shapes "
                                f"broadcast when, from the last dimension back, each pair of sizes is equal or one is "
                                f"1: reshape or unsqueeze an operand") from None
        except TypeError as e:  # NumPy refused the dtypes (bool - bool): PyTorch raises RuntimeError
            raise ArgumentTypeError(f"{op.__name__}: {e}") from None
        if need_a or need_b:
            return record(op, node, out, (a_data, b_data) if keep_inputs else None, keep_output,
                          ((a.grad_fn or a) if need_a else a, (b.grad_fn or b) if need_b else b), NEEDS[need_a, need_b])
        return record(op, node, out, None, False, None, None)

    apply.__name__ = apply.__qualname__ = op.__name__.lower()
    apply.__doc__ = f"The op ``{op.__name__}`` on two operands, after type promotion: {op.formula}"
    return apply


# Python scalars as read-only 0-d arrays, made once per (value, dtype): making one costs half an op
# (np.asarray), and a ufunc takes an array at a third less than a Python float, forward and backward.
_SCALARS: dict = {}


def _scalar_array(value, dtype):
    array = np.asarray(value, dtype)
    if value != 0:  # (0.0 and -0.0 are equal keys but not equal arrays; a 0-d zero is falsy anyway)
        if len(_SCALARS) > 1024:
            _SCALARS.clear()
        array.flags.writeable = False
        _SCALARS[value, dtype] = array
    return array


def _promoted(op, apply, a, b):
    """``apply(a, b)`` for the rarer operands: arrays, NumPy scalars, Python scalars with an integer
    tensor. Brings the non-Tensor operand to the dtype PyTorch gives the result."""
    if isinstance(a, Tensor):
        b = as_operand(b, a)
    elif isinstance(b, Tensor):
        a = as_operand(a, b)
    else:  # no Tensor at all
        a, b = Tensor._wrap(to_array(a), None), Tensor._wrap(to_array(b), None)
    if isinstance(a, Tensor) and isinstance(b, Tensor) or (a if isinstance(a, Tensor) else b).data.dtype.kind == "f":
        return apply(a, b)  # (a Python scalar with a float tensor is apply's common case)
    # a Python int or bool with an integer or bool tensor: NumPy keeps the tensor's dtype, and no
    # gradient can flow
    node = new_node(op)
    try:
        out = op.forward(node, _array(a), _array(b))
    except ValueError as e:  # e.g. shapes that do not broadcast, an integer to a negative integer power
        raise ArgumentError(f"{op.__name__}: {e}") from None
    return record(op, node, out, None, False, None, None)


def as_operand(x, like):
    """Bring the other operand of a binary op to the dtype PyTorch would give the result.

    Python scalars are "weak": they never upcast a tensor (float32 * 2.5 stays float32)
    but turn an integer tensor into the default float (int * 0.5 -> float32).
    """
    if isinstance(x, np.generic) and x.dtype.kind in "biuf":
        x = x.item()  # NumPy scalars are weak like Python scalars, as in PyTorch (float32 * np.float64(2) -> float32)
    kind = type(x)
    if kind is float:
        return x if like.data.dtype.kind == "f" else Tensor._wrap(np.asarray(x, dtype=dtypes.DEFAULT_FLOAT), None)
    if kind is int or kind is bool:
        return x
    if isinstance(x, Tensor):
        return x
    return Tensor._wrap(to_array(x), None)


def _zeros(g):
    """The gradient of a piecewise-constant op: zeros, not g * 0 (which turns an inf or nan in g into nan)."""
    return np.zeros(g.shape, g.dtype)


# ---------------------------------------------------------------- two inputs
class Add(Binary):
    fn = np.add
    formula = "∂/∂a = g,  ∂/∂b = g"

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Binary):
    fn = np.subtract
    formula = "∂/∂a = g,  ∂/∂b = −g"

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Binary):
    fn = np.multiply
    saves_inputs = True
    formula = "∂/∂a = g·b,  ∂/∂b = g·a"

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


class Div(Binary):
    fn = np.true_divide
    saves_inputs = saves_output = True
    formula = "∂/∂a = g/b,  ∂/∂b = −g·a/b²"

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        grad_a = g / b
        return grad_a, (-grad_a * ctx.output if ctx.needs_input_grad[1] else None)


class Pow(Binary):
    scalars_as_arrays = False  # ndarray ** 2 is a square and ** 0.5 a sqrt: keep Python exponents as they are
    saves_inputs = saves_output = True
    formula = "∂/∂a = g·b·a^(b−1) (0 where b = 0),  ∂/∂b = g·aᵇ·ln a (0 where a = 0 and b ≥ 0)"

    @staticmethod
    def forward(ctx, a, b):
        return a**b

    @staticmethod
    def backward(ctx, g):
        # PyTorch's values where the formulas give 0·inf or 0·ln 0: x ** 0 has slope 0 in x (also at
        # x = 0), and 0 ** y has slope 0 in y for y >= 0
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        base_is_0 = _array(a) == 0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if need_a:
                if type(b) in PYTHON_SCALARS and b == 0:  # x ** 0 is the constant 1: zeros, with no graph
                    grad_a = _zeros(g)                    # under create_graph (whose 0·inf would be nan)
                else:  # (masking only at a = 0 keeps the second derivative in b right: ∂/∂b (b·a^(b−1)) = 1/a at b = 0)
                    grad_a = np.where(base_is_0 & (_array(b) == 0), 0, g * b * a ** (b - 1))
            if need_b:
                grad_b = np.where(base_is_0 & (_array(b) >= 0), 0, g * ctx.output * np.log(a))
        return grad_a, grad_b


class Maximum(Binary):
    fn = np.maximum
    beats = np.greater  # (np.less for Minimum)
    saves_inputs = True
    formula = "∂/∂a = g where a > b, g/2 where a = b;  ∂/∂b likewise"

    @staticmethod
    def backward(ctx, g):
        a, b = _array(ctx.inputs[0]), _array(ctx.inputs[1])
        # each side's share of the gradient: 1/2 on ties, 0 where the other side wins, else 1 (so, as
        # in PyTorch, both sides get g where a NaN makes every comparison false)
        tie, beats = a == b, ctx.op.beats
        return tuple(g * np.where(tie, 0.5, ~beats(other, mine)).astype(ctx.dtype) if need else None
                     for mine, other, need in ((a, b, ctx.needs_input_grad[0]), (b, a, ctx.needs_input_grad[1])))


class Minimum(Maximum):
    fn = np.minimum
    beats = np.less
    formula = "∂/∂a = g where a < b, g/2 where a = b;  ∂/∂b likewise"


class Remainder(Binary):
    fn = np.remainder  # a % b with the sign of b (Python's and NumPy's rule, as torch.remainder); a - b * floor(a / b)
    saves_inputs = True
    formula = "∂/∂a = g,  ∂/∂b = −g·floor(a/b)"

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (g if need_a else None), (-g * np.floor(a / b) if need_b else None)


class FloorDivide(Binary):
    fn = np.floor_divide
    formula = "∂/∂a = 0,  ∂/∂b = 0 (piecewise constant)"

    @staticmethod
    def backward(ctx, g):
        return tuple(_zeros(g) if need else None for need in ctx.needs_input_grad)


class Where(Function):
    saves_inputs = saves_output = False
    formula = "∂/∂a = g where condition, ∂/∂b = g elsewhere"

    @staticmethod
    def forward(ctx, a, b, condition):
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, g):
        cond = ctx.attrs["condition"]
        return np.where(cond, g, 0), np.where(cond, 0, g)


# ---------------------------------------------------------------- one input, elementwise
class Neg(Elementwise):
    fn = np.negative
    formula = "∂/∂x = −g"

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(Elementwise):
    fn = np.exp
    float_result = True
    saves_output = True
    formula = "∂/∂x = g·exp(x)"

    @staticmethod
    def backward(ctx, g):
        return g * ctx.output


class Expm1(Elementwise):
    fn = np.expm1  # exp(x) - 1, accurate for tiny x
    float_result = True
    saves_output = True
    formula = "∂/∂x = g·exp(x)"

    @staticmethod
    def backward(ctx, g):
        return g + g * ctx.output  # = g * exp(x)


class Log1p(Elementwise):
    fn = np.log1p  # log(1 + x), accurate for tiny x
    float_result = True
    saves_inputs = True
    formula = "∂/∂x = g/(1 + x)"

    @staticmethod
    def backward(ctx, g):
        return g / (ctx.inputs[0] + 1)


_erf = np.frompyfunc(math.erf, 1, 1)  # NumPy has no erf; the C library's, one element at a time


class Erf(Elementwise):
    float_result = True
    saves_inputs = True
    formula = "∂/∂x = g·(2/√π)·exp(−x²)"

    @staticmethod
    def forward(ctx, x):
        return np.asarray(_erf(x), dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g * np.exp(-x * x) * (2 / math.sqrt(math.pi))


class Log(Elementwise):
    fn = np.log
    float_result = True
    saves_inputs = True
    formula = "∂/∂x = g/x"

    @staticmethod
    def backward(ctx, g):
        return g / ctx.inputs[0]


class Sqrt(Elementwise):
    fn = np.sqrt
    float_result = True
    saves_output = True
    formula = "∂/∂x = g/(2√x)"

    @staticmethod
    def backward(ctx, g):
        return g / (2 * ctx.output)


class Sin(Elementwise):
    fn = np.sin
    float_result = True
    saves_inputs = True
    formula = "∂/∂x = g·cos(x)"

    @staticmethod
    def backward(ctx, g):
        return g * np.cos(ctx.inputs[0])


class Cos(Elementwise):
    fn = np.cos
    float_result = True
    saves_inputs = True
    formula = "∂/∂x = −g·sin(x)"

    @staticmethod
    def backward(ctx, g):
        return -g * np.sin(ctx.inputs[0])


class Tanh(Elementwise):
    fn = np.tanh
    float_result = True
    saves_output = True
    formula = "∂/∂x = g·(1 − tanh²(x))"

    @staticmethod
    def backward(ctx, g):
        out = ctx.output
        return g - g * out * out  # = g * (1 - out**2) without a scalar operand (NumPy's slow path)


class Sigmoid(Elementwise):
    # fused rather than 1 / (1 + exp(-x)): that form overflows for x << 0 and its
    # composed backward then gives inf/inf = nan
    float_result = True
    saves_output = True
    formula = "∂/∂x = g·σ(x)·(1 − σ(x))"

    @staticmethod
    def forward(ctx, x):
        e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    @staticmethod
    def backward(ctx, g):
        out = ctx.output
        return g * (out - out * out)  # = g * out * (1 - out) in three array ufuncs


class Relu(Elementwise):
    saves_output = True  # relu(x) > 0 exactly where x > 0; the output is often kept anyway by the next op
    formula = "∂/∂x = g where x > 0, else 0"

    @staticmethod
    def forward(ctx, x):
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, g):
        return g * (_array(ctx.output) > 0)  # relu'(0) = 0


class Abs(Elementwise):
    fn = np.abs
    saves_inputs = True
    formula = "∂/∂x = g·sign(x)"

    @staticmethod
    def backward(ctx, g):
        return g * np.sign(ctx.inputs[0])  # abs'(0) = 0


class Flat(Elementwise):
    """Piecewise-constant ops: zero gradient (PyTorch's choice at the jumps too). Recorded, so a
    backward through them gives zeros rather than an error."""

    formula = "∂/∂x = 0 (piecewise constant)"

    @staticmethod
    def backward(ctx, g):
        return _zeros(g)


class Floor(Flat):
    fn = np.floor


class Ceil(Flat):
    fn = np.ceil


class Trunc(Flat):
    fn = np.trunc


class Sign(Flat):
    @staticmethod
    def forward(ctx, x):  # sign(NaN) is 0, as in PyTorch (NumPy: NaN)
        return np.sign(x, out=np.zeros_like(x), where=x == x)


class Round(Function):
    elementwise = True
    saves_inputs = saves_output = False
    formula = Flat.formula

    @staticmethod
    def forward(ctx, x, decimals=0):
        return np.round(x, decimals)  # halves to even, as torch.round

    backward = staticmethod(Flat.backward)


class Clip(Function):
    saves_output = False
    formula = "∂/∂x = g where min ≤ x ≤ max, else 0"

    @staticmethod
    def forward(ctx, x, min=None, max=None):
        return np.clip(x, min, max)

    @staticmethod
    def backward(ctx, g):
        x, low, high = _array(ctx.inputs[0]), ctx.attrs.get("min"), ctx.attrs.get("max")
        inside = np.ones(x.shape, dtype=bool)  # the gradient passes where min <= x <= max
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        return g * inside


class Cast(Function):
    saves_inputs = saves_output = False
    formula = "∂/∂x = g (cast back to x's dtype)"

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g  # the engine casts it back to the input's dtype


class Clone(Elementwise):
    formula = "∂/∂x = g"

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g



# ---------------------------------------------------------------- reductions
def _keep_reduced_axes(g, axis, ndim):
    """Give a reduction's output gradient back the axes the reduction dropped (as size 1)."""
    if axis is None:
        return g.reshape((1,) * ndim)
    shape = list(g.shape)
    for a in sorted(axis):
        shape.insert(a, 1)
    return g.reshape(tuple(shape))


def _spread(g, shape):
    """``g`` broadcast to ``shape``. ``np.broadcast_to`` builds its view with an nditer, which
    takes 2.4 µs at any size; up to about 16K elements filling a new array is cheaper (0.4 µs for
    256), above that the view is cheaper and saves the memory. Tensors (create_graph) broadcast."""
    if type(g) is np.ndarray and math.prod(shape) <= 16384:
        out = np.empty(shape, g.dtype)
        out[...] = g
        return out
    return np.broadcast_to(g, shape)


class Sum(Function):
    saves_inputs = saves_output = False
    formula = "∂/∂x = g, spread over the summed axes"

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        char = x.dtype.char
        if char in "fd":  # float32 and float64, the common case (a dtype= argument would cost a µs)
            return x.sum(axis=axis, keepdims=keepdims)
        if char == "e":  # float16: accumulated in float32, as PyTorch does, then rounded once
            with np.errstate(over="ignore"):  # (beyond float16's range: inf, as in PyTorch)
                return x.sum(axis=axis, keepdims=keepdims, dtype=np.float32).astype(np.float16)
        return x.sum(axis=axis, keepdims=keepdims, dtype=x.dtype)  # (an int32 stays int32: sum(dtype=...))

    @staticmethod
    def backward(ctx, g):
        shape = ctx.input_shape(0)
        if not ctx.attrs["keepdims"]:
            g = _keep_reduced_axes(g, ctx.attrs["axis"], len(shape))
        return _spread(g, shape)


class Prod(Function):
    saves_output = False
    formula = "∂/∂xᵢ = g·(product of the other elements)"

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        char = x.dtype.char
        if char in "fd":
            return x.prod(axis=axis, keepdims=keepdims)
        if char == "e":  # float16: accumulated in float32, as PyTorch does
            with np.errstate(over="ignore"):
                return x.prod(axis=axis, keepdims=keepdims, dtype=np.float32).astype(np.float16)
        return x.prod(axis=axis, keepdims=keepdims, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        # d prod / d x_i = the product of the others, which out / x_i is not at a zero (0/0)
        axis, x = ctx.attrs["axis"], ctx.inputs[0]
        if not ctx.attrs["keepdims"]:
            g = _keep_reduced_axes(g, axis, x.ndim)
        if isinstance(x, Tensor):  # create_graph: products that leave one out, exactly differentiable
            return g * _leave_one_out_products(x, axis)
        # with no zero in a group: out / x_i; with one, only the zero's entry is nonzero (the
        # product of the rest); with two or more, all are 0
        zero = x == 0
        zeros = zero.sum(axis=axis, keepdims=True)
        safe = np.where(zero, 1, x)
        others = safe.prod(axis=axis, keepdims=True)
        return g * np.where(zeros == 0, others / safe, np.where(zero & (zeros == 1), others, 0))


def _leave_one_out_products(x, axis):
    """For each element, the product of the other elements of its group (the reduced axes), as
    Tensor ops: the group is laid out n times with the element's own place set to 1. O(n^2), so
    only for create_graph, where the first-order rule's zero cases would not differentiate right."""
    axes = tuple(range(x.ndim)) if axis is None else tuple(axis)
    rest = tuple(a for a in range(x.ndim) if a not in axes)
    moved = x.permute(*rest, *axes)
    n = int(np.prod([x.shape[a] for a in axes]))
    flat = moved.reshape(moved.shape[: len(rest)] + (1, n))
    grid = flat.expand(flat.shape[:-2] + (n, n))
    others = np.where(np.eye(n, dtype=bool), 1, grid).prod(axis=-1)
    return others.reshape(moved.shape).permute(*np.argsort(rest + axes))


class Cumsum(Function):
    saves_inputs = saves_output = False
    formula = "∂/∂xᵢ = Σ_{j ≥ i} g_j (a reversed cumulative sum)"

    @staticmethod
    def forward(ctx, x, axis):
        char = x.dtype.char
        if char in "fd":
            return np.cumsum(x, axis=axis)
        if char == "e":  # float16: accumulated in float32, as PyTorch does
            with np.errstate(over="ignore"):
                return np.cumsum(x, axis=axis, dtype=np.float32).astype(np.float16)
        return np.cumsum(x, axis=axis, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        axis = ctx.attrs["axis"]
        return np.flip(np.cumsum(np.flip(g, axis), axis), axis)  # element i gets the sum of g[i:]


class Max(Function):
    pick = np.maximum  # (np.minimum for Min)
    formula = "∂/∂x = g at the maximum (shared equally between ties), else 0"

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        top = ctx.op.pick.reduce(x, axis=axis, keepdims=True)
        return top if keepdims else top.reshape(()) if axis is None else top.squeeze(axis)

    @staticmethod
    def backward(ctx, g):
        axis = ctx.attrs["axis"]
        x, top = _array(ctx.inputs[0]), _array(ctx.output)
        if not ctx.attrs["keepdims"]:
            top, g = _keep_reduced_axes(top, axis, x.ndim), _keep_reduced_axes(g, axis, x.ndim)
        winners = x == top
        return g * (winners / winners.sum(axis=axis, keepdims=True).astype(x.dtype))  # ties split equally


class Min(Max):
    pick = np.minimum  # computed directly: -max(-x) is wrong for unsigned integers, int min and bools
    formula = "∂/∂x = g at the minimum (shared equally between ties), else 0"


# ---------------------------------------------------------------- linear algebra
class Matmul(Function):
    # both operands have at least 2 dimensions (tensor.matmul promotes 1-D ones)
    saves_output = False
    formula = "∂/∂A = g·Bᵀ,  ∂/∂B = Aᵀ·g"

    @staticmethod
    def forward(ctx, a, b):
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (g @ b.swapaxes(-1, -2) if need_a else None), (a.swapaxes(-1, -2) @ g if need_b else None)


class Einsum(Function):
    saves_output = False
    formula = "∂/∂xᵢ = the same contraction of g with the other operands, into xᵢ's letters"
    # terms: the letters of each operand ('...' already named); output: the result's letters
    @staticmethod
    def forward(ctx, *operands, terms, output):
        return np.einsum(",".join(terms) + "->" + output, *operands)

    @staticmethod
    def backward(ctx, g):
        terms, output = ctx.attrs["terms"], ctx.attrs["output"]
        spare = iter(c for c in string.ascii_letters if c not in "".join(terms) + output)
        grads = []
        for i, (term, x) in enumerate(zip(terms, ctx.inputs)):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [(t, v) for j, (t, v) in enumerate(zip(terms, ctx.inputs)) if j != i]
            letters = "".join(dict.fromkeys(term))  # each letter once (a repeat reads a diagonal)
            size = {c: x.shape[term.index(c)] for c in letters}
            seen = set(output).union(*(t for t, _ in others))
            kept = "".join(c for c in letters if c in seen)  # a letter only this operand has was summed here:
            grad = np.einsum(",".join([output] + [t for t, _ in others]) + "->" + kept, g, *(v for _, v in others))
            sizes = iter(grad.shape)  # ... so it comes back by broadcasting over that axis
            grad = grad.reshape(tuple(next(sizes) if c in seen else 1 for c in letters))
            grad = np.broadcast_to(grad, tuple(size[c] if c not in seen else n for c, n in zip(letters, grad.shape)))
            if len(letters) < len(term):  # put it back on the diagonal: a repeat is the letter times an identity
                placed, identities = "", []
                for k, c in enumerate(term):
                    fresh = c if c not in term[:k] else next(spare)
                    placed += fresh
                    if fresh != c:
                        identities.append((c + fresh, np.eye(size[c], dtype=x.dtype)))
                grad = np.einsum(",".join([letters] + [t for t, _ in identities]) + "->" + placed, grad,
                                 *(v for _, v in identities))
            grads.append(grad)
        return tuple(grads)


# ---------------------------------------------------------------- shape and indexing
class Reshape(Function):
    saves_inputs = saves_output = False
    formula = "∂/∂x = g reshaped to x's shape"

    @staticmethod
    def forward(ctx, x, shape):
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.input_shape(0))


class Permute(Function):
    saves_inputs = saves_output = False
    formula = "∂/∂x = g with the inverse permutation"

    @staticmethod
    def forward(ctx, x, axes):
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(tuple(np.argsort(ctx.attrs["axes"]).tolist()))


class Expand(Function):
    saves_inputs = saves_output = False
    formula = "∂/∂x = g summed over the broadcast axes"

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return sum_to_shape(g, ctx.input_shape(0))


def _has_integer_array(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts)


def scatter_add(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices accumulate): the
    transpose of ``x[index]``. Runs on arrays, or as the op ``IndexAdd`` on Tensors."""
    if isinstance(g, Tensor):
        return IndexAdd.apply(g, shape=shape, index=index)
    out = np.zeros(shape, dtype=g.dtype)
    if _has_integer_array(index):
        np.add.at(out, index, g)
    else:  # basic slicing and boolean masks select each element at most once
        out[index] = g
    return out


class Getitem(Function):
    saves_inputs = saves_output = False
    formula = "∂/∂x = g added at the indexed places, 0 elsewhere"

    @staticmethod
    def forward(ctx, x, index):
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return scatter_add(g, ctx.input_shape(0), ctx.attrs["index"])


class IndexAdd(Function):
    saves_inputs = saves_output = False
    formula = "∂/∂g = the gradient read at the indexed places"

    @staticmethod
    def forward(ctx, g, shape, index):
        return scatter_add(g, shape, index)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.attrs["index"]]


class Cat(Function):
    saves_inputs = saves_output = False
    formula = "∂/∂xᵢ = the slice of g where xᵢ was placed"

    @staticmethod
    def forward(ctx, *xs, axis, sizes):  # sizes: each input's size along axis
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        axis = ctx.attrs["axis"]
        bounds = np.cumsum((0,) + ctx.attrs["sizes"])
        lead = (slice(None),) * axis
        return tuple(g[lead + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:]))


class Pad(Function):
    saves_inputs = saves_output = False
    formula = "∂/∂x = g without the padding"

    @staticmethod
    def forward(ctx, x, widths, value=0.0):
        return np.pad(x, widths, constant_values=value)

    @staticmethod
    def backward(ctx, g):
        shape = ctx.input_shape(0)
        return g[tuple(slice(before, before + n) for (before, _), n in zip(ctx.attrs["widths"], shape))]


# ================================================================ more of PyTorch's op surface (issue 11, section 2)
# Rules read arrays on the plain path and Tensors under create_graph, as above; NumPy functions
# they call on Tensors (np.cosh, np.sinh, ...) reach the Tensor ops through Tensor.__array_ufunc__.
_LN2, _LN10 = math.log(2.0), math.log(10.0)


class Tan(Elementwise):
    fn = np.tan
    float_result = True
    saves_output = True
    formula = "∂/∂x = g·(1 + tan²(x))"

    @staticmethod
    def backward(ctx, g):
        out = ctx.output
        return g + g * out * out


class Asin(Elementwise):
    fn = np.arcsin
    float_result = True
    saves_inputs = True
    formula = "∂/∂x = g/√(1 − x²)"

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g / np.sqrt(1 - x * x)


class Acos(Elementwise):
    fn = np.arccos
    float_result = True
    saves_inputs = True
    formula = "∂/∂x = −g/√(1 − x²)"

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return -g / np.sqrt(1 - x * x)


class Atan(Elementwise):
    fn = np.arctan
    float_result = True
    saves_inputs = True
    formula = "∂/∂x = g/(1 + x²)"

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g / (1 + x * x)


class Sinh(Elementwise):
    fn = np.sinh
    float_result = True
    saves_inputs = True
    formula = "∂/∂x = g·cosh(x)"

    @staticmethod
    def backward(ctx, g):
        return g * np.cosh(ctx.inputs[0])


class Cosh(Elementwise):
    fn = np.cosh
    float_result = True
    saves_inputs = True
    formula = "∂/∂x = g·sinh(x)"

    @staticmethod
    def backward(ctx, g):
        return g * np.sinh(ctx.inputs[0])


class Asinh(Elementwise):
    fn = np.arcsinh
    float_result = True
    saves_inputs = True
    formula = "∂/∂x = g/√(x² + 1)"

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g / np.sqrt(x * x + 1)


class Acosh(Elementwise):
    fn = np.arccosh
    float_result = True
    saves_inputs = True
    formula = "∂/∂x = g/√(x² − 1)"

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g / np.sqrt(x * x - 1)


class Atanh(Elementwise):
    fn = np.arctanh
    float_result = True
    saves_inputs = True
    formula = "∂/∂x = g/(1 − x²)"

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g / (1 - x * x)


class Exp2(Elementwise):
    fn = np.exp2
    float_result = True
    saves_output = True
    formula = "∂/∂x = g·2ˣ·ln 2"

    @staticmethod
    def backward(ctx, g):
        return g * ctx.output * _LN2


class Log2(Elementwise):
    fn = np.log2
    float_result = True
    saves_inputs = True
    formula = "∂/∂x = g/(x·ln 2)"

    @staticmethod
    def backward(ctx, g):
        return g / (ctx.inputs[0] * _LN2)


class Log10(Elementwise):
    fn = np.log10
    float_result = True
    saves_inputs = True
    formula = "∂/∂x = g/(x·ln 10)"

    @staticmethod
    def backward(ctx, g):
        return g / (ctx.inputs[0] * _LN10)


class Atan2(Binary):
    fn = np.arctan2  # the angle of the point (b, a): atan2(a, b)
    saves_inputs = True
    formula = "∂/∂a = g·b/(a² + b²),  ∂/∂b = −g·a/(a² + b²) (both 0 at a = b = 0)"

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        r2 = a * a + b * b
        scale = g / np.where(_array(r2) == 0, 1, r2)  # PyTorch's 0 at the origin, where a = b = 0
        return (scale * b if need_a else None), (-scale * a if need_b else None)


class Logaddexp(Binary):
    fn = np.logaddexp  # log(exp(a) + exp(b)), without overflow
    saves_inputs = True
    formula = "∂/∂a = g/(1 + exp(b − a)),  ∂/∂b = g/(1 + exp(a − b))"

    @staticmethod
    def backward(ctx, g):
        # (= g·exp(a − out): this form is 1 at a = inf, b finite, and exactly 1/2 at a = b, as PyTorch's)
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        with np.errstate(over="ignore"):  # exp(b - a) = inf gives the right limit, 0
            return (g / (1 + np.exp(b - a)) if need_a else None), (g / (1 + np.exp(a - b)) if need_b else None)


class Fmod(Binary):
    fn = np.fmod  # a % b with the sign of a (C's fmod, as torch.fmod): a - b * trunc(a / b)
    saves_inputs = True
    formula = "∂/∂a = g,  ∂/∂b = −g·trunc(a/b)"

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (g if need_a else None), (-g * np.trunc(a / b) if need_b else None)


class Copysign(Binary):
    fn = np.copysign
    saves_inputs = saves_output = True
    formula = "∂/∂a = g·sign(a)·sign(out) (0 at a = 0),  ∂/∂b = 0"

    @staticmethod
    def backward(ctx, g):
        need_a, need_b = ctx.needs_input_grad
        flips = np.sign(_array(ctx.inputs[0])) * np.sign(_array(ctx.output))  # +1 kept, -1 flipped, 0 at a = 0
        return (g * flips if need_a else None), (_zeros(g) if need_b else None)


class Hypot(Binary):
    fn = np.hypot  # √(a² + b²), without overflow
    saves_inputs = saves_output = True
    formula = "∂/∂a = g·a/out,  ∂/∂b = g·b/out"

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        out = ctx.output
        need_a, need_b = ctx.needs_input_grad
        with np.errstate(invalid="ignore"):  # 0/0 at the origin: NaN, as PyTorch's (which does not warn)
            return (g * a / out if need_a else None), (g * b / out if need_b else None)


class Scatter(Function):
    """``x`` with ``src`` written at ``index`` (a tuple of index arrays, one per axis)."""

    saves_inputs = saves_output = False
    formula = "∂/∂x = g where not overwritten, else 0;  ∂/∂src = g read at the written places"

    @staticmethod
    def forward(ctx, x, src, index):
        out = x.copy()
        out[index] = src
        return out

    @staticmethod
    def backward(ctx, g):
        index = ctx.attrs["index"]
        need_x, need_src = ctx.needs_input_grad
        grad_x = None
        if need_x:
            written = np.zeros(ctx.input_shape(0), dtype=bool)
            written[index] = True
            grad_x = np.where(written, 0, g)
        return grad_x, (g[index] if need_src else None)


_REDUCERS = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


def _identity(reduce, dtype):
    """The value that leaves ``reduce`` unchanged: where include_self=False, ``x`` starts from it."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    info = np.finfo(dtype) if dtype.kind == "f" else np.iinfo(dtype) if dtype.kind in "iu" else None
    if info is None:  # bool
        return reduce == "amin"
    low, high = (-np.inf, np.inf) if dtype.kind == "f" else (info.min, info.max)
    return low if reduce == "amax" else high


def _group_sizes(shape, index, include_self):
    """How many values meet at each place of the result: x's own (if it takes part) and the scattered ones."""
    count = np.full(shape, 1 if include_self else 0, dtype=np.int64)
    np.add.at(count, index, 1)
    return count


def _scattered(shape, index):
    mask = np.zeros(shape, dtype=bool)
    mask[index] = True
    return mask


class ScatterReduce(Function):
    """``x`` with the values of ``src`` reduced into the places ``index`` names (PyTorch's
    ``scatter_reduce``). Each place of the result is a group: x's value there (if ``include_self``
    or nothing is scattered there) and the src values sent to it."""

    saves_inputs = saves_output = True
    formula = ("sum: ∂/∂x = g, ∂/∂src = g read at index;  mean: the same over the group size;  prod: "
               "g·(product of the rest of the group);  amax/amin: g shared equally by the group's extremes")

    @staticmethod
    def forward(ctx, x, src, index, reduce, include_self):
        out = x.copy()
        if not include_self:
            out[index] = _identity(reduce, x.dtype)
        _REDUCERS[reduce].at(out, index, src)
        if reduce == "mean":
            count = np.maximum(_group_sizes(x.shape, index, include_self), 1)
            # integers: floor division, kept in the tensor's dtype (as PyTorch)
            out = (out // count).astype(out.dtype) if out.dtype.kind in "iub" else out / count.astype(out.dtype)
        return out

    @staticmethod
    def backward(ctx, g):
        index, reduce, include_self = ctx.attrs["index"], ctx.attrs["reduce"], ctx.attrs["include_self"]
        x, src = ctx.inputs
        need_x, need_src = ctx.needs_input_grad
        shape = _array(x).shape
        # where include_self is False, x's value takes part only where nothing is scattered
        x_takes_part = True if include_self else ~_scattered(shape, index)
        if reduce in ("sum", "mean"):
            if reduce == "mean":
                g = g / np.maximum(_group_sizes(shape, index, include_self), 1).astype(ctx.dtype)
            return (np.where(x_takes_part, g, 0) if need_x else None), (g[index] if need_src else None)
        if reduce == "prod":
            others_x, others_src = _products_of_the_rest(x, src, index, x_takes_part)
            return (g * others_x if need_x else None), (g[index] * others_src if need_src else None)
        # amax / amin: the values equal to the result share its gradient
        out = _array(ctx.output)
        winners_x = (_array(x) == out) & x_takes_part
        winners_src = _array(src) == out[index]
        count = winners_x.astype(np.int64)
        np.add.at(count, index, winners_src)
        g = g / np.maximum(count, 1).astype(ctx.dtype)
        return ((np.where(winners_x, g, 0) if need_x else None),
                (np.where(winners_src, g[index], 0) if need_src else None))


def _products_of_the_rest(x, src, index, x_takes_part):
    """For each member of each group of a scatter_reduce('prod'), the product of the other members,
    right at zeros too: with no zero in the group it is product / value; with one zero, only the
    zero's entry is nonzero (the product of the rest); with two or more, all are 0.
    On Tensors (create_graph) the products are recorded, so second derivatives are exact wherever
    no group holds a zero."""
    x_zero, src_zero = (_array(x) == 0) & x_takes_part, _array(src) == 0
    zeros = x_zero.astype(np.int64)
    np.add.at(zeros, index, src_zero)
    safe_x, safe_src = np.where(x_zero | ~np.asarray(x_takes_part), 1, x), np.where(src_zero, 1, src)
    if isinstance(x, Tensor) or isinstance(src, Tensor):  # create_graph: the products are recorded
        product = ScatterReduce.apply(safe_x, safe_src, index=index, reduce="prod", include_self=True)
    else:
        product = ScatterReduce.forward(None, safe_x, safe_src, index, "prod", True)

    def rest(value, zero, group_zeros, group_product):
        with np.errstate(divide="ignore", invalid="ignore"):  # (x's values that take no part: masked below)
            return np.where(group_zeros == 0, group_product / np.where(zero, 1, value),
                            np.where(zero & (group_zeros == 1), group_product, 0))

    others_x = np.where(x_takes_part, rest(x, x_zero, zeros, product), 0)
    return others_x, rest(src, src_zero, zeros[index], product[index])


class Cumprod(Function):
    saves_inputs = saves_output = True
    formula = "∂/∂xᵢ = Σ_{j ≥ i} g_j·Π_{k ≤ j, k ≠ i} x_k (right at zeros too)"

    @staticmethod
    def forward(ctx, x, axis):
        return np.cumprod(x, axis=axis)

    @staticmethod
    def backward(ctx, g):
        axis, x, out = ctx.attrs["axis"], ctx.inputs[0], ctx.output
        zeros_so_far = np.cumsum(_array(x) == 0, axis=axis)  # zeros at or before each place
        before = zeros_so_far == 0
        if before.all():  # no zero: Σ_{j ≥ i} g_j·out_j / x_i
            return _reverse_cumsum(g * out, axis) / x
        if isinstance(x, Tensor):  # create_graph: the sum itself, exactly differentiable
            return _cumprod_grad_by_pairs(g, x, axis)
        # before the first zero the usual formula holds (the products past it are 0); at the first
        # zero the products leave that zero out; after it every product holds it, so 0
        first = (zeros_so_far == 1) & (x == 0)
        usual = _reverse_cumsum(g * out, axis) / np.where(before, x, 1)
        without_first_zero = np.cumprod(np.where(first, 1, x), axis=axis)
        at_first = _reverse_cumsum(np.where(before, 0, g * without_first_zero), axis)
        return np.where(before, usual, np.where(first, at_first, 0))


def _reverse_cumsum(v, axis):
    return np.flip(np.cumsum(np.flip(v, axis), axis), axis)


def _cumprod_grad_by_pairs(g, x, axis):
    """Σ_{j ≥ i} g_j·Π_{k ≤ j, k ≠ i} x_k for every i, as Tensor ops: lane i of an (n, n) grid is
    x with its own element set to 1. O(n²) per lane, so only for create_graph with zeros in x."""
    g, x = g.swapaxes(axis, -1), x.swapaxes(axis, -1)
    n = x.shape[-1]
    own = np.eye(n, dtype=bool)
    grid = np.where(own, 1, x.unsqueeze(-2).expand(x.shape[:-1] + (n, n)))  # row i: x without x_i
    later = np.triu(np.ones((n, n), dtype=bool))  # j >= i
    terms = np.where(later, Cumprod.apply(grid, axis=-1), 0) * g.unsqueeze(-2)
    return terms.sum(-1).swapaxes(axis, -1)


class Logcumsumexp(Function):
    saves_inputs = saves_output = True
    formula = "∂/∂xᵢ = Σ_{j ≥ i} g_j·exp(xᵢ − out_j)"

    @staticmethod
    def forward(ctx, x, axis):
        return np.logaddexp.accumulate(x, axis=axis)  # each step a stable log(exp(a) + exp(b))

    @staticmethod
    def backward(ctx, g):
        axis, x, out = ctx.attrs["axis"], ctx.inputs[0], ctx.output
        if isinstance(x, Tensor):  # create_graph: the sum itself over (i, j) pairs, O(n²) per lane
            g, x, out = g.swapaxes(axis, -1), x.swapaxes(axis, -1), out.swapaxes(axis, -1)
            later = np.triu(np.ones((x.shape[-1],) * 2, dtype=bool))  # j >= i
            weights = np.where(later, x.unsqueeze(-1) - out.unsqueeze(-2), -np.inf).exp()
            return (weights * g.unsqueeze(-2)).sum(-1).swapaxes(axis, -1)
        # exp(xᵢ)·Σ_{j ≥ i} g_j·exp(−out_j) overflows; instead sum the positive and the negative
        # parts of g each in log space (a reversed logcumsumexp), where every term exp(xᵢ − out_j) ≤ 1
        with np.errstate(divide="ignore", invalid="ignore"):
            parts = [np.log(np.where(sign * g > 0, sign * g, 0)) - out for sign in (1, -1)]
            pos, neg = (np.flip(np.logaddexp.accumulate(np.flip(p, axis), axis=axis), axis) for p in parts)
            return np.exp(x + pos) - np.exp(x + neg)
