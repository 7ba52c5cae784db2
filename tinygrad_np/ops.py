"""The primitive ops: each forward with its local backward rule (vector-Jacobian product).

Conventions shared by every rule:

* ``ctx.inputs`` are the forward's positional arguments and ``ctx.output`` its result:
  NumPy arrays on the plain path, Tensors under ``create_graph`` (so write rules with
  operators, NumPy ufuncs and ``reshape``/``sum``/``swapaxes``/``transpose``, which both have).
* A rule may return a gradient in the broadcast shape of the output; the engine sums it
  back to the input's shape (``autograd.sum_to_shape``) and casts it to the input's dtype.
* Return ``None`` for an input that needs no gradient (``ctx.needs_input_grad``).

Kink conventions (documented in docs/engine.md): relu'(0) = 0, abs'(0) = 0, clip passes
the gradient where min <= x <= max, ties in max/min/maximum/minimum share it equally, and
piecewise-constant ops (floor, round, sign, //) pass zeros, their jumps included.
"""

from __future__ import annotations

import math
import string

import numpy as np

from . import autograd  # for autograd.Tensor: tensor.py imports this module, so it cannot be imported here
from .autograd import Function, sum_to_shape


# ---------------------------------------------------------------- binary elementwise
class Binary(Function):
    """A two-input op whose forward is the NumPy ufunc ``fn`` (Tensor's operators call it directly)."""

    fn = None

    @staticmethod
    def forward(ctx, a, b):
        return type(ctx).fn(a, b)


class Add(Binary):
    fn = np.add

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Binary):
    fn = np.subtract

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Binary):
    fn = np.multiply

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


class Div(Binary):
    fn = np.true_divide

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        grad_a = g / b
        return grad_a, (-grad_a * ctx.output if ctx.needs_input_grad[1] else None)


class Pow(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a**b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        grad_a = g * b * a ** (b - 1) if need_a else None
        grad_b = g * ctx.output * np.log(a) if need_b else None  # defined for a > 0
        return grad_a, grad_b


def _array(v):
    """The array behind ``v``. Gradient masks are constants, so rules build them from arrays even
    when create_graph hands them Tensors; and they build them in backward, not in forward, so a
    forward that is not recorded (no_grad, or no input needing a gradient) computes no mask."""
    return v.data if isinstance(v, autograd.Tensor) else v


class Maximum(Binary):
    fn = np.maximum

    @staticmethod
    def backward(ctx, g):
        a, b = _array(ctx.inputs[0]), _array(ctx.inputs[1])
        # share of the gradient that goes to a: 1 where a wins, 1/2 on ties, 0 where b wins
        share_a = np.where(a == b, 0.5, a > b).astype(_array(ctx.output).dtype)
        return g * share_a, g * (1 - share_a)


class Where(Function):
    @staticmethod
    def forward(ctx, a, b, condition):
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, g):
        cond = ctx.attrs["condition"]
        return np.where(cond, g, 0), np.where(cond, 0, g)


# ---------------------------------------------------------------- unary elementwise
class Elementwise(Function):
    """A one-input elementwise op whose rule returns a gradient of g's shape and dtype (the engine
    skips its check: see ``Function.elementwise``). Its forward is the NumPy function ``fn``, which
    ``Tensor``'s methods call directly; a subclass with a longer forward writes its own."""

    elementwise = True
    fn = None

    @staticmethod
    def forward(ctx, x):
        return type(ctx).fn(x)


class Neg(Elementwise):
    fn = np.negative

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(Elementwise):
    fn = np.exp

    @staticmethod
    def backward(ctx, g):
        return g * ctx.output


class Expm1(Elementwise):
    fn = np.expm1  # exp(x) - 1, accurate for tiny x

    @staticmethod
    def backward(ctx, g):
        return g + g * ctx.output  # = g * exp(x)


class Log1p(Elementwise):
    fn = np.log1p  # log(1 + x), accurate for tiny x

    @staticmethod
    def backward(ctx, g):
        return g / (ctx.inputs[0] + 1)


_erf = np.frompyfunc(math.erf, 1, 1)  # NumPy has no erf; the C library's, one element at a time


class Erf(Elementwise):
    @staticmethod
    def forward(ctx, x):
        return np.asarray(_erf(x), dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g * np.exp(-x * x) * (2 / math.sqrt(math.pi))


class Log(Elementwise):
    fn = np.log

    @staticmethod
    def backward(ctx, g):
        return g / ctx.inputs[0]


class Sqrt(Elementwise):
    fn = np.sqrt

    @staticmethod
    def backward(ctx, g):
        return g / (2 * ctx.output)


class Sin(Elementwise):
    fn = np.sin

    @staticmethod
    def backward(ctx, g):
        return g * np.cos(ctx.inputs[0])


class Cos(Elementwise):
    fn = np.cos

    @staticmethod
    def backward(ctx, g):
        return -g * np.sin(ctx.inputs[0])


class Tanh(Elementwise):
    fn = np.tanh

    @staticmethod
    def backward(ctx, g):
        out = ctx.output
        return g - g * out * out  # = g * (1 - out**2) without a scalar operand (NumPy's slow path)


class Sigmoid(Elementwise):
    # fused rather than 1 / (1 + exp(-x)): that form overflows for x << 0 and its
    # composed backward then gives inf/inf = nan
    @staticmethod
    def forward(ctx, x):
        e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    @staticmethod
    def backward(ctx, g):
        out = ctx.output
        return g * (out - out * out)  # = g * out * (1 - out) in three array ufuncs


class Relu(Elementwise):
    @staticmethod
    def forward(ctx, x):
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, g):
        return g * (ctx.inputs[0] > 0)  # relu'(0) = 0


class Abs(Elementwise):
    fn = np.abs

    @staticmethod
    def backward(ctx, g):
        return g * np.sign(ctx.inputs[0])  # abs'(0) = 0


class Remainder(Binary):
    fn = np.remainder  # a % b with the sign of b (Python's and NumPy's rule, as torch.remainder); a - b * floor(a / b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (g if need_a else None), (-g * np.floor(a / b) if need_b else None)


class Flat(Function):
    """Piecewise-constant ops: zero gradient (PyTorch's choice at the jumps too). Recorded, so a
    backward through them gives zeros rather than an error. Each subclass names its NumPy function."""

    fn = None

    @staticmethod
    def forward(ctx, *operands, **options):
        return type(ctx).fn(*operands, **options)

    @staticmethod
    def backward(ctx, g):
        zeros = np.zeros(g.shape, g.dtype)  # not g * 0, which turns an inf or nan in g into nan
        return tuple(zeros if need else None for need in ctx.needs_input_grad)


class Floor(Flat):
    fn = np.floor


class Ceil(Flat):
    fn = np.ceil


class Trunc(Flat):
    fn = np.trunc


class Round(Flat):
    fn = np.round  # halves to even, as torch.round


class Sign(Flat):
    fn = np.sign


class FloorDivide(Flat):
    fn = np.floor_divide


class Clip(Function):
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
    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g  # the engine casts it back to the input's dtype


class Clone(Function):
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
    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        if not ctx.attrs["keepdims"]:
            g = _keep_reduced_axes(g, ctx.attrs["axis"], x.ndim)
        return _spread(g, x.shape)


class Prod(Function):
    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        return x.prod(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        # d prod / d x_i = the product of the others, which out / x_i is not at a zero (0/0)
        axis, x = ctx.attrs["axis"], ctx.inputs[0]
        if not ctx.attrs["keepdims"]:
            g = _keep_reduced_axes(g, axis, x.ndim)
        if isinstance(x, autograd.Tensor):  # create_graph: products that leave one out, exactly differentiable
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
    @staticmethod
    def forward(ctx, x, axis):
        return np.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, g):
        axis = ctx.attrs["axis"]
        return np.flip(np.cumsum(np.flip(g, axis), axis), axis)  # element i gets the sum of g[i:]


class Max(Function):
    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        top = x.max(axis=axis, keepdims=True)
        return top if keepdims else top.reshape(()) if axis is None else top.squeeze(axis)

    @staticmethod
    def backward(ctx, g):
        axis = ctx.attrs["axis"]
        x, top = _array(ctx.inputs[0]), _array(ctx.output)
        if not ctx.attrs["keepdims"]:
            top, g = _keep_reduced_axes(top, axis, x.ndim), _keep_reduced_axes(g, axis, x.ndim)
        winners = x == top
        return g * (winners / winners.sum(axis=axis, keepdims=True).astype(x.dtype))  # ties split equally


# ---------------------------------------------------------------- linear algebra
class Matmul(Function):
    # both operands have at least 2 dimensions (tensor.matmul promotes 1-D ones)
    @staticmethod
    def forward(ctx, a, b):
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (g @ b.swapaxes(-1, -2) if need_a else None), (a.swapaxes(-1, -2) @ g if need_b else None)


class Einsum(Function):
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
    @staticmethod
    def forward(ctx, x, shape):
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.inputs[0].shape)


class Permute(Function):
    @staticmethod
    def forward(ctx, x, axes):
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(tuple(np.argsort(ctx.attrs["axes"]).tolist()))


class Expand(Function):
    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return sum_to_shape(g, ctx.inputs[0].shape)


def _has_integer_array(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts)


def scatter_add(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices accumulate): the
    transpose of ``x[index]``. Runs on arrays, or as the op ``IndexAdd`` on Tensors."""
    if isinstance(g, autograd.Tensor):
        return IndexAdd.apply(g, shape=shape, index=index)
    out = np.zeros(shape, dtype=g.dtype)
    if _has_integer_array(index):
        np.add.at(out, index, g)
    else:  # basic slicing and boolean masks select each element at most once
        out[index] = g
    return out


class Getitem(Function):
    @staticmethod
    def forward(ctx, x, index):
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return scatter_add(g, ctx.inputs[0].shape, ctx.attrs["index"])


class IndexAdd(Function):
    @staticmethod
    def forward(ctx, g, shape, index):
        return scatter_add(g, shape, index)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.attrs["index"]]


class Cat(Function):
    @staticmethod
    def forward(ctx, *xs, axis):
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        axis = ctx.attrs["axis"]
        bounds = np.cumsum([0] + [x.shape[axis] for x in ctx.inputs])
        lead = (slice(None),) * axis
        return tuple(g[lead + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:]))


class Pad(Function):
    @staticmethod
    def forward(ctx, x, widths, value=0.0):
        return np.pad(x, widths, constant_values=value)

    @staticmethod
    def backward(ctx, g):
        shape = ctx.inputs[0].shape
        return g[tuple(slice(before, before + n) for (before, _), n in zip(ctx.attrs["widths"], shape))]
