"""The Tensor: a NumPy array that remembers the op that made it.

The differentiable ops live in ``ops.py`` (primitives, each with its backward rule) and
here as methods; composite ops (sigmoid aside, which needs a fused rule) are written in
terms of primitives and have no backward of their own.
"""

from __future__ import annotations

import collections
import functools
import math
import numbers
import warnings
import weakref

import numpy as np

from . import dtypes, ops
from .autograd import engine
from .autograd.engine import NodeHooks, mark_modified, run_backward
from .dtypes import result_dtype as _result_dtype
from .dtypes import to_array
from .errors import ArgumentError, ArgumentIndexError, ArgumentTypeError
from .hooks import RemovableHandle

__all__ = ["Tensor", "tensor"]


class _LastAxis:
    """logsumexp's default axis: the last one, unless ``dim=`` is given (shown as -1)."""

    def __repr__(self):
        return "-1"


_LAST_AXIS = _LastAxis()


def _to_array(data, dtype=None) -> np.ndarray:
    """Convert user data to an array with PyTorch's dtype defaults (copying, like ``torch.tensor``)."""
    return to_array(data.data if isinstance(data, Tensor) else data, dtype)


add, sub, mul = ops.Add.apply, ops.Sub.apply, ops.Mul.apply


def _normalize_axis(axis, keepdims, dim, keepdim, ndim: int, *, allow_none: bool = True):
    """Accept NumPy's ``axis``/``keepdims`` and PyTorch's ``dim``/``keepdim``; return (axes tuple or None, keepdims)."""
    if dim is not None:
        if axis is not None:
            raise TypeError("pass either axis or dim, not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    if axis is None:
        if not allow_none:
            raise TypeError("an axis is required")
        return None, bool(keepdims)
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, numbers.Integral):
            raise TypeError(f"axis must be an int or a tuple of ints, got {axis!r}")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise IndexError(f"axis {a} is out of range for a tensor with {ndim} dimensions; valid dims run from "
                             f"{-max(ndim, 1)} to {max(ndim, 1) - 1}")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ArgumentError(f"repeated axis in {axis!r}")
    if ndim == 0:  # as in PyTorch, dim 0 or -1 of a 0-d tensor is the tensor itself: reduce over nothing
        return (), bool(keepdims)
    return tuple(out), bool(keepdims)


def _shape_args(shape) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` both mean shape (2, 3)."""
    if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _bitwise_pair(ufunc, symbol: str):
    """The methods for ``t <symbol> other`` and the reflected ``other <symbol> t``."""

    def op(self, other):
        return _bitwise(ufunc, symbol, self, other)

    def reflected(self, other):
        return _bitwise(ufunc, symbol, other, self)

    op.__doc__ = f"``self {symbol} other`` on integer or bool tensors (PyTorch's ``{ufunc.__name__}``)."
    return op, reflected


class device:
    """PyTorch's ``torch.device``: ``device("cpu")``, ``device("cuda", 0)``, ``device("cuda:0")``. Any
    device can be named, but tensors live only on the CPU: giving another device to a factory or to
    ``.to()`` is an error. Compares equal to its name (``t.device == "cpu"``)."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        kind, _, number = str(type).partition(":")
        self.type, self.index = kind, int(number) if number else index

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type={self.type!r}" + ("" if self.index is None else f", index={self.index}") + ")"

    def __eq__(self, other):
        return isinstance(other, (device, str)) and str(self) == str(other)

    def __hash__(self):
        return hash(str(self))


_CPU = device("cpu")


class Size(tuple):
    """A shape, as ``torch.Size``: a tuple (so it compares equal to one) with ``numel()``. ``t.size()``
    returns one; ``t.shape`` stays a plain tuple, which is four times faster to get on every op."""

    __slots__ = ()

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self):
        return f"Size({list(self)})"


def is_device(x) -> bool:
    """A device name ("cpu", "cuda:0") or object (a ``device``, or anything whose ``.type`` is such a
    name, like ``torch.device``), as opposed to a dtype ("float32", np.float64)."""
    if isinstance(x, str):
        try:
            np.dtype(x)
        except TypeError:
            return True
        return False
    return isinstance(getattr(x, "type", None), str)


def check_device(device, what: str) -> None:
    """Accept ``None`` and the CPU (``"cpu"``, ``"cpu:0"``, or an object whose ``.type`` is "cpu");
    anything else is an error: tinygrad_np computes with NumPy, on the CPU only."""
    if device is None:
        return
    kind = device.type if isinstance(getattr(device, "type", None), str) else str(device)
    if kind.split(":")[0] != "cpu":
        raise ArgumentError(f"{what}: tinygrad_np runs on the CPU only, not on {device!r}")


def _float_reduction(integers: str = "refuse"):
    """Decorate a reduction of floats (mean, var, softmax, norm, ...) with PyTorch's dtype rules:
    ``dtype=`` casts the input first; float16 input is computed in float32 and rounded back once at
    the end (PyTorch accumulates half precision in float32: a float16 mean of 100 000 ones is 1, not
    inf); integer and bool input is refused (PyTorch cannot infer the result's dtype), or with
    ``integers="promote"`` becomes the default float (as ``logsumexp``)."""

    def decorate(method):
        name = method.__name__

        @functools.wraps(method)
        def reduce(self, *args, dtype=None, **kwargs):
            x = self if dtype is None else self.astype(dtype)
            kind = x.data.dtype
            if kind.char in "fd":  # float32, float64: the common case
                return method(x, *args, **kwargs)
            if kind.char == "e":
                with np.errstate(over="ignore"):  # (a float32 result beyond float16's range is inf, as in PyTorch)
                    return method(x.astype(np.float32), *args, **kwargs).astype(np.float16)
            if kind.kind != "f":
                if integers == "refuse":
                    raise ArgumentTypeError(f"{name}(): expected a floating-point tensor, got dtype {kind}: convert "
                                            f"it with .float() or pass dtype=, as in PyTorch")
                x = x.astype(dtypes.DEFAULT_FLOAT)
            return method(x, *args, **kwargs)

        return reduce

    return decorate


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    ``Tensor(data, requires_grad=False, dtype=None)`` copies ``data`` (a scalar, nested
    list, NumPy array or Tensor). Python floats become float32; NumPy float arrays keep
    their dtype; ints and bools stay integral and cannot require a gradient.
    """

    # _hooks: a leaf's gradient hooks (a non-leaf's live on its grad_fn node)
    __slots__ = ("data", "grad", "_requires_grad", "grad_fn", "_hooks", "__weakref__")
    __array_priority__ = 1000  # make ``ndarray <op> Tensor`` defer to Tensor

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        self.data = _to_array(data, dtype)
        self.grad = None
        self.grad_fn = None
        self._hooks = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _wrap(cls, data: np.ndarray, grad_fn) -> Tensor:
        """The fast internal constructor: no copy, no checks."""
        t = object.__new__(cls)
        t.data = data
        t.grad = None
        t.grad_fn = grad_fn
        t._requires_grad = grad_fn is not None
        t._hooks = None
        return t

    # ------------------------------------------------------------------ autograd state
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool):
        if value and self.data.dtype.kind != "f":
            raise RuntimeError(f"only floating-point tensors can require gradients, got dtype {self.data.dtype}; "
                               f"convert it first with .float() (or make it with float values, e.g. 1.0)")
        if not value and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be turned off on leaf tensors; use .detach()")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def retain_grad(self) -> Tensor:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad: it gets no gradient; make the "
                               "leaves it is computed from require grad (requires_grad=True) first")
        if self.grad_fn is not None:
            self._node_hooks().retained = weakref.ref(self)
        return self

    @property
    def retains_grad(self) -> bool:
        """True if this non-leaf tensor called :meth:`retain_grad`."""
        hooks = self.grad_fn.hooks if self.grad_fn is not None else None
        return hooks is not None and hooks.retained is not None and hooks.retained() is self

    def register_hook(self, hook) -> RemovableHandle:
        """Call ``hook(grad)`` with this tensor's gradient each time it is computed, as in PyTorch; if
        it returns a Tensor, that replaces the gradient (for ``.grad`` and for everything upstream).
        Returns a handle whose ``remove()`` takes the hook off again."""
        if not self.requires_grad:
            raise RuntimeError("register_hook(): cannot register a hook on a tensor that doesn't require gradient; "
                               "make the leaves it is computed from require grad (requires_grad=True) first")
        if not callable(hook):
            raise TypeError(f"register_hook(): expected a function of the gradient, got {type(hook).__name__}")
        if self.grad_fn is not None:
            functions = self._node_hooks().functions
        else:
            if self._hooks is None:
                self._hooks = {}
            functions = self._hooks
        return RemovableHandle(functions, hook)

    def _node_hooks(self):
        if self.grad_fn.hooks is None:
            self.grad_fn.hooks = NodeHooks()
        return self.grad_fn.hooks

    def detach(self) -> Tensor:
        """The same data (shared, not copied) outside the graph."""
        return Tensor._wrap(self.data, None)

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (with ``inputs=``: only into theirs).

        A scalar needs no ``gradient``; otherwise pass d(loss)/d(self), shaped like self.
        """
        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad and has no grad_fn: no input it was "
                               "computed from requires grad. Create the leaves with requires_grad=True (or call "
                               ".requires_grad_() on them) before computing it, outside no_grad()")
        if inputs is not None:
            return engine.backward(self, gradient, retain_graph, create_graph, inputs)
        retain = create_graph if retain_graph is None else retain_graph
        run_backward([self], [self._initial_grad(gradient, create_graph)], retain, create_graph)

    def _initial_grad(self, gradient, create_graph: bool):
        if not isinstance(self, Tensor):
            raise TypeError(f"expected a Tensor, got {type(self).__name__}")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward(): grad can be implicitly created only for scalar outputs; this tensor has shape "
                    f"{self.shape}, so pass gradient= with that shape"
                )
            g = np.ones_like(self.data)
        else:
            g = np.array(gradient.data if isinstance(gradient, Tensor) else gradient, dtype=self.dtype)
            if g.shape != self.shape:
                raise RuntimeError(f"backward(): gradient has shape {g.shape} but the tensor has shape {self.shape}; "
                                   f"pass d(loss)/d(tensor), shaped like the tensor")
        if create_graph:
            if isinstance(gradient, Tensor) and gradient.requires_grad:
                return gradient
            return Tensor._wrap(g, None)
        return g

    def _accumulate_grad(self, g) -> None:
        if isinstance(g, Tensor):  # create_graph: keep the graph of the gradient
            self.grad = g if self.grad is None else self.grad + g
            return
        if type(g) is not np.ndarray:
            g = np.asarray(g)
        if self.grad is None:
            self.grad = Tensor._wrap(g, None)
        else:
            self.grad = Tensor._wrap(self.grad.data + g, None)

    # ------------------------------------------------------------------ array-like basics
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def size(self, dim: int | None = None):
        """The shape as a :class:`Size` (PyTorch's ``size()``), or the size of one dimension."""
        return Size(self.data.shape) if dim is None else self.data.shape[dim]

    def numel(self) -> int:
        return self.data.size

    def dim(self) -> int:
        return self.data.ndim

    def numpy(self) -> np.ndarray:
        if self.requires_grad and engine.is_grad_enabled():
            # like PyTorch: make the loss of the graph explicit
            raise RuntimeError("numpy(): call .detach().numpy() on a tensor that requires grad")
        return self.data

    def item(self):
        if self.data.size != 1:
            raise ArgumentError(f"item(): only one-element tensors can be converted, this one has shape {self.shape}; "
                                f"pick one element first (t[0].item()), reduce it (t.sum().item()) or use .tolist()")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        if copy is False and dtype is not None and np.dtype(dtype) != self.dtype:
            raise ValueError("__array__: a copy is needed to change the dtype")
        arr = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return arr.copy() if copy else arr

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor: it has no first dimension; use .numel() for the number of "
                            "elements or .item() for its value")
        return len(self.data)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with shape {self.shape} is ambiguous; use .any() or "
                               f".all()")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        value = self.item()
        if isinstance(value, float) and not np.isfinite(value):
            raise ValueError(f"int(): the tensor holds {value}, which has no integer value; check for it first "
                             f"(t.isnan(), t.isinf()) or replace it (t.nan_to_num())")
        return int(value)

    def __index__(self):
        if self.dtype.kind not in "iu":
            raise TypeError("only integer tensors can be used as an index")
        return int(self.item())

    __hash__ = object.__hash__  # identity, although == is elementwise

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", precision=4)
        extra = ""
        if self.dtype != dtypes.DEFAULT_FLOAT:
            extra += f", dtype={self.dtype}"
        if self.grad_fn is not None:
            extra += f", grad_fn=<{self.grad_fn.name}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    # ------------------------------------------------------------------ dtype conversion
    def astype(self, dtype) -> Tensor:
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        if dtype.kind != "f":  # integers and bools carry no gradient (as in PyTorch): the graph ends here
            return Tensor._wrap(self.data.astype(dtype), None)
        return ops.Cast.apply(self, dtype=dtype)

    def to(self, *args, dtype=None, device=None, non_blocking: bool = False, copy: bool = False) -> Tensor:
        """``t.to(dtype)``, ``t.to(other_tensor)`` (its dtype), ``t.to(device)``, ``t.to(device, dtype)``
        and the keyword forms, as in PyTorch. The device must be the CPU (``"cpu"``, ``"cpu:0"``,
        ``device("cpu")`` or ``torch.device("cpu")``); anything else is an error."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, bool):
                continue  # non_blocking: nothing to wait for on the CPU
            elif is_device(arg):
                device = arg
            else:
                dtype = arg
        check_device(device, "to()")
        out = self if dtype is None else self.astype(dtype)
        return out.clone() if copy and out is self else out

    @property
    def device(self) -> device:
        """The device the tensor lives on: always ``device("cpu")`` (which equals ``"cpu"``)."""
        return _CPU

    def cpu(self) -> Tensor:
        return self

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def long(self) -> Tensor:
        return self.astype(np.int64)

    def int(self) -> Tensor:
        return self.astype(np.int32)

    def half(self) -> Tensor:
        return self.astype(np.float16)

    def bool(self) -> Tensor:
        return self.astype(np.bool_)

    clone = ops.Clone.apply

    def type(self, dtype=None):
        """``t.type(dtype)`` casts like ``astype``; ``t.type()`` names the dtype."""
        return str(self.dtype) if dtype is None else self.astype(dtype)

    # new tensors with this one's dtype, outside the graph (PyTorch's new_*)
    # (``dtype=`` and ``device=`` as in PyTorch: another dtype, the CPU)
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> Tensor:
        return tensor(data, requires_grad, self.dtype if dtype is None else dtype, device)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
        check_device(device, "new_full()")
        dtype = self.dtype if dtype is None else dtype
        out = Tensor._wrap(np.full(_shape_args((size,)), fill_value, dtype=dtype), None)
        return out.requires_grad_() if requires_grad else out

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return self.new_full(_shape_args(size), 0, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return self.new_full(_shape_args(size), 1, dtype, device, requires_grad)

    # ------------------------------------------------------------------ NumPy interop
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """``np.exp(t)``, ``ndarray * t`` and friends become Tensor ops (that is how backward
        rules written with NumPy run on Tensors under ``create_graph``)."""
        fn = _UFUNCS.get(ufunc) if method == "__call__" and not kwargs else None
        if fn is not None:
            return fn(*inputs)
        if any(isinstance(x, Tensor) and x.requires_grad for x in inputs) and engine.is_grad_enabled():
            raise TypeError(
                f"np.{ufunc.__name__} is not differentiable in tinygrad_np; use the Tensor op, or "
                f".detach() first if no gradient is wanted"
            )
        return getattr(ufunc, method)(*[x.data if isinstance(x, Tensor) else x for x in inputs], **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        fn = _ARRAY_FUNCTIONS.get(func)
        if fn is not None:
            return fn(*args, **kwargs)

        def unwrap(x):
            if isinstance(x, Tensor):
                return x.data
            if isinstance(x, (list, tuple)):
                return type(x)(unwrap(v) for v in x)
            return x

        return func(*unwrap(args), **{k: unwrap(v) for k, v in kwargs.items()})

    # ------------------------------------------------------------------ arithmetic
    __add__, __sub__, __mul__ = add, sub, mul

    def __radd__(self, other):
        return add(other, self)

    def __rsub__(self, other):
        return sub(other, self)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return div(self, other)

    def __rtruediv__(self, other):
        return div(other, self)

    def __mod__(self, other):
        return remainder(self, other)

    def __rmod__(self, other):
        return remainder(other, self)

    def __floordiv__(self, other):
        return floor_divide(self, other)

    def __rfloordiv__(self, other):
        return floor_divide(other, self)

    def __pow__(self, other):
        return pow(self, other)

    def __rpow__(self, other):
        return pow(other, self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    __neg__ = ops.Neg.apply

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    # In place: only outside the graph, as a manual update does (``with no_grad(): w -= lr * w.grad``).
    # Each change is noted (engine.mark_modified), so a rule that saved this memory refuses to run.
    def _in_place(self, what: str, write) -> Tensor:
        """Run ``write(array)`` on this tensor's array (``what``: the user's spelling, e.g. "add_")."""
        if self.grad_fn is not None:
            raise RuntimeError(
                f"{what}: no in-place change of a tensor computed by a recorded op (grad_fn=<{self.grad_fn.name}>): "
                f"backward needs it as it is. Write t = t + x (a new tensor) instead"
            )
        if self._requires_grad and engine.is_grad_enabled():
            raise RuntimeError(
                f"{what}: no in-place change of a leaf tensor that requires grad while ops are recorded. Do the "
                f"update inside `with tinygrad_np.no_grad():` (as an optimizer step does)"
            )
        try:
            write(self.data)
        except IndexError as e:
            raise _index_error(e, self.shape) from None
        except (TypeError, ValueError) as e:  # NumPy refused (before writing): a dtype or shape that does not fit
            raise (ArgumentTypeError if isinstance(e, TypeError) else ArgumentError)(
                f"{what}: {str(e).rstrip('. ')}. This tensor has shape {self.shape} and dtype {self.dtype}, which an "
                f"in-place change keeps: use a value that broadcasts to that shape and converts to that dtype, or "
                f"compute a new tensor (t = t + x)") from None
        mark_modified(self.data, what)
        return self

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has had (PyTorch's version counter)."""
        return engine.version(self.data)

    def _update(self, ufunc, other, what: str):
        other = other.data if isinstance(other, Tensor) else other
        # PyTorch casts the result into the tensor's dtype unless that lowers its category (float into int, int
        # into bool): NumPy's "same_kind" would also refuse int64 into uint8, which PyTorch wraps
        casting = ("unsafe" if self.data.dtype.kind in "iu" and isinstance(other, np.ndarray) and other.dtype.kind
                   in "biu" else "same_kind")
        return self._in_place(what, lambda data: ufunc(data, other, out=data, casting=casting))

    def __iadd__(self, other):
        return self._update(np.add, other, "+=")

    def __isub__(self, other):
        return self._update(np.subtract, other, "-=")

    def __imul__(self, other):
        return self._update(np.multiply, other, "*=")

    def __itruediv__(self, other):
        return self._update(np.true_divide, other, "/=")

    def add_(self, other, *, alpha=1):
        return self._update(np.add, other if alpha == 1 else _scaled(other, alpha), "add_")

    def sub_(self, other, *, alpha=1):
        return self._update(np.subtract, other if alpha == 1 else _scaled(other, alpha), "sub_")

    def mul_(self, other):
        return self._update(np.multiply, other, "mul_")

    def div_(self, other):
        return self._update(np.true_divide, other, "div_")

    def fill_(self, value):
        return self._in_place("fill_", _assign(..., value))

    def zero_(self):
        return self._in_place("zero_", _assign(..., 0))

    def copy_(self, src):
        return self._in_place("copy_", _assign(..., src))

    # comparisons: bool tensors outside the graph
    def __lt__(self, other):
        return _compare(np.less, self, other)

    def __le__(self, other):
        return _compare(np.less_equal, self, other)

    def __gt__(self, other):
        return _compare(np.greater, self, other)

    def __ge__(self, other):
        return _compare(np.greater_equal, self, other)

    def __eq__(self, other):
        return _compare(np.equal, self, other)

    def __ne__(self, other):
        return _compare(np.not_equal, self, other)

    # bitwise ops on integer and bool tensors (on bool: logical), outside the graph, in PyTorch's dtypes
    def __invert__(self):
        if self.data.dtype.kind not in "biu":
            raise ArgumentTypeError(f"~ is only defined for integer and bool tensors, got dtype {self.dtype}")
        return Tensor._wrap(np.invert(self.data), None)

    bitwise_not = __invert__
    __and__, __rand__ = bitwise_and, _ = _bitwise_pair(np.bitwise_and, "&")
    __or__, __ror__ = bitwise_or, _ = _bitwise_pair(np.bitwise_or, "|")
    __xor__, __rxor__ = bitwise_xor, _ = _bitwise_pair(np.bitwise_xor, "^")
    __lshift__, __rlshift__ = bitwise_left_shift, _ = _bitwise_pair(np.left_shift, "<<")
    __rshift__, __rrshift__ = bitwise_right_shift, _ = _bitwise_pair(np.right_shift, ">>")
    del _

    # ------------------------------------------------------------------ elementwise
    exp, log, sqrt = ops.Exp.apply, ops.Log.apply, ops.Sqrt.apply
    sin, cos, tanh = ops.Sin.apply, ops.Cos.apply, ops.Tanh.apply
    sigmoid, relu = ops.Sigmoid.apply, ops.Relu.apply

    @engine.named_call("leaky_relu")
    def leaky_relu(self, negative_slope: float = 0.01):
        return where(self > 0, self, self * negative_slope)

    abs = ops.Abs.apply

    # piecewise constant, so their gradient is zero (as in PyTorch)
    floor, ceil, trunc = ops.Floor.apply, ops.Ceil.apply, ops.Trunc.apply

    def round(self, decimals: int = 0):
        """Round half to even (NumPy's and PyTorch's rule), to ``decimals`` places."""
        if self.data.dtype == np.bool_:  # (NumPy would give float16)
            raise TypeError("round(): not defined for bool tensors, as in PyTorch; convert them with .float()")
        return ops.Round.apply(self) if decimals == 0 else ops.Round.apply(self, decimals=decimals)

    def sign(self):
        """-1, 0 or 1 (a bool tensor is its own sign, as in PyTorch); its gradient is zero."""
        return ops.Sign.apply(self) if self.data.dtype != np.bool_ else self.clone()

    def __round__(self, ndigits=None):  # round(t) and round(t, 2), as in PyTorch: a Tensor
        return self.round(0 if ndigits is None else ndigits)

    expm1, log1p, erf = ops.Expm1.apply, ops.Log1p.apply, ops.Erf.apply

    @engine.named_call("reciprocal")
    def reciprocal(self):
        return 1 / self

    @engine.named_call("rsqrt")
    def rsqrt(self):
        return 1 / self.sqrt()

    # tests that return bool tensors outside the graph
    def isnan(self):
        return Tensor._wrap(np.isnan(self.data), None)

    def isinf(self):
        return Tensor._wrap(np.isinf(self.data), None)

    def isfinite(self):
        return Tensor._wrap(np.isfinite(self.data), None)

    def isposinf(self):
        return Tensor._wrap(np.isposinf(self.data) if self.data.dtype.kind == "f" else np.zeros(self.shape, bool), None)

    def isneginf(self):
        return Tensor._wrap(np.isneginf(self.data) if self.data.dtype.kind == "f" else np.zeros(self.shape, bool), None)

    def signbit(self):
        """True where the sign bit is set: negative values, -0.0 and NaN with the sign bit, as in PyTorch."""
        return Tensor._wrap(np.signbit(self.data) if self.data.dtype != np.bool_ else np.zeros(self.shape, bool), None)

    def logical_not(self):
        return Tensor._wrap(np.logical_not(self.data), None)

    def logical_and(self, other):
        return logical_and(self, other)

    def logical_or(self, other):
        return logical_or(self, other)

    def logical_xor(self, other):
        return logical_xor(self, other)

    def count_nonzero(self, dim=None, *, axis=None):
        """How many elements are not zero (NaN counts), over ``dim`` (an int or a tuple; all by default), as int64."""
        axes, _ = _normalize_axis(axis, False, dim, None, self.ndim)
        return Tensor._wrap(np.asarray(np.count_nonzero(self.data, axis=axes), np.int64), None)

    def nan_to_num(self, nan: float = 0.0, posinf=None, neginf=None):
        """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default the dtype's largest
        and smallest values); the gradient passes where the input is finite, as in PyTorch."""
        if self.data.dtype.kind != "f":
            return self.clone()
        replaced = np.nan_to_num(self.data, nan=nan, posinf=posinf, neginf=neginf)
        return where(Tensor._wrap(np.isfinite(self.data), None), self, Tensor._wrap(replaced, None))

    def all(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axes, keep = _normalize_axis(axis, keepdims, dim, keepdim, self.ndim)
        return _truth(self.data.all(axis=axes, keepdims=keep), self.data.dtype)

    def any(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axes, keep = _normalize_axis(axis, keepdims, dim, keepdim, self.ndim)
        return _truth(self.data.any(axis=axes, keepdims=keep), self.data.dtype)

    @engine.named_call("square")
    def square(self):
        x = self.astype(np.int64) if self.data.dtype == np.bool_ else self  # (PyTorch: bool squares to int64)
        return x * x

    def clip(self, min=None, max=None):
        """Limit values to [min, max]; the gradient passes where min <= x <= max. As in PyTorch, a float
        bound makes an integer tensor float, a bool tensor becomes int64, and Tensor bounds (which get
        their gradient where they bind) promote with the tensor."""
        if min is None and max is None:
            raise ArgumentError("clip(): at least one of min and max must be given")
        bounds = [b.item() if isinstance(b, np.generic) else b for b in (min, max)]
        if any(b is not None and type(b) not in (int, float, bool) for b in bounds):
            low, high = (None if b is None else _tensor(b) for b in bounds)  # max(x, min), then min(.., max)
            out = self if low is None else where(self < low, low, self)
            return out if high is None else where(out > high, high, out)
        x, (low, high) = self, bounds
        if x.data.dtype.kind != "f":
            if isinstance(low, float) or isinstance(high, float):
                x = x.astype(dtypes.DEFAULT_FLOAT)
            else:
                x = x.astype(np.int64) if x.data.dtype == np.bool_ else x
                info = np.iinfo(x.dtype)
                if any(b is not None and not info.min <= b <= info.max for b in bounds):
                    raise ArgumentError(f"clip(): bounds {min}, {max} cannot be converted to {x.dtype} without "
                                        f"overflow; convert the tensor first (e.g. .long())")
        return ops.Clip.apply(x, min=low, max=high)

    clamp = clip

    def maximum(self, other):
        return maximum(self, other)

    def minimum(self, other):
        return minimum(self, other)

    # ------------------------------------------------------------------ reductions
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None):
        """Sum over ``dim``/``axis`` (all by default). Integers and bools sum in int64, as in PyTorch;
        ``dtype=`` casts the input first (``t.sum(dtype=tinygrad_np.float64)``)."""
        axes, keep = _normalize_axis(axis, keepdims, dim, keepdim, self.ndim)
        x = self if dtype is None and self.data.dtype.kind == "f" else self._accumulator(dtype)
        return ops.Sum.apply(x, axis=axes, keepdims=keep)

    def prod(self, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None):
        """Product of elements; its gradient is right at zeros too (the product of the others). Integers
        and bools multiply in int64, as in PyTorch; ``dtype=`` casts the input first."""
        axes, keep = _normalize_axis(axis, keepdims, dim, keepdim, self.ndim)
        return ops.Prod.apply(self._accumulator(dtype), axis=axes, keepdims=keep)

    def _accumulator(self, dtype):
        """The tensor a sum or product runs on: cast to ``dtype`` if given, else integers and bools to int64."""
        if dtype is not None:
            return self.astype(dtype)
        return self if self.data.dtype.kind == "f" else self.astype(np.int64)

    def nansum(self, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None):
        """``sum`` with NaN counted as zero (its gradient is 0 there)."""
        x = self if self.data.dtype.kind != "f" else where(self.isnan(), 0.0, self)
        return x.sum(axis, keepdims, dim=dim, keepdim=keepdim, dtype=dtype)

    @engine.named_call("nanmean")
    def nanmean(self, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None):
        """The mean of the values that are not NaN (NaN where there are none). As in PyTorch it is
        ``nansum / count`` in the input's dtype, so a float16 sum beyond float16's range gives inf."""
        x = self if dtype is None else self.astype(dtype)
        if x.data.dtype.kind != "f":
            raise ArgumentTypeError(f"nanmean(): expected a floating-point tensor, got dtype {x.dtype}: convert it "
                                    f"with .float() or pass dtype=, as in PyTorch")
        kept = Tensor._wrap((~np.isnan(x.data)).astype(x.data.dtype), None)
        with np.errstate(invalid="ignore", divide="ignore"):  # no values left: 0/0 = NaN
            return x.nansum(axis, keepdims, dim=dim, keepdim=keepdim) / kept.sum(axis, keepdims, dim=dim,
                                                                                  keepdim=keepdim)

    @engine.named_call("mean")
    @_float_reduction()
    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        axes, keep = _normalize_axis(axis, keepdims, dim, keepdim, self.ndim)
        count = self.data.size if axes is None else int(np.prod([self.shape[a] for a in axes]))
        # the mean of no values is NaN, as in PyTorch (the sum of none is 0, times NaN)
        return ops.Sum.apply(self, axis=axes, keepdims=keep) * (1.0 / count if count else math.nan)

    @engine.named_call("max")
    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Largest values, in PyTorch's three forms and NumPy's:

        * ``t.max()``, ``t.max(axis=...)``: the values (NumPy); tied maxima share the gradient.
        * ``t.max(dim)``, ``t.max(dim=1, keepdim=True)``: ``(values, indices)`` (PyTorch; a named
          tuple, so ``_, predicted = out.max(1)`` works); the gradient goes to the index given.
        * ``t.max(other)``: the elementwise ``maximum``.
        """
        return self._extreme("max", dim, keepdim, axis, keepdims)

    @engine.named_call("min")
    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Smallest values; the same forms as :meth:`max`."""
        return self._extreme("min", dim, keepdim, axis, keepdims)

    def _extreme(self, kind, dim, keepdim, axis, keepdims):
        if isinstance(dim, Tensor):
            return (maximum if kind == "max" else minimum)(self, dim)
        if isinstance(dim, numbers.Integral) and axis is None:  # PyTorch's max(dim): values and indices
            if self.ndim == 0:  # dim 0 or -1 of a 0-d tensor is the tensor itself
                _normalize_axis(dim, False, None, None, 0)
                return ValuesIndices(self.clone(), Tensor._wrap(np.asarray(0), None))
            indices = (self.argmax if kind == "max" else self.argmin)(dim, keepdim=True)
            values = self.gather(dim, indices)
            if not keepdim:
                values, indices = values.squeeze(dim), indices.squeeze(dim)
            return ValuesIndices(values, indices)
        return (self.amax if kind == "max" else self.amin)(dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Largest values over ``dim``/``axis`` (an int, a tuple, or None for all); ties share the gradient."""
        return self._reduce_extreme(ops.Max, dim, keepdim, axis, keepdims)

    @engine.named_call("amin")
    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Smallest values over ``dim``/``axis``; ties share the gradient."""
        return self._reduce_extreme(ops.Min, dim, keepdim, axis, keepdims)

    def _reduce_extreme(self, op, dim, keepdim, axis, keepdims):
        axes, keep = _normalize_axis(axis, keepdim if keepdims is None else keepdims, dim, None, self.ndim)
        if self.data.size == 0 and (axes is None or 0 in [self.shape[a] for a in axes]):
            # (over non-empty dims of an empty tensor, the result is empty, as in PyTorch)
            name = op.__name__.lower()
            raise ArgumentError(f"{name}() of an empty tensor (shape {self.shape}) over a dim of size 0: the "
                                f"{name}imum of no values is undefined; check where it became empty, or reduce "
                                f"over a dim of nonzero size")
        return op.apply(self, axis=axes, keepdims=keep)

    @engine.named_call("var")
    @_float_reduction()
    def var(self, axis=None, keepdims=False, *, dim=None, keepdim=None, correction=None, unbiased=None, ddof=None):
        """Variance. Like PyTorch the default is the unbiased estimate (``correction=1``);
        pass ``ddof=0`` (NumPy's name) or ``correction=0`` for the population variance."""
        given = [c for c in (correction, ddof) if c is not None]
        if len(given) > 1 or (given and unbiased is not None):
            raise TypeError("var(): pass only one of correction, ddof and unbiased")
        corr = given[0] if given else (1 if unbiased is None or unbiased else 0)
        axes, keep = _normalize_axis(axis, keepdims, dim, keepdim, self.ndim)
        count = self.data.size if axes is None else int(np.prod([self.shape[a] for a in axes]))
        centred = self - self.mean(axes, keepdims=True)
        squares = (centred * centred).sum(axes, keepdims=keep)
        if count - corr > 0:
            return squares * (1.0 / (count - corr))
        # no degrees of freedom: PyTorch divides by max(0, N - correction), so 0/0 = NaN and s/0 = inf
        warnings.warn(f"var(): {count} element(s) with correction {corr} leave no degrees of freedom", RuntimeWarning,
                      stacklevel=3)
        with np.errstate(divide="ignore", invalid="ignore"):
            return squares / 0.0

    @engine.named_call("std")
    @_float_reduction()
    def std(self, axis=None, keepdims=False, *, dim=None, keepdim=None, correction=None, unbiased=None, ddof=None):
        """Standard deviation (same defaults as :meth:`var`)."""
        spread = self.var(axis, keepdims, dim=dim, keepdim=keepdim, correction=correction, unbiased=unbiased, ddof=ddof)
        return spread.sqrt()

    @engine.named_call("logsumexp")
    @_float_reduction(integers="promote")
    def logsumexp(self, axis=_LAST_AXIS, keepdims=False, *, dim=_LAST_AXIS, keepdim=None):
        """log(sum(exp(x))) over ``axis``/``dim`` (default: the last one; None: all), computed stably by
        shifting by the (constant) maximum."""
        if axis is _LAST_AXIS and dim is _LAST_AXIS:
            axis, dim = -1, None
        elif axis is _LAST_AXIS:
            axis = None
        elif dim is _LAST_AXIS:
            dim = None
        axes, keep = _normalize_axis(axis, keepdims, dim, keepdim, self.ndim)
        shift = _shift(self.data, axes)
        shift = np.where(np.isfinite(shift), shift, 0)  # an all -inf row stays -inf, not nan
        out = (self - shift).exp().sum(axes, keepdims=True).log() + shift
        return out if keep else out.reshape(_reduced_shape(self.shape, axes))

    @engine.named_call("softmax")
    @_float_reduction()
    def softmax(self, axis=None, *, dim=None):
        """exp(x) / sum(exp(x)) along ``axis`` (default: the last one), shifted by the maximum for stability."""
        ax = _one_axis(axis, dim, self.ndim)
        e = (self - _shift(self.data, ax)).exp()
        return e / e.sum(ax, keepdims=True)

    @engine.named_call("log_softmax")
    @_float_reduction()
    def log_softmax(self, axis=None, *, dim=None):
        """x - logsumexp(x) along ``axis`` (default: the last one), as (x - max) - log(sum(exp(x - max))):
        subtracting the maximum first keeps the digits that x - logsumexp(x) cancels for large logits."""
        ax = _one_axis(axis, dim, self.ndim)
        shifted = self - _shift(self.data, ax)  # a row with +inf or all -inf is NaN, as in PyTorch
        if self.data.size == 0:  # nothing to normalise (the sum below would be a log(0))
            return shifted
        return shifted - shifted.exp().sum(ax, keepdims=True).log()

    @engine.named_call("norm")
    @_float_reduction()
    def norm(self, p=2, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The p-norm over ``dim`` (all elements by default): ``p`` = 2 (or ``"fro"``), 1, any
        other p > 0, ``inf``, ``-inf``, or 0: the number of nonzero elements (NaN counts), whose
        gradient is 0. At an all-zero input the gradient is 0, as in PyTorch."""
        axes, keep = _normalize_axis(axis, keepdim if keepdims is None else keepdims, dim, None, self.ndim)
        p = 2 if p == "fro" else p
        if p in (np.inf, -np.inf):
            return self.abs().amax(axes, keep) if p > 0 else self.abs().amin(axes, keep)
        if not isinstance(p, numbers.Real) or isinstance(p, bool) or not p >= 0:
            raise ValueError(f"norm(): p must be a number >= 0, inf, -inf or 'fro', got {p!r}")
        if p == 0:  # a count: still in the graph (backward gives zeros, as in PyTorch), sign's gradient is 0
            nonzero = Tensor._wrap((self.data != 0).astype(self.dtype), None)
            return (self.sign() * 0.0 + nonzero).sum(axes, keep)
        if p == 1:
            return self.abs().sum(axes, keep)
        total = (self * self if p == 2 else self.abs() ** p).sum(axes, keep)
        nonzero = total != 0  # total ** (1 / p) has an infinite slope at 0: take the zero branch there (NaN goes on)
        return where(nonzero, where(nonzero, total, 1.0) ** (1.0 / p), 0.0)

    def cumsum(self, axis=None, *, dim=None):
        """Running sum along one axis: PyTorch's ``dim`` or NumPy's ``axis`` (one of them is required)."""
        if axis is None and dim is None:
            raise TypeError("cumsum(): give the axis, as dim= (PyTorch) or axis= (NumPy)")
        ax = _one_axis(axis, dim, self.ndim)
        if ax is None:  # a 0-d tensor: its own running sum, still 0-d (np.cumsum would flatten it)
            return self.clone() if self.data.dtype.kind == "f" else self.astype(np.int64)
        return ops.Cumsum.apply(self if self.data.dtype.kind == "f" else self.astype(np.int64), axis=ax)

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _arg_extreme(self, np.argmax, axis, keepdims, dim, keepdim)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _arg_extreme(self, np.argmin, axis, keepdims, dim, keepdim)

    def argsort(self, dim: int = -1, descending: bool = False, *, axis=None):
        """Indices that sort along ``dim`` (default: the last); ties keep their order, either direction."""
        ax = _one_axis(axis, dim, self.ndim)
        if ax is None:  # a 0-d tensor
            return Tensor._wrap(np.asarray(0), None)
        if not descending:
            return Tensor._wrap(np.argsort(self.data, axis=ax, kind="stable"), None)
        # descending: the ascending order of the reversed values, read backwards, keeps ties in their
        # original order and puts NaN first, as PyTorch (negating would wrap unsigned values and keep NaN last)
        backwards = np.flip(np.argsort(np.flip(self.data, ax), axis=ax, kind="stable"), ax)
        return Tensor._wrap(self.shape[ax] - 1 - backwards, None)

    @engine.named_call("sort")
    def sort(self, dim: int = -1, descending: bool = False, *, axis=None):
        """``(values, indices)`` sorted along ``dim``; each value's gradient goes back to where it came from."""
        ax = _one_axis(axis, dim, self.ndim)
        indices = self.argsort(dim, descending, axis=axis)
        return ValuesIndices(self.clone() if ax is None else self.gather(ax, indices), indices)

    @engine.named_call("topk")
    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """The ``k`` largest (``largest=False``: smallest) ``(values, indices)`` along ``dim``, in order."""
        ax = _one_axis(None, dim, self.ndim)
        if ax is None:
            raise ArgumentError("topk(): the tensor needs at least one dimension")
        if not 0 <= k <= self.shape[ax]:
            raise ArgumentError(f"topk(): k={k} is out of range for a dimension of size {self.shape[ax]}")
        order = self.argsort(ax, descending=largest).data
        indices = Tensor._wrap(np.take(order, np.arange(k), axis=ax), None)
        return ValuesIndices(self.gather(ax, indices), indices)

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape):
        shape = _shape_args(shape)
        if -1 in shape:
            known = int(np.prod([n for n in shape if n != -1]))
            if shape.count(-1) > 1 or known == 0 or self.data.size % known:
                raise self._reshape_error(shape)
            shape = tuple(self.data.size // known if n == -1 else n for n in shape)
        if int(np.prod(shape)) != self.data.size or any(n < 0 for n in shape):
            raise self._reshape_error(shape)
        if shape == self.shape:
            return self
        return ops.Reshape.apply(self, shape=shape)

    def _reshape_error(self, shape) -> ArgumentError:
        return ArgumentError(f"reshape(): cannot reshape a tensor of shape {self.shape} ({self.data.size} elements) "
                             f"into {shape}; the new shape must hold {self.data.size} elements (one size may be -1, "
                             f"inferred)")

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1 :])

    def permute(self, *dims):
        dims = _shape_args(dims)
        if sorted(d % max(self.ndim, 1) for d in dims) != list(range(self.ndim)):
            raise ArgumentError(f"permute(): {dims} is not a permutation of the {self.ndim} dimensions")
        return ops.Permute.apply(self, axes=tuple(d % self.ndim for d in dims))

    def transpose(self, *dims):
        """``t.transpose(d0, d1)`` swaps two dimensions (PyTorch); ``t.transpose()`` reverses
        all of them and ``t.transpose((2, 0, 1))`` permutes (NumPy)."""
        if not dims:
            return self.permute(*reversed(range(self.ndim)))
        if len(dims) == 2 and all(isinstance(d, numbers.Integral) for d in dims):
            return self.swapaxes(*dims)
        return self.permute(*dims)

    def swapaxes(self, axis0: int, axis1: int):
        for axis in (axis0, axis1):  # in range (the error names them)
            _normalize_axis(axis, False, None, None, self.ndim)
        order = list(range(self.ndim))
        order[axis0], order[axis1] = order[axis1], order[axis0]
        return self.permute(*order)

    swapdims = swapaxes

    def movedim(self, source, destination):
        """Move the dims ``source`` (an int or a tuple) to ``destination``, the others keeping their order."""
        if isinstance(source, numbers.Integral) != isinstance(destination, numbers.Integral):
            raise ArgumentTypeError(f"movedim(): source and destination must both be ints or both be tuples, got "
                                    f"{source!r} and {destination!r}")
        src, _ = _normalize_axis(source, False, None, None, self.ndim, allow_none=False)
        dst, _ = _normalize_axis(destination, False, None, None, self.ndim, allow_none=False)
        if len(src) != len(dst):
            raise ArgumentError(f"movedim(): source {source} and destination {destination} name different numbers "
                                f"of dims")
        order = [d for d in range(self.ndim) if d not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return self.permute(*order)

    moveaxis = movedim

    def ravel(self):
        """The elements as one dimension (``reshape(-1)``)."""
        return self.reshape(-1)

    @property
    def T(self):
        return self.permute(*reversed(range(self.ndim)))

    def squeeze(self, axis=None, *, dim=None):
        axes, _ = _normalize_axis(axis, False, dim, None, self.ndim)
        if axes is None:
            axes = tuple(i for i, n in enumerate(self.shape) if n == 1)
        axes = tuple(a for a in axes if self.shape[a] == 1)  # like PyTorch: other sizes are left alone
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, dim: int):
        if not -self.ndim - 1 <= dim <= self.ndim:
            raise IndexError(f"unsqueeze(): dim {dim} is out of range for a tensor with {self.ndim} dimensions")
        dim = dim % (self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    expand_dims = unsqueeze

    def expand(self, *shape):
        shape = _shape_args(shape)
        lead = len(shape) - self.ndim
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        try:
            np.broadcast_to(np.empty(self.shape, np.int8), shape)
        except ValueError:
            raise ArgumentError(f"expand(): cannot broadcast shape {self.shape} to {shape}; only dimensions of size 1 "
                                f"can be expanded (and new ones added in front)") from None
        if shape == self.shape:
            return self
        return ops.Expand.apply(self, shape=shape)

    broadcast_to = expand

    def expand_as(self, other):
        return self.expand(other.shape)

    def __getitem__(self, index):
        index = _index_arrays(index)
        try:
            if type(index) is _Selected:  # integers first, then the rest (see _index_arrays)
                return ops.Getitem.apply(ops.Getitem.apply(self, index=index.first), index=index.rest)
            return ops.Getitem.apply(self, index=index)
        except IndexError as e:
            raise _index_error(e, self.shape) from None

    def __setitem__(self, index, value):
        self._in_place("item assignment", _assign(_index_arrays(index), value))

    @engine.named_call("flip")
    def flip(self, *dims):
        """Reverse the order along ``dims`` (PyTorch; NumPy's ``np.flip(t, axis)`` works too)."""
        axes, _ = _normalize_axis(_shape_args(dims), False, None, None, self.ndim)
        return self[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(self.ndim))]

    @engine.named_call("split")
    def split(self, split_size_or_sections, dim: int = 0):
        """Pieces along ``dim``: of ``split_size`` each (the last one smaller), or of the given sizes."""
        n = self.shape[dim]
        if isinstance(split_size_or_sections, numbers.Integral):
            if split_size_or_sections <= 0:
                raise ArgumentError(f"split(): split_size must be positive, got {split_size_or_sections}")
            sizes = [min(split_size_or_sections, n - i) for i in range(0, n, split_size_or_sections)]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise ArgumentError(f"split(): sizes {sizes} do not add up to {n}, the size of dim {dim}")
        lead = (slice(None),) * (dim % self.ndim)
        ends = np.cumsum([0] + sizes)
        return tuple(self[lead + (slice(int(a), int(b)),)] for a, b in zip(ends[:-1], ends[1:]))

    @engine.named_call("chunk")
    def chunk(self, chunks: int, dim: int = 0):
        """At most ``chunks`` pieces of equal size along ``dim`` (the last one smaller), as PyTorch."""
        return self.split(max(1, -(-self.shape[dim] // chunks)), dim)

    @engine.named_call("unbind")
    def unbind(self, dim: int = 0):
        """The slices along ``dim``, with that dimension removed."""
        lead = (slice(None),) * (dim % self.ndim)
        return tuple(self[lead + (i,)] for i in range(self.shape[dim]))

    @engine.named_call("repeat")
    def repeat(self, *sizes):
        """Tile the tensor ``sizes[i]`` times along dimension i (PyTorch's ``repeat``, NumPy's ``tile``)."""
        sizes = _shape_args(sizes)
        if len(sizes) < self.ndim:
            raise ArgumentError(f"repeat(): {len(sizes)} sizes for a tensor with {self.ndim} dimensions")
        shape = (1,) * (len(sizes) - self.ndim) + self.shape
        # a new axis of size r before each axis of size n, expanded to r, then merged with it: r * n
        spread = self.reshape(tuple(d for n in shape for d in (1, n)))
        spread = spread.expand(tuple(d for r, n in zip(sizes, shape) for d in (r, n)))
        return spread.reshape(tuple(r * n for r, n in zip(sizes, shape)))

    @engine.named_call("masked_fill")
    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is true, the tensor elsewhere (no gradient where filled). A number is
        converted to this tensor's dtype (an error if it does not fit), as in PyTorch."""
        if not isinstance(value, Tensor) and np.ndim(value) == 0:
            value = _number_in(value, self.data.dtype, "masked_fill")
        return where(mask, value, self)

    @engine.named_call("gather")
    def gather(self, dim: int, index):
        """``out[i][j] = t[i][index[i][j]]`` for ``dim=1`` (and so on): PyTorch's ``gather``."""
        index = np.asarray(index.data if isinstance(index, Tensor) else index)
        dim = dim % self.ndim
        if index.dtype.kind not in "iu":
            raise TypeError(f"gather(): index must hold integers, got dtype {index.dtype}; convert it with .long()")
        if index.ndim != self.ndim or any(index.shape[a] > self.shape[a] for a in range(self.ndim) if a != dim):
            raise ArgumentError(f"gather(): index of shape {index.shape} does not fit a tensor of shape {self.shape} "
                                f"along dim {dim}")
        _check_index_range("gather()", index, self.shape[dim], dim)
        grid = np.ogrid[tuple(slice(n) for n in index.shape)]
        return self[tuple(index if a == dim else grid[a] for a in range(self.ndim))]

    # ------------------------------------------------------------------ misc
    def matmul(self, other):
        return matmul(self, other)

    def mm(self, other):
        """Matrix product of two 2-D tensors, (n, k) @ (k, m) -> (n, m) (``matmul`` takes other shapes)."""
        if self.ndim != 2 or np.ndim(other) != 2:
            raise ArgumentError(f"mm(): expects two 2-D tensors, got shapes {self.shape} and {np.shape(other)}")
        return matmul(self, other)

    def bmm(self, other):
        """Batched matrix product of two 3-D tensors, (b, n, k) @ (b, k, m) -> (b, n, m)."""
        if self.ndim != 3 or np.ndim(other) != 3:
            raise ArgumentError(f"bmm(): expects two 3-D tensors, got shapes {self.shape} and {np.shape(other)}")
        return matmul(self, other)

    def mv(self, vec):
        """Matrix-vector product of a 2-D and a 1-D tensor."""
        if self.ndim != 2 or np.ndim(vec) != 1:
            raise ArgumentError(f"mv(): expects a 2-D and a 1-D tensor, got shapes {self.shape} and {np.shape(vec)}")
        return matmul(self, vec)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """``beta * self + alpha * (mat1 @ mat2)`` for 2-D ``mat1`` and ``mat2``; with ``beta=0`` self is ignored
        (NaN in it too), as in PyTorch."""
        product = _tensor(mat1).mm(mat2)
        product = product if alpha == 1 else product * alpha
        try:
            fits = np.broadcast_shapes(self.shape, product.shape) == product.shape
        except ValueError:
            fits = False
        if not fits:
            raise ArgumentError(f"addmm(): input of shape {self.shape} does not broadcast to the product's shape "
                                f"{product.shape}")
        if beta == 0:
            return product
        return (self if beta == 1 else self * beta) + product

    def t(self):
        """Transpose of a tensor with at most two dimensions (PyTorch's ``t()``)."""
        if self.ndim > 2:
            raise ArgumentError(f"t(): expects at most 2 dimensions, got {self.ndim}; use transpose(d0, d1)")
        return self.T

    # method forms of the operators, under PyTorch's names: x.add(y) is x + y
    add, sub, mul, pow, neg = __add__, __sub__, __mul__, __pow__, __neg__

    def div(self, other, *, rounding_mode=None):
        return div(self, other, rounding_mode=rounding_mode)
    remainder, floor_divide = __mod__, __floordiv__
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    true_divide = __truediv__

    def where(self, condition, other):
        return where(condition, self, other)

    def pad(self, pad, value=0.0):
        return pad_(self, pad, value)

    # ------------------------------------------------------------------ more of PyTorch's surface (issue 11, section 2)
    # elementwise, with their NumPy-style aliases (torch.arcsin is torch.asin)
    tan, asin, acos, atan = ops.Tan.apply, ops.Asin.apply, ops.Acos.apply, ops.Atan.apply
    sinh, cosh, asinh, acosh, atanh = ops.Sinh.apply, ops.Cosh.apply, ops.Asinh.apply, ops.Acosh.apply, ops.Atanh.apply
    exp2, log2, log10 = ops.Exp2.apply, ops.Log2.apply, ops.Log10.apply
    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

    def atan2(self, other):
        return atan2(self, other)

    arctan2 = atan2

    def logaddexp(self, other):
        return logaddexp(self, other)

    def fmod(self, other):
        return fmod(self, other)

    def copysign(self, other):
        return copysign(self, other)

    def hypot(self, other):
        return hypot(self, other)

    def lerp(self, end, weight):
        return lerp(self, end, weight)

    def isclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
        return isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        return allclose(self, other, rtol, atol, equal_nan)

    def clamp_min(self, min):
        """``max(x, min)``; the gradient goes to x where x >= min (a tensor ``min`` gets it elsewhere)."""
        return _clamp_side(self, min, "min")

    def clamp_max(self, max):
        """``min(x, max)``; the gradient goes to x where x <= max (a tensor ``max`` gets it elsewhere)."""
        return _clamp_side(self, max, "max")

    # matrices
    def tril(self, diagonal: int = 0):
        """The lower triangle of the last two dimensions (on and below ``diagonal``), zeros above."""
        return _triangle(self, diagonal, "tril")

    def triu(self, diagonal: int = 0):
        """The upper triangle of the last two dimensions (on and above ``diagonal``), zeros below."""
        return _triangle(self, diagonal, "triu")

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1):
        """The diagonal ``offset`` of the planes (dim1, dim2), appended as the last dimension."""
        d1, d2 = _wrap_dim(dim1, self.ndim, "diagonal"), _wrap_dim(dim2, self.ndim, "diagonal")
        if d1 == d2:
            raise ArgumentError(f"diagonal(): dim1 and dim2 cannot be the same dimension ({dim1}, {dim2})")
        rows, cols = _diagonal_places(self.shape[d1], self.shape[d2], offset)
        moved = self.permute(*[a for a in range(self.ndim) if a not in (d1, d2)], d1, d2)
        return moved[..., rows, cols]

    def diag(self, diagonal: int = 0):
        """A 1-D tensor becomes a square matrix with it on the ``diagonal``; a matrix gives that diagonal."""
        if self.ndim == 2:
            return self.diagonal(diagonal)
        if self.ndim != 1:
            raise ArgumentError(f"diag(): supports 1-D or 2-D tensors, got {self.ndim}-D")
        size = self.shape[0] + abs(diagonal)
        return ops.IndexAdd.apply(self, shape=(size, size), index=_diagonal_places(size, size, diagonal))

    def trace(self):
        """The sum of the main diagonal of a matrix."""
        if self.ndim != 2:
            raise ArgumentError(f"trace(): expected a matrix, got a tensor with {self.ndim} dimensions")
        if self.dtype == np.bool_:
            raise ArgumentError("trace(): not implemented for bool tensors (as in PyTorch); convert with .long()")
        return self.diagonal().sum()

    def outer(self, vec2):
        """The outer product of two 1-D tensors: ``out[i, j] = self[i] * vec2[j]``."""
        vec2 = _tensor(vec2)
        if self.ndim != 1 or vec2.ndim != 1:
            raise ArgumentError(f"outer(): expects two 1-D tensors, got shapes {self.shape} and {vec2.shape}")
        return self.reshape(-1, 1) * vec2.reshape(1, -1)

    ger = outer

    def dot(self, other):
        """The inner product of two 1-D tensors of one dtype and length."""
        other = _tensor(other)
        if self.ndim != 1 or other.ndim != 1:
            raise ArgumentError(f"dot(): expects two 1-D tensors, got shapes {self.shape} and {other.shape}")
        if self.dtype != other.dtype:
            raise ArgumentError(f"dot(): expects both vectors to have the same dtype, got {self.dtype} and "
                                f"{other.dtype}")
        if self.dtype == np.bool_:
            raise ArgumentError("dot(): not implemented for bool tensors (as in PyTorch); convert with .long()")
        if self.shape != other.shape:
            raise ArgumentError(f"dot(): the vectors have {self.shape[0]} and {other.shape[0]} elements")
        return matmul(self, other)

    # shapes
    def roll(self, shifts, dims=None):
        """Shift the elements along ``dims`` by ``shifts``, wrapping around (all elements, flattened,
        when ``dims`` is None)."""
        if dims is None:
            if not isinstance(shifts, numbers.Integral):
                if len(shifts) != 1:
                    raise ArgumentError(f"roll(): {len(shifts)} shifts need as many dims")
                shifts = shifts[0]
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = (shifts,) if isinstance(shifts, numbers.Integral) else tuple(shifts)
        dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
        if len(shifts) != len(dims):
            raise ArgumentError(f"roll(): shifts and dims must align, got {len(shifts)} shifts and {len(dims)} dims")
        out = self
        for shift, dim in zip(shifts, dims):
            d = _wrap_dim(dim, self.ndim, "roll")
            n = self.shape[d] if self.ndim else 1
            if n == 0 or shift % n == 0:
                continue
            lead, cut = (slice(None),) * d, n - shift % n  # the last shift % n elements come first
            out = cat([out[lead + (slice(cut, None),)], out[lead + (slice(0, cut),)]], d)
        return out

    def narrow(self, dim: int, start, length: int):
        """``length`` elements along ``dim`` from ``start`` (which may be negative): a slice."""
        d = _wrap_dim(dim, self.ndim, "narrow")
        if self.ndim == 0:
            raise ArgumentError("narrow(): cannot be applied to a 0-d tensor")
        n, start, length = self.shape[d], int(start), int(length)
        if not -n <= start <= n:
            raise IndexError(f"narrow(): start {start} is out of range for a dimension of size {n}")
        if start < 0:
            start += n
        if length < 0:
            raise ArgumentError(f"narrow(): length must be non-negative, got {length}")
        if start + length > n:
            raise ArgumentError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({n})")
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def unflatten(self, dim: int, sizes):
        """Split dimension ``dim`` into ``sizes`` (one of them may be -1)."""
        d = _wrap_dim(dim, self.ndim, "unflatten")
        sizes = tuple(int(s) for s in sizes)
        n = self.shape[d] if self.ndim else 1
        known = int(np.prod([s for s in sizes if s != -1]))
        if not sizes or sizes.count(-1) > 1 or (-1 in sizes and (known == 0 or n % known)) or \
                (-1 not in sizes and known != n):
            raise ArgumentError(f"unflatten(): sizes {list(sizes)} do not multiply up to the size of dim {dim} ({n})")
        sizes = tuple(n // known if s == -1 else s for s in sizes)
        return self.reshape(self.shape[:d] + sizes + self.shape[d + 1:])

    def view(self, *shape):
        """The same data in another shape (as :meth:`reshape`; -1 infers one size), or
        ``view(dtype)``: the same bytes read as another dtype (no gradient flows through that)."""
        if len(shape) == 1 and isinstance(shape[0], (str, type, np.dtype)):
            dtype = np.dtype(shape[0])
            try:
                return Tensor._wrap(self.data.view(dtype), None)
            except ValueError as e:
                raise ArgumentError(f"view({dtype}): {e}") from None
        return self.reshape(*shape)

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def type_as(self, other):
        return self.astype(other.dtype)

    def contiguous(self, memory_format=None):
        """This tensor if its elements lie in row-major order, else a row-major copy (as PyTorch: a
        transposed tensor, made contiguous, no longer shares memory with the original)."""
        return self if self.data.flags.c_contiguous else ops.Clone.apply(self)

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self.data.flags.c_contiguous)

    # selecting and placing
    def index_select(self, dim: int, index):
        """The entries ``index`` (a 1-D integer tensor) along ``dim``."""
        d = _wrap_dim(dim, self.ndim, "index_select")
        index = _integer_index(index, "index_select")
        if index.ndim > 1:
            raise IndexError("index_select(): the index must be a vector (1-D or 0-d)")
        _check_index_range("index_select()", index, self.shape[d] if self.ndim else 1, d)
        if self.ndim == 0:  # a 0-d tensor gives a 0-d result, as in PyTorch
            if index.size != 1:
                raise ArgumentError(f"index_select(): an index into a 0-d tensor must hold 1 value, got {index.size}")
            return self.reshape(1)[index.reshape(-1)].reshape(())
        return self[(slice(None),) * d + (index.reshape(-1),)]

    def masked_select(self, mask):
        """The elements where the bool ``mask`` (broadcast with the tensor) is true, as a 1-D tensor."""
        mask = _array_of(mask)
        if mask.dtype != np.bool_:
            raise ArgumentError(f"masked_select(): expected a bool mask, got {mask.dtype}")
        try:
            shape = np.broadcast_shapes(self.shape, mask.shape)
        except ValueError:
            raise ArgumentError(f"masked_select(): mask of shape {mask.shape} does not broadcast with "
                                f"{self.shape}") from None
        return self.expand(shape)[np.broadcast_to(mask, shape)]

    def nonzero(self, *, as_tuple: bool = False):
        """The indices of the nonzero elements: an (n, ndim) int64 tensor, or with ``as_tuple=True``
        one 1-D tensor per dimension (a 0-d tensor counts as 1-D)."""
        if as_tuple:
            data = self.data.reshape(-1) if self.ndim == 0 else self.data
            return tuple(Tensor._wrap(i.astype(np.int64), None) for i in np.nonzero(data))
        return Tensor._wrap(np.argwhere(self.data).astype(np.int64), None)

    argwhere = nonzero

    def scatter(self, dim: int, index, src=None, value=None, *, reduce=None):
        """A copy with ``src`` (a tensor, or a number ``value``) written at ``index`` along ``dim``:
        ``out[index[i][j]][j] = src[i][j]`` for dim=0. Where an index repeats, one of the writes wins."""
        if (src is None) == (value is None):
            raise TypeError("scatter(): give src (a tensor or a number) or value, not both")
        source = src if src is not None else value
        if reduce is not None:  # PyTorch's older form
            if reduce not in ("add", "multiply"):
                raise ArgumentError(f"scatter(): reduce must be 'add' or 'multiply', got {reduce!r}")
            if not isinstance(source, Tensor):
                source = Tensor._wrap(np.full(np.shape(_integer_index(index, "scatter")), source, self.dtype), None)
            return self.scatter_reduce(dim, index, source, "sum" if reduce == "add" else "prod")
        places, source = _scatter_places(self, dim, index, source, "scatter")
        return ops.Scatter.apply(self, source, index=places)

    def scatter_add(self, dim: int, index, src):
        """A copy with ``src`` added at ``index`` along ``dim`` (repeated indices accumulate)."""
        places, src = _scatter_places(self, dim, index, src, "scatter_add")
        return self + ops.IndexAdd.apply(src, shape=self.shape, index=places)

    def scatter_reduce(self, dim: int, index, src, reduce: str, *, include_self: bool = True):
        """A copy with the values of ``src`` reduced into the places ``index`` names along ``dim``:
        ``reduce`` is "sum", "prod", "mean", "amax" or "amin"; ``include_self=False`` leaves out the
        tensor's own values where something is scattered."""
        if reduce not in ("sum", "prod", "mean", "amax", "amin"):
            raise ArgumentError(f"scatter_reduce(): reduce must be one of sum, prod, mean, amax, amin; got {reduce!r}")
        places, src = _scatter_places(self, dim, index, src, "scatter_reduce")
        return ops.ScatterReduce.apply(self, src, index=places, reduce=reduce, include_self=bool(include_self))

    def index_add(self, dim: int, index, source, *, alpha=1):
        """A copy with ``alpha * source`` added along ``dim`` at the positions ``index`` (a 1-D integer
        tensor; repeated indices accumulate)."""
        d = _wrap_dim(dim, self.ndim, "index_add")
        index = _integer_index(index, "index_add").reshape(-1)
        source = _tensor(source)
        if self.ndim == 0:
            return self.reshape(1).index_add(0, index, source.reshape(-1), alpha=alpha).reshape(())
        if source.dtype != self.dtype:
            raise ArgumentError(f"index_add(): self ({self.dtype}) and source ({source.dtype}) must have one dtype")
        expected = self.shape[:d] + (len(index),) + self.shape[d + 1:]
        if source.shape != expected:
            raise ArgumentError(f"index_add(): source has shape {source.shape}, expected {expected}")
        _check_index_range("index_add()", index, self.shape[d], d)
        placed = ops.IndexAdd.apply(source if alpha == 1 else source * alpha, shape=self.shape,
                                    index=(slice(None),) * d + (index,))
        return self + placed

    # running reductions
    def cumprod(self, dim: int, *, dtype=None):
        """Running product along ``dim``; its gradient is right at zeros too. Integer and bool tensors
        give int64 (as PyTorch)."""
        x = self if dtype is None else self.astype(dtype)
        if dtype is None and x.dtype.kind in "biu":
            x = x.astype(np.int64)
        d = _wrap_dim(dim, self.ndim, "cumprod")
        if x.ndim == 0:
            return ops.Cumprod.apply(x.reshape(1), axis=0).reshape(())
        return ops.Cumprod.apply(x, axis=d)

    def cummax(self, dim: int):
        """``(values, indices)`` of the running maximum along ``dim``; a tie or a NaN takes the later
        index, and each value's gradient goes to the element it came from."""
        return _running_extreme(self, dim, np.maximum, "cummax")

    def cummin(self, dim: int):
        """``(values, indices)`` of the running minimum along ``dim`` (as :meth:`cummax`)."""
        return _running_extreme(self, dim, np.minimum, "cummin")

    def logcumsumexp(self, dim: int):
        """``log(cumsum(exp(x)))`` along ``dim``, computed without overflow."""
        d = _wrap_dim(dim, self.ndim, "logcumsumexp")
        if self.dtype.kind != "f":
            raise ArgumentError(f"logcumsumexp(): not implemented for {self.dtype} tensors (floating point only)")
        if self.ndim == 0:
            return ops.Logcumsumexp.apply(self.reshape(1), axis=0).reshape(())
        return ops.Logcumsumexp.apply(self, axis=d)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Repeat each element ``repeats`` times (a number, or one count per element) along ``dim``
        (the flattened tensor when ``dim`` is None): [1, 2] -> [1, 1, 2, 2]."""
        x = self.flatten() if dim is None else self.reshape(1) if self.ndim == 0 else self
        d = 0 if dim is None else _wrap_dim(dim, self.ndim, "repeat_interleave")
        counts = _repeat_counts(repeats, x.shape[d], output_size)
        return x.index_select(d, np.repeat(np.arange(x.shape[d]), counts))

    # sampling (tinygrad_np.creation draws from the global generator, or from generator=)
    def multinomial(self, num_samples: int, replacement: bool = False, *, generator=None):
        from .creation import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    def bernoulli(self, p=None, *, generator=None):
        from .creation import bernoulli

        return bernoulli(self, p, generator=generator)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
        """Fill with samples of N(mean, std²), in place."""
        from .creation import rng_of

        values = rng_of(generator).normal(mean, std, self.shape)
        return self._in_place("normal_", _assign(..., values))

    def uniform_(self, from_: float = 0.0, to: float = 1.0, *, generator=None):
        """Fill with samples of the uniform distribution on [from_, to), in place."""
        from .creation import rng_of

        values = rng_of(generator).uniform(from_, to, self.shape)
        return self._in_place("uniform_", _assign(..., values))

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill with 1 with probability ``p`` (a number or a tensor of probabilities), else 0, in place."""
        from .creation import bernoulli

        probabilities = p if isinstance(p, Tensor) else Tensor._wrap(np.full(self.shape, p, np.float64), None)
        values = bernoulli(probabilities.expand(self.shape), generator=generator).data
        return self._in_place("bernoulli_", _assign(..., values))


# what max(dim) / min(dim) return, as torch.return_types.max: unpack it, or use .values / .indices
ValuesIndices = collections.namedtuple("ValuesIndices", ["values", "indices"])


# ============================================================================ functions
def tensor(data, requires_grad: bool = False, dtype=None, device=None) -> Tensor:
    """Same as ``Tensor(data, ...)`` (PyTorch's spelling); ``device`` must be the CPU."""
    check_device(device, "tensor()")
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


_as_operand = ops.as_operand
_div, _pow, _remainder = ops.Div.apply, ops.Pow.apply, ops.Remainder.apply
_floor_divide, _maximum, _minimum = ops.FloorDivide.apply, ops.Maximum.apply, ops.Minimum.apply


def _scaled(other, alpha):
    return _array_of(other) * alpha


def div(a, b, *, rounding_mode=None) -> Tensor:
    """``a / b``: true division, where integers give the default float (int / int -> float32), or with
    ``rounding_mode`` ``"trunc"`` (toward zero) or ``"floor"`` (toward minus infinity), which keep
    integers integral and have a zero gradient, as ``torch.div``."""
    if rounding_mode is not None:
        return _rounded_div(a, b, rounding_mode)
    # true division of integers gives the default float, as in PyTorch (int / int -> float32)
    if not (isinstance(a, Tensor) and a.data.dtype.kind == "f" or isinstance(b, Tensor) and b.data.dtype.kind == "f"):
        a, b = (t.astype(dtypes.DEFAULT_FLOAT) if isinstance(t, Tensor) else t for t in (a, b))
    return _div(a, b)


def _is_integral(x) -> bool:
    """An integer or bool Tensor or array, or a Python or NumPy integer."""
    if isinstance(x, Tensor):
        return x.data.dtype.kind in "biu"  # (a float tensor, the common case, is decided here)
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "biu"
    return isinstance(x, numbers.Integral)


def _rounded_div(a, b, rounding_mode: str) -> Tensor:
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode != "trunc":
        raise ArgumentError(f"div(): rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")
    if not _integer_division(a, b):
        return div(a, b).trunc()
    floor = floor_divide(a, b)  # trunc differs from floor by one where the exact quotient is negative
    a_data, b_data = (x.data if isinstance(x, Tensor) else x for x in (a, b))
    inexact = (np.remainder(a_data, b_data) != 0) & ((np.asarray(a_data) < 0) != (np.asarray(b_data) < 0))
    return Tensor._wrap(floor.data + inexact.astype(floor.dtype), None)


def pow(a, b) -> Tensor:
    return _pow(a, b)


def remainder(a, b) -> Tensor:
    """``a % b``, with the sign of ``b`` (Python's and NumPy's rule, as ``torch.remainder``)."""
    _integer_division(a, b)
    return _remainder(a, b)


def floor_divide(a, b) -> Tensor:
    """``a // b``, rounded toward minus infinity (as ``torch.floor_divide``); its gradient is zero."""
    _integer_division(a, b)
    return _floor_divide(a, b)


def _integer_division(a, b) -> bool:
    """Whether ``a`` and ``b`` are both integers (or bools); if so, a zero divisor is refused, as PyTorch does
    (NumPy would give 0 with a warning)."""
    if not (_is_integral(a) and _is_integral(b)):
        return False
    if np.any(np.asarray(b.data if isinstance(b, Tensor) else b) == 0):
        raise ArgumentError("integer division by zero (ZeroDivisionError); divide floats to get inf or nan")
    return True


def neg(a) -> Tensor:
    return -_tensor(a)


def maximum(a, b) -> Tensor:
    """Elementwise maximum; where a == b each side gets half the gradient."""
    return _maximum(a, b)


@engine.named_call("minimum")
def minimum(a, b) -> Tensor:
    """Elementwise minimum; where a == b each side gets half the gradient."""
    return _minimum(a, b)


def var_mean(input, dim=None, *, correction=None, keepdim: bool = False, unbiased=None):
    """``(variance, mean)`` over ``dim`` (all by default), as ``torch.var_mean``; the variance is
    :meth:`Tensor.var`'s (unbiased unless ``correction=0`` or ``unbiased=False``)."""
    x = _tensor(input)
    return x.var(dim, keepdim, correction=correction, unbiased=unbiased), x.mean(dim, keepdim)


def std_mean(input, dim=None, *, correction=None, keepdim: bool = False, unbiased=None):
    """``(standard deviation, mean)`` over ``dim``, as ``torch.std_mean``."""
    x = _tensor(input)
    return x.std(dim, keepdim, correction=correction, unbiased=unbiased), x.mean(dim, keepdim)


def where(condition, a, b) -> Tensor:
    """``a`` where ``condition`` is true, else ``b`` (condition gets no gradient)."""
    cond = _array_of(condition)
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor._wrap(_to_array(a), None)
    if not isinstance(a, Tensor):
        a = _as_operand(a, b)
    elif not isinstance(b, Tensor):
        b = _as_operand(b, a)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype != b.dtype:
        dtype = _result_dtype(a.dtype, b.dtype, a.ndim, b.ndim)
        a, b = a.astype(dtype), b.astype(dtype)
    return ops.Where.apply(a, b, condition=cond)


def matmul(a, b) -> Tensor:
    """Matrix product with NumPy's rules: 1-D operands are promoted and the added axis removed."""
    a, b = _tensor(a), _tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ArgumentError("matmul(): both operands need at least one dimension (use * for scalars)")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ArgumentError(f"matmul(): shapes {a.shape} and {b.shape} do not align ({a.shape[-1]} != "
                            f"{b.shape[-2 if b.ndim > 1 else 0]}): the first's last dimension must equal the second's "
                            f"{'second-to-last' if b.ndim > 1 else 'only'} dimension; transpose one (b.T) if it is "
                            f"the wrong way round")
    if a.dtype != b.dtype:
        dtype = _result_dtype(a.dtype, b.dtype)
        a, b = a.astype(dtype), b.astype(dtype)
    if a.ndim >= 2 and b.ndim >= 2:
        try:
            return ops.Matmul.apply(a, b)
        except ValueError:
            raise ArgumentError(f"matmul(): batch shapes of {a.shape} and {b.shape} do not broadcast") from None
    out = ops.Matmul.apply(a.reshape(1, -1) if a.ndim == 1 else a, b.reshape(-1, 1) if b.ndim == 1 else b)
    if a.ndim == 1:
        out = out.squeeze(-2)
    if b.ndim == 1:
        out = out.squeeze(-1)
    return out


def einsum(subscripts: str, *operands) -> Tensor:
    """``np.einsum`` / ``torch.einsum`` with a gradient, e.g. ``einsum("bqd,bkd->bqk", q, k)`` or
    ``einsum("...qd,...kd->...qk", q, k)``.

    Operands may also come as one list. A letter repeated within one operand reads its diagonal
    (``"ii->i"``, the trace ``"ii"``), as in NumPy.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    operands = [_tensor(x) for x in operands]
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(operands):
        raise ArgumentError(f"einsum(): '{subscripts}' names {len(terms)} operands, got {len(operands)}")
    if "..." in spec:  # name the dimensions '...' stands for with unused letters, aligned from the right
        spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in spec]
        counts = [x.ndim - len(t.replace("...", "")) if "..." in t else 0 for t, x in zip(terms, operands)]
        if min(counts) < 0 or max(counts) > len(spare):
            raise ArgumentError(f"einsum(): '{subscripts}' does not fit operands of shapes "
                                f"{[x.shape for x in operands]}")
        batch = "".join(spare[: max(counts)])
        terms = [t.replace("...", batch[len(batch) - n:]) for t, n in zip(terms, counts)]
        if arrow:
            output = output.replace("...", batch)
        else:  # NumPy's implicit output: the '...' dimensions, then the letters used once, in order
            named = ",".join(terms)
            output = batch + "".join(sorted(c for c in set(named) - {","} - set(batch) if named.count(c) == 1))
            arrow = "->"
        inputs = ",".join(terms)
    for term, x in zip(terms, operands):
        if (term and not term.isalpha()) or len(term) != x.ndim:
            raise ArgumentError(f"einsum(): '{term}' does not name the dimensions of an operand of shape {x.shape}")
    if not arrow:  # NumPy's implicit output: the letters used once, in alphabetical order
        output = "".join(sorted(c for c in set(inputs) - {","} if inputs.count(c) == 1))
    dtypes = {x.dtype for x in operands}
    if len(dtypes) > 1:
        dtype = functools.reduce(_result_dtype, dtypes)
        operands = [x.astype(dtype) for x in operands]
    try:
        return ops.Einsum.apply(*operands, terms=tuple(terms), output=output)
    except ValueError as e:
        raise ArgumentError(f"einsum('{subscripts}'): {e}") from None


def cat(tensors, dim: int = 0, *, axis=None) -> Tensor:
    """Join tensors along an existing dimension."""
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise ArgumentError("cat(): expected a non-empty sequence of tensors")
    ax = dim if axis is None else axis
    nd = tensors[0].ndim
    if nd == 0:
        raise ArgumentError("cat(): zero-dimensional tensors cannot be concatenated")
    ax = ax % nd
    for t in tensors:
        if t.ndim != nd or t.shape[:ax] + t.shape[ax + 1 :] != tensors[0].shape[:ax] + tensors[0].shape[ax + 1 :]:
            raise ArgumentError(f"cat(): shapes {[t.shape for t in tensors]} differ outside dimension {ax}; all "
                                f"dimensions but the one joined along (dim={ax}) must match")
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = _result_dtype(dtype, t.dtype)
    return ops.Cat.apply(*[t.astype(dtype) for t in tensors], axis=ax, sizes=tuple(t.shape[ax] for t in tensors))


concatenate = cat


@engine.named_call("stack")
def stack(tensors, dim: int = 0, *, axis=None) -> Tensor:
    """Join tensors of one shape along a new dimension."""
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise ArgumentError("stack(): expected a non-empty sequence of tensors")
    if len({t.shape for t in tensors}) != 1:
        raise ArgumentError(f"stack(): all tensors need the same shape, got {[t.shape for t in tensors]}; reshape "
                            f"or pad them to one shape, or join them along an existing dimension with cat()")
    ax = dim if axis is None else axis
    return cat([t.unsqueeze(ax) for t in tensors], ax)


def pad_(x, pad, value=0.0) -> Tensor:
    """Constant padding. ``pad`` is PyTorch's flat form (left, right) pairs starting from the
    last dimension, e.g. ``(1, 1, 2, 2)``, or NumPy's per-axis ``((before, after), ...)``.
    A negative width crops instead, as in PyTorch (the cropped elements get a zero gradient)."""
    x = _tensor(x)
    x, widths = _cropped(x, _pad_widths(x, pad))
    return ops.Pad.apply(x, widths=widths, value=value)


def _cropped(x: Tensor, widths: tuple):
    """Negative padding crops, as in PyTorch: ``x`` without the cropped elements, and the padding that is
    left to do (every width >= 0)."""
    if all(b >= 0 and a >= 0 for b, a in widths):
        return x, widths
    for (b, a), n in zip(widths, x.shape):
        if n + min(b, 0) + min(a, 0) < 0:
            raise ArgumentError(f"pad(): padding ({b}, {a}) crops more than the {n} elements of a dimension")
    x = x[tuple(slice(-min(b, 0), n + min(a, 0)) for (b, a), n in zip(widths, x.shape))]
    return x, tuple((max(b, 0), max(a, 0)) for b, a in widths)


def _pad_widths(x: Tensor, pad) -> tuple:
    """``pad`` (PyTorch's flat form or NumPy's pairs) as one (before, after) pair per axis."""
    pad = tuple(pad)
    if pad and isinstance(pad[0], (tuple, list)):
        widths = [tuple(int(v) for v in p) for p in pad]
        if len(widths) != x.ndim:
            raise ArgumentError(f"pad(): {len(widths)} (before, after) pairs for a tensor with {x.ndim} dimensions")
    else:
        if len(pad) % 2 or len(pad) // 2 > x.ndim:
            raise ArgumentError(f"pad(): padding {pad} needs an even length of at most 2*{x.ndim}")
        pairs = [(int(pad[i]), int(pad[i + 1])) for i in range(0, len(pad), 2)]
        widths = [(0, 0)] * (x.ndim - len(pairs)) + pairs[::-1]
    return tuple(widths)


def _arg_extreme(x: Tensor, fn, axis, keepdims, dim, keepdim) -> Tensor:
    """argmax/argmin: the index of the first largest/smallest value (NaN counts as the largest, as in PyTorch)."""
    axes, keep = _normalize_axis(axis, keepdims, dim, keepdim, x.ndim)
    ax = _single(axes) if axes else None
    try:
        return Tensor._wrap(np.asarray(fn(x.data, axis=ax, keepdims=keep)), None)
    except ValueError:  # NumPy: "attempt to get argmax of an empty sequence"
        raise ArgumentIndexError(f"{fn.__name__}(): no values to choose from in a tensor of shape {x.shape} "
                                 f"({'over all of it' if ax is None else f'along dimension {ax}'}); give a dim "
                                 f"that is not empty") from None


def _truth(result, dtype) -> Tensor:
    """The result of all/any: bool, but uint8 for a uint8 tensor (PyTorch's documented exception)."""
    return Tensor._wrap(np.asarray(result, np.uint8 if dtype == np.uint8 else np.bool_), None)


def _number_in(value, dtype: np.dtype, fn: str) -> np.ndarray:
    """A Python number as a 0-d array of ``dtype``, refusing one that does not fit (as PyTorch does)."""
    with np.errstate(over="ignore", invalid="ignore"):
        converted = np.asarray(value).astype(dtype)
        if dtype.kind in "iu":  # (an unsigned dtype takes -max..max, a negative value wrapping, as in PyTorch)
            low, high = np.iinfo(dtype).min or -np.iinfo(dtype).max, np.iinfo(dtype).max
            fits = bool(np.isfinite(value)) and low <= value <= high
        else:
            fits = dtype.kind == "b" or not np.isfinite(value) or bool(np.isfinite(converted))
    if not fits:
        raise ArgumentError(f"{fn}(): the value {value!r} cannot be converted to {dtype} without overflow")
    return converted


def _array_of(x) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def logical_and(a, b) -> Tensor:
    """Elementwise "both are nonzero" (NaN counts as nonzero), as a bool tensor outside the graph."""
    return Tensor._wrap(np.logical_and(_array_of(a), _array_of(b)), None)


def logical_or(a, b) -> Tensor:
    return Tensor._wrap(np.logical_or(_array_of(a), _array_of(b)), None)


def logical_xor(a, b) -> Tensor:
    return Tensor._wrap(np.logical_xor(_array_of(a), _array_of(b)), None)


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._wrap(_to_array(x), None)


def _bitwise(ufunc, symbol: str, a, b) -> Tensor:
    """``a <symbol> b`` for integer or bool operands, in the dtype PyTorch gives: two tensors promote; a Python
    int or bool keeps the tensor's dtype (wrapping into it, as ``uint8 & -1`` does), except that an int
    with a bool tensor gives int64. Shifts past the width give 0 (or -1 for a negative value shifted right)."""
    a, b = _integer_operand(a, symbol), _integer_operand(b, symbol)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        dtype = _result_dtype(a.dtype, b.dtype, a.ndim, b.ndim)
    else:
        arr, scalar = (a, b) if isinstance(a, np.ndarray) else (b, a)
        dtype = arr.dtype if arr.dtype != np.bool_ or type(scalar) is bool else np.dtype(np.int64)
    if dtype == np.bool_ and symbol in ("<<", ">>"):
        raise TypeError(f"{symbol} is not defined for bool tensors; convert them with .long() first")
    a, b = (_wrapped(x, dtype) for x in (a, b))
    try:
        return Tensor._wrap(np.asarray(ufunc(a, b)), None)
    except ValueError as e:
        raise ArgumentError(f"{symbol}: {e}") from None


def _integer_operand(x, symbol: str):
    """An operand of a bitwise op: an integer or bool array, or a Python int or bool."""
    if isinstance(x, np.generic):
        x = x.item()
    if type(x) is bool or isinstance(x, numbers.Integral) and not isinstance(x, Tensor):
        return x
    x = x.data if isinstance(x, Tensor) else _to_array(x)
    if x.dtype.kind not in "biu":
        raise ArgumentTypeError(f"{symbol} is only defined for integer and bool tensors, got dtype {x.dtype}")
    return x


def _wrapped(x, dtype: np.dtype) -> np.ndarray:
    """``x`` in ``dtype``; a Python int wraps around into it (two's complement), as PyTorch's C++ cast does."""
    if isinstance(x, np.ndarray):
        return x.astype(dtype, copy=False)
    if dtype != np.bool_:
        bits = 8 * dtype.itemsize
        x = int(x) % (1 << bits)
        if dtype.kind == "i" and x >= 1 << (bits - 1):
            x -= 1 << bits
    return np.asarray(x, dtype)


def _check_index_range(fn: str, index: np.ndarray, size: int, dim: int) -> None:
    """Refuse indices outside [0, size), as PyTorch does (NumPy would count a negative one from the end).
    The test runs in the index's own dtype, so a huge unsigned value cannot wrap to a valid one."""
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index[(index < 0) | (index >= size)].flat[0]
        raise ArgumentIndexError(f"{fn}: index {bad} is out of bounds for dimension {dim} with size {size}")


def _compare(ufunc, a, b) -> Tensor:
    a_data = a.data if isinstance(a, Tensor) else a
    b_data = b.data if isinstance(b, Tensor) else b
    return Tensor._wrap(np.asarray(ufunc(a_data, b_data)), None)


def _single(axes):
    if len(axes) != 1:
        raise ArgumentError(f"expected a single axis, got {axes}")
    return axes[0]


def _shift(data: np.ndarray, axes):
    """The maximum over ``axes`` (kept as size-1 dims), by which softmax and logsumexp shift their input:
    0 over a dim of size 0 (whose result is empty, or -inf for logsumexp, as in PyTorch)."""
    if data.size == 0:
        return np.zeros([1 if axes is None or a in (axes if isinstance(axes, tuple) else (axes,)) else n
                         for a, n in enumerate(data.shape)], data.dtype)
    return data.max(axis=axes, keepdims=True)


def _one_axis(axis, dim, ndim):
    """The single axis of softmax-like ops (default: the last); None for a 0-d tensor."""
    if axis is None and dim is None:
        axis = -1
    axes, _ = _normalize_axis(axis, False, dim, None, ndim, allow_none=False)
    return _single(axes) if axes else None


def _reduced_shape(shape, axes):
    if axes is None:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _assign(index, value):
    """The in-place write ``array[index] = value`` (for an index split by _index_arrays: through the view
    its integers select, which basic indexing makes)."""
    value = value.data if isinstance(value, Tensor) else value

    def write(array):
        if type(index) is _Selected:
            array[index.first][index.rest] = value
        else:
            array[index] = value

    return write


def _index_error(error: IndexError, shape: tuple) -> IndexError:
    """NumPy's IndexError, with the tensor's shape and what a valid index is."""
    if shape == ():
        hint = "a 0-d tensor has no dimensions to index: use .item() for its value"
    else:
        hint = ("indices along a dimension of size n run from -n to n-1; an index is an int, a slice, None, ..., or "
                "an integer or boolean tensor (convert float indices with .long())")
    return IndexError(f"{error} (indexing a tensor of shape {shape}); {hint}")


_Selected = collections.namedtuple("_Selected", ["first", "rest"])


def _index_arrays(index):
    """Tensors inside an index become their arrays (integer or boolean indexing).

    An index that mixes integers with index arrays follows PyTorch, not NumPy: PyTorch selects at
    the integers first and then indexes the rest, so ``t[0, :, [0, 1]]`` of a (2, 3, 4) tensor is
    ``t[0][:, [0, 1]]``, of shape (3, 2), where NumPy counts the integer as one more index array
    and moves the broadcast dimensions to the front, (2, 3). Such an index comes back as
    ``_Selected(first, rest)``: the integer selection, then the index of what it leaves.
    """
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        index = tuple([i.data if isinstance(i, Tensor) else np.asarray(i) if isinstance(i, list) else i for i in index])
        if np.ndarray in map(type, index) and any(map(_is_integer, index)):
            return _integers_first(index)
        return index
    if isinstance(index, list):  # a list index means integer-array indexing, as in NumPy
        return np.asarray(index)
    return index


def _is_integer(i) -> bool:
    """An integer index: a Python or NumPy integer, or a 0-d integer array (from a 0-d Tensor)."""
    if type(i) is np.ndarray:
        return i.ndim == 0 and i.dtype.kind in "iu"
    return type(i) is not bool and isinstance(i, numbers.Integral)


def _integers_first(index: tuple):
    """Split an index into PyTorch's two steps: the integers (a basic selection, which keeps every other
    dimension), then the other entries on what is left."""
    first, rest = [], []
    for i in index:
        if _is_integer(i):
            first.append(int(i))
        elif i is None or i is Ellipsis:  # None adds a dimension only in the second step
            first += [i] if i is Ellipsis else []
            rest.append(i)
        else:  # a slice, an index array, or a mask (which spans as many dimensions as it has)
            first += [slice(None)] * (i.ndim if type(i) is np.ndarray and i.dtype == np.bool_ else 1)
            rest.append(i)
    if not any(type(i) is np.ndarray and i.ndim > 0 for i in rest):  # only 0-d arrays: NumPy's rule is PyTorch's
        return index
    return _Selected(tuple(first), tuple(rest))


# ============================================================================ more of PyTorch's surface (issue 11, §2)
def _default_float() -> np.dtype:
    from . import dtypes  # read at call time (the default float can change)

    return np.dtype(dtypes.DEFAULT_FLOAT)


def _wrap_dim(dim, ndim: int, name: str) -> int:
    """``dim`` as an index in [0, ndim), checked as PyTorch does (a 0-d tensor has the dims 0 and -1)."""
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"{name}(): dim must be an int, got {dim!r}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{name}(): dimension {dim} is out of range for a tensor with {ndim} dimensions")
    return int(dim) % n


def _kind(x) -> str:
    """The dtype kind ("f", "i", "u", "b") an operand brings to a binary op."""
    return x.dtype.kind if isinstance(x, (Tensor, np.ndarray, np.generic)) else np.asarray(x).dtype.kind


def _float_operands(a, b):
    """For ops whose result is a float whatever the inputs (atan2, copysign): when neither operand
    is a float, integer and bool tensors become the default float first, as in PyTorch."""
    if "f" in (_kind(a), _kind(b)):
        return a, b
    return tuple(t.astype(_default_float()) if isinstance(t, Tensor) else t for t in (a, b))


def _floats_only(name, a, b):
    if "f" not in (_kind(a), _kind(b)):
        raise ArgumentError(f"{name}(): not implemented for integer or bool tensors (floating point only, as in "
                            f"PyTorch); convert with .float()")


def atan2(input, other) -> Tensor:
    """The angle of the point (other, input) in (-pi, pi]: ``atan2(y, x)``. Integers give the default float."""
    return ops.Atan2.apply(*_float_operands(_tensor(input), other))


def logaddexp(input, other) -> Tensor:
    """``log(exp(input) + exp(other))``, without overflow."""
    input = _tensor(input)
    _floats_only("logaddexp", input, other)
    return ops.Logaddexp.apply(input, other)


def fmod(input, other) -> Tensor:
    """The remainder of ``input / other`` with the sign of ``input`` (C's fmod; ``%`` follows the divisor)."""
    input = _tensor(input)
    if _kind(input) == _kind(other) == "b":
        raise ArgumentError("fmod(): not implemented for two bool operands (as in PyTorch); convert with .long()")
    if "f" not in (_kind(input), _kind(other)) and not np.all(other.data if isinstance(other, Tensor) else other):
        raise ArgumentError("fmod(): integer division by zero (ZeroDivisionError)")
    return ops.Fmod.apply(input, other)


def copysign(input, other) -> Tensor:
    """The magnitude of ``input`` with the sign of ``other`` (-0.0 counts as negative). Integers give the
    default float."""
    return ops.Copysign.apply(*_float_operands(_tensor(input), other))


def hypot(input, other) -> Tensor:
    """``sqrt(input**2 + other**2)``, without overflow."""
    input = _tensor(input)
    _floats_only("hypot", input, other)
    return ops.Hypot.apply(input, other)


def lerp(input, end, weight) -> Tensor:
    """``input + weight * (end - input)``, in PyTorch's form that gives ``end`` exactly at weight 1:
    for |weight| >= 0.5 it is ``end - (end - input) * (1 - weight)``."""
    input, end = _tensor(input), _tensor(end)
    if input.dtype.kind != "f":
        raise ArgumentError(f"lerp(): not implemented for {input.dtype} tensors (floating point only)")
    for name, v in (("end", end), ("weight", weight)):
        if isinstance(v, Tensor) and v.dtype != input.dtype:
            raise ArgumentError(f"lerp(): expected dtype {input.dtype} for {name}, got {v.dtype}")
    step = end - input
    if not isinstance(weight, Tensor):
        return input + weight * step if abs(weight) < 0.5 else end - step * (1 - weight)
    return where(weight.abs() < 0.5, input + weight * step, end - step * (1 - weight))


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (a bool tensor); infinities are close
    to themselves, NaN only with ``equal_nan=True``. Both tensors need one dtype, as in PyTorch."""
    input, other = _tensor(input), _tensor(other)
    if input.dtype != other.dtype:
        raise ArgumentError(f"isclose(): expected both inputs to have the same dtype, got {input.dtype} and "
                            f"{other.dtype}")
    if rtol < 0 or atol < 0:
        raise ArgumentError(f"isclose(): rtol and atol must be non-negative, got rtol={rtol}, atol={atol}")
    if input.dtype == np.bool_:
        return Tensor._wrap(np.asarray(input.data == other.data), None)
    return Tensor._wrap(np.asarray(np.isclose(input.data, other.data, rtol, atol, equal_nan)), None)


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True if every element of ``input`` is close to ``other`` (see :func:`isclose`)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).data.all())


def _clamp_side(x: Tensor, bound, side: str) -> Tensor:
    """clamp_min (side "min") or clamp_max: a number bound clips; a tensor bound gets the gradient where it wins."""
    if bound is None:
        raise TypeError(f"clamp_{side}(): the bound must be a number or a tensor, not None")
    if not isinstance(bound, (Tensor, np.ndarray)):
        if x.dtype.kind != "f" and isinstance(bound, float):
            x = x.astype(_default_float())  # an integer tensor clamped at a float gives the default float
        return ops.Clip.apply(x, **{side: bound})
    bound = _tensor(bound)
    beyond = (x < bound) if side == "min" else (x > bound)
    return where(beyond.data | np.isnan(bound.data) if bound.dtype.kind == "f" else beyond, bound, x)


def _triangle(x: Tensor, diagonal: int, name: str) -> Tensor:
    if x.ndim < 2:
        raise ArgumentError(f"{name}(): the tensor needs at least 2 dimensions, got {x.ndim}")
    rows, cols = x.shape[-2:]
    keep = np.tri(rows, cols, diagonal, dtype=bool) if name == "tril" else ~np.tri(rows, cols, diagonal - 1, dtype=bool)
    return where(keep, x, np.zeros((), x.dtype))


def _diagonal_places(rows: int, cols: int, offset: int):
    """(row indices, column indices) of the diagonal ``offset`` of a rows x cols matrix."""
    length = max(0, min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols))
    steps = np.arange(length)
    return (steps, steps + offset) if offset >= 0 else (steps - offset, steps)


def _integer_index(index, name: str) -> np.ndarray:
    index = _array_of(index)
    if index.dtype.kind not in "iu":
        raise ArgumentError(f"{name}(): the index must be an integer tensor, got dtype {index.dtype}")
    return index


def _scatter_places(x: Tensor, dim, index, src, name: str):
    """Check a scatter's arguments as PyTorch does; return the places it writes (one index array per
    axis, for ``out[places] = ...``) and the part of ``src`` it reads (shaped like ``index``)."""
    d = _wrap_dim(dim, x.ndim, name)
    index = _integer_index(index, name)
    if x.ndim == 0 and index.ndim == 0:
        index, shape = index.reshape(1), (1,)  # a 0-d tensor scatters as a 1-element one
    else:
        shape = x.shape
    if index.ndim != len(shape):
        raise ArgumentError(f"{name}(): index has {index.ndim} dimensions, the tensor {x.ndim}")
    if isinstance(src, Tensor):
        if src.dtype != x.dtype:
            raise ArgumentError(f"{name}(): expected the tensor and src to have the same dtype, got {x.dtype} and "
                                f"{src.dtype}")
        src_shape = src.shape if src.ndim else (1,) * index.ndim
        if src.ndim != x.ndim and src.ndim:
            raise ArgumentError(f"{name}(): src has {src.ndim} dimensions, the tensor {x.ndim}")
    else:
        src_shape = index.shape  # a number: written everywhere the index names
    if any(i > s for i, s in zip(index.shape, src_shape)) or \
            any(i > n for a, (i, n) in enumerate(zip(index.shape, shape)) if a != d):
        raise ArgumentError(f"{name}(): index {index.shape} must be no larger than the tensor {x.shape} apart from "
                            f"dimension {d}, and no larger than src {tuple(src_shape)}")
    _check_index_range(f"{name}()", index, shape[d], d)
    grid = np.ogrid[tuple(slice(n) for n in index.shape)]
    places = tuple(index if a == d else grid[a] for a in range(index.ndim))
    if x.ndim == 0:
        places = ()  # (the only place there is)
    if isinstance(src, Tensor):
        part = src.reshape(src_shape)[tuple(slice(n) for n in index.shape)] if src.ndim else src.reshape(src_shape)
        return places, part.reshape(()) if x.ndim == 0 else part
    return places, Tensor._wrap(np.full(() if x.ndim == 0 else index.shape, src, dtype=x.dtype), None)


def _running_extreme(x: Tensor, dim, better, name: str):
    """cummax / cummin: the running best along ``dim`` (``better`` is np.maximum or np.minimum) and
    the index it came from, the later one on a tie, as PyTorch; NaN propagates and takes its own index."""
    d = _wrap_dim(dim, x.ndim, name)
    data = x.data if x.ndim else x.data.reshape(1)
    best = better.accumulate(data, axis=d)
    new_best = data == best
    if data.dtype.kind == "f":
        new_best |= np.isnan(data)
    positions = np.arange(data.shape[d]).reshape((-1,) + (1,) * (data.ndim - d - 1))
    indices = np.maximum.accumulate(np.where(new_best, positions, 0), axis=d).astype(np.int64)
    if x.ndim == 0:
        return ValuesIndices(x.clone(), Tensor._wrap(indices.reshape(()), None))
    indices = Tensor._wrap(indices, None)
    return ValuesIndices(x.gather(d, indices), indices)


def _repeat_counts(repeats, n: int, output_size) -> np.ndarray:
    """repeat_interleave's ``repeats`` as one count per element of a dimension of size ``n``."""
    counts = _integer_index(repeats, "repeat_interleave")
    if counts.ndim > 1:
        raise ArgumentError(f"repeat_interleave(): repeats must be a number or a 1-D tensor, got shape {counts.shape}")
    if counts.size == 1:
        counts = np.full(n, counts.reshape(()))
    elif counts.shape != (n,):
        raise ArgumentError(f"repeat_interleave(): {counts.size} repeats for a dimension of size {n}")
    if (counts < 0).any():
        raise ArgumentError("repeat_interleave(): repeats cannot be negative")
    if output_size is not None and int(counts.sum()) != output_size:
        raise ArgumentError(f"repeat_interleave(): output_size {output_size} is not the total count {counts.sum()}")
    return counts


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """``input.repeat_interleave(repeats, dim)``; ``repeat_interleave(counts)`` alone gives each
    position i ``counts[i]`` times: [1, 2] -> [0, 1, 1]."""
    if repeats is None:
        counts = _repeat_counts(input, np.size(_integer_index(input, "repeat_interleave")), output_size)
        return Tensor._wrap(np.repeat(np.arange(counts.size), counts).astype(np.int64), None)
    return _tensor(input).repeat_interleave(repeats, dim, output_size=output_size)


def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D (or 0-d) tensors: output i varies along dimension i (``indexing="ij"``,
    the default) or, with ``indexing="xy"``, the first two swap places (x along columns)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise ArgumentError("meshgrid(): expects at least one tensor")
    if indexing not in ("ij", "xy"):
        raise ArgumentError(f"meshgrid(): indexing must be 'ij' or 'xy', got {indexing!r}")
    if any(t.ndim > 1 for t in tensors) or len({t.dtype for t in tensors}) > 1:
        raise ArgumentError(f"meshgrid(): expects 0-d or 1-d tensors of one dtype, got shapes "
                            f"{[t.shape for t in tensors]} and dtypes {[str(t.dtype) for t in tensors]}")
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(axes) > 1:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for t, a in zip(tensors, axes):
        shape[a] = t.numel()
    return tuple(t.reshape(tuple(-1 if i == a else 1 for i in range(len(shape)))).expand(tuple(shape))
                 for t, a in zip(tensors, axes))


engine.Tensor = ops.Tensor = Tensor  # the engine and the ops need the class; they cannot import this module

_UFUNCS = {
    np.add: add,
    np.subtract: sub,
    np.multiply: mul,
    np.true_divide: div,
    np.power: pow,
    np.matmul: matmul,
    np.negative: neg,
    np.maximum: maximum,
    np.minimum: minimum,
    np.exp: Tensor.exp,
    np.log: Tensor.log,
    np.sqrt: Tensor.sqrt,
    np.sin: Tensor.sin,
    np.cos: Tensor.cos,
    np.tanh: Tensor.tanh,
    np.absolute: Tensor.abs,
    np.sign: Tensor.sign,
    np.floor: Tensor.floor,
    np.ceil: Tensor.ceil,
    np.trunc: Tensor.trunc,
    np.remainder: remainder,
    np.expm1: Tensor.expm1,
    np.log1p: Tensor.log1p,
    np.floor_divide: floor_divide,
    np.greater: Tensor.__gt__,
    np.greater_equal: Tensor.__ge__,
    np.less: Tensor.__lt__,
    np.less_equal: Tensor.__le__,
    np.bitwise_and: Tensor.__and__,
    np.bitwise_or: Tensor.__or__,
    np.bitwise_xor: Tensor.__xor__,
    np.left_shift: Tensor.__lshift__,
    np.right_shift: Tensor.__rshift__,
    np.invert: Tensor.__invert__,
    np.equal: lambda a, b: _compare(np.equal, a, b),
    np.not_equal: lambda a, b: _compare(np.not_equal, a, b),
}

_ARRAY_FUNCTIONS = {
    np.where: where,
    np.broadcast_to: lambda x, shape: _tensor(x).expand(shape),
    np.concatenate: lambda ts, axis=0: cat(ts, axis),
    np.stack: lambda ts, axis=0: stack(ts, axis),
    np.reshape: lambda x, shape: _tensor(x).reshape(shape),
    np.transpose: lambda x, axes=None: _tensor(x).transpose() if axes is None else _tensor(x).permute(*axes),
    np.swapaxes: lambda x, a, b: _tensor(x).swapaxes(a, b),
    np.expand_dims: lambda x, axis: _tensor(x).unsqueeze(axis),
    np.sum: lambda x, axis=None, keepdims=False: _tensor(x).sum(axis, keepdims),
    np.prod: lambda x, axis=None, keepdims=False: _tensor(x).prod(axis, keepdims),
    np.mean: lambda x, axis=None, keepdims=False: _tensor(x).mean(axis, keepdims),
    np.clip: lambda x, a_min=None, a_max=None: _tensor(x).clip(a_min, a_max),
    np.flip: lambda x, axis=None: _tensor(x).flip(*(range(_tensor(x).ndim) if axis is None else _shape_args((axis,)))),
    np.einsum: lambda subscripts, *operands: einsum(subscripts, *operands),
    np.cumsum: lambda x, axis=None: _tensor(x).flatten().cumsum(0) if axis is None else _tensor(x).cumsum(axis),
}

# NumPy functions on Tensors for the ops added in section 2 of issue 11 (rules call np.cosh and np.sinh on Tensors)
_UFUNCS.update({
    np.tan: Tensor.tan, np.arcsin: Tensor.asin, np.arccos: Tensor.acos, np.arctan: Tensor.atan,
    np.sinh: Tensor.sinh, np.cosh: Tensor.cosh, np.arcsinh: Tensor.asinh, np.arccosh: Tensor.acosh,
    np.arctanh: Tensor.atanh, np.exp2: Tensor.exp2, np.log2: Tensor.log2, np.log10: Tensor.log10,
    np.arctan2: atan2, np.logaddexp: logaddexp, np.fmod: fmod, np.copysign: copysign, np.hypot: hypot,
})
