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
from .errors import ArgumentError

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
        return record(op, node, forward(node, data) if fn is None else fn(data), None, False, None, None)

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
                    dtype = result_dtype(a_data.dtype, b_data.dtype)
                    return apply(a.astype(dtype), b.astype(dtype))
            elif type(b) in PYTHON_SCALARS and a_data.dtype.kind == "f":
                b = b_data = np.asarray(b, a_data.dtype) if scalars_as_arrays else b
                need_b = False
            else:
                return _promoted(op, apply, a, b)
        elif isinstance(b, Tensor) and type(a) in PYTHON_SCALARS and b.data.dtype.kind == "f":
            b_data, need_b = b.data, b._requires_grad
            a = a_data = np.asarray(a, b_data.dtype) if scalars_as_arrays else a
            need_a = False
        else:
            return _promoted(op, apply, a, b)
        node = None if fn is not None else new_node(op)
        try:
            out = forward(node, a_data, b_data) if fn is None else fn(a_data, b_data)
        except ValueError as e:  # e.g. shapes that do not broadcast: say which op and which shapes
            raise ArgumentError(f"{op.__name__}: {e} (input shapes {np.shape(a_data)}, {np.shape(b_data)})") from None
        if need_a or need_b:
            return record(op, node, out, (a_data, b_data) if keep_inputs else None, keep_output,
                          ((a.grad_fn or a) if need_a else a, (b.grad_fn or b) if need_b else b), NEEDS[need_a, need_b])
        return record(op, node, out, None, False, None, None)

    apply.__name__ = apply.__qualname__ = op.__name__.lower()
    apply.__doc__ = f"The op ``{op.__name__}`` on two operands, after type promotion: {op.formula}"
    return apply


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
    fn = np.sign


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
