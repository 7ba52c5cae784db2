"""The reverse-mode engine: grad mode, the ``Function`` base class and backpropagation.

How it works, in four sentences. Every op is a :class:`Function` subclass whose
``forward`` computes a NumPy array and whose ``backward`` maps the output's gradient
to one gradient per input (a vector-Jacobian product). ``Function.apply`` runs the
forward and, when any input needs a gradient, keeps the op instance as the output's
``grad_fn`` together with its parent tensors: that is the recorded graph.
``Tensor.backward`` orders the graph iteratively (no recursion, so 100,000-op chains
are fine), walks it from the output back to the leaves, calls each rule once with the
summed incoming gradient and drops that gradient as soon as it is used. Gradients of
broadcast inputs are summed back to the input's shape in one place, :func:`sum_to_shape`.

Backward rules are written with operators, NumPy ufuncs and a few array methods that
NumPy arrays and Tensors both have. On the plain first-order path they run on arrays
(no graph, no overhead); with ``create_graph=True`` the engine hands them Tensors
instead, so the same rule is recorded and can be differentiated again.
"""

from __future__ import annotations

import functools
import threading

import numpy as np

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "grad", "sum_to_shape"]


# ----------------------------------------------------------------------------- grad mode
class _GradMode(threading.local):
    enabled = True


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad`` (in this thread)."""
    return _grad_mode.enabled


class set_grad_enabled:
    """Context manager and decorator that turns graph recording on or off.

    Nest-safe (each ``with`` restores what was in force before it) and thread-local.
    """

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)
        self._previous: list[bool] = []

    def __enter__(self):
        self._previous.append(_grad_mode.enabled)
        _grad_mode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _grad_mode.enabled = self._previous.pop()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self.mode):  # a fresh context per call: safe across threads
                return fn(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """Nothing is recorded inside: ``with no_grad(): ...`` or ``@no_grad()`` (also ``@no_grad``)."""

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        if callable(fn):  # used as a bare decorator: @no_grad
            self.__init__()
            return self(fn)
        return self

    def __init__(self, fn=None):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Records again inside a ``no_grad`` block."""

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        if callable(fn):
            self.__init__()
            return self(fn)
        return self

    def __init__(self, fn=None):
        super().__init__(True)


# ----------------------------------------------------------------------------- Function
# The nn package pushes the module that is running here, so ops know which module made them
# (the graph drawing groups by it). Empty unless a Module is being called.
module_stack: list = []


class Function:
    """An op with a forward and a local backward rule. Subclass it for custom ops::

        class Cube(Function):
            @staticmethod
            def forward(ctx, x):            # x: a NumPy array
                ctx.save_for_backward(x)
                return x ** 3
            @staticmethod
            def backward(ctx, grad):        # grad: d(loss)/d(output)
                (x,) = ctx.saved_tensors
                return 3 * x ** 2 * grad    # d(loss)/d(x)

        y = Cube.apply(t)

    ``forward`` receives NumPy arrays for Tensor arguments (other arguments unchanged) and
    returns one array. ``backward`` returns one gradient per positional argument (None
    where there is none). Write it with operators and NumPy ufuncs and it is twice
    differentiable: under ``create_graph=True`` it receives Tensors instead of arrays.
    Inside ``backward``, ``ctx.inputs`` are the forward's positional arguments and
    ``ctx.output`` its result; ``ctx.needs_input_grad[i]`` says whether input i needs one.
    """

    # Set by apply: parents (Tensor or None per positional argument), inputs, output, attrs,
    # needs_input_grad, module; freed once backward has used the node without retain_graph.
    freed = False
    _saved: tuple = ()

    @staticmethod
    def forward(ctx, *args, **attrs):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **attrs):
        """Run the op on Tensors (or arrays/scalars) and record it if a gradient is needed."""
        from .tensor import Tensor

        ctx = cls.__new__(cls)
        inputs = tuple(a.data if isinstance(a, Tensor) else a for a in args)
        out = cls.forward(ctx, *inputs, **attrs)
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if _grad_mode.enabled:
            needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
            if True in needs:
                ctx.parents = tuple(a if isinstance(a, Tensor) else None for a in args)
                ctx.needs_input_grad = needs
                ctx.inputs = inputs
                ctx.output = out
                ctx.attrs = attrs
                ctx.module = module_stack[-1] if module_stack else None
                return Tensor._wrap(out, ctx)
        return Tensor._wrap(out, None)

    # --- for custom ops: PyTorch's ctx API
    def save_for_backward(self, *values):
        self._saved = values

    @property
    def saved_tensors(self) -> tuple:
        """What ``save_for_backward`` kept. Under ``create_graph`` an input or the output is
        handed back as its Tensor so the rule stays differentiable."""
        if self.freed:
            raise RuntimeError(_FREED_MESSAGE)
        if not isinstance(self.output, np.ndarray):  # create_graph: the engine swapped in Tensors
            graph_value = {id(a): t for a, t in zip(self._arrays, self.inputs)}
            graph_value[id(self._output_array)] = self.output
            return tuple(graph_value.get(id(v), v) for v in self._saved)
        return self._saved

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name}>"


_FREED_MESSAGE = (
    "Trying to backward through the graph a second time: its saved values were freed by the "
    "first backward(). Call backward(retain_graph=True) the first time if you need to do this."
)


# ----------------------------------------------------------------------------- the engine
def sum_to_shape(grad, shape: tuple):
    """Sum a broadcast gradient back to ``shape``: extra leading axes, then size-1 axes.

    Works on arrays and Tensors alike; the one place where broadcasting is undone.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _topological_order(roots) -> list:
    """Tensors reachable from ``roots`` that need a gradient, each after all its parents.

    Iterative depth-first search: no recursion, so any depth works.
    """
    order, seen = [], set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, False)]
        while stack:
            tensor, expanded = stack.pop()
            if expanded:
                order.append(tensor)
                continue
            stack.append((tensor, True))
            node = tensor.grad_fn
            if node is not None:
                for parent in node.parents:
                    if parent is not None and parent.requires_grad and id(parent) not in seen:
                        seen.add(id(parent))
                        stack.append((parent, False))
    return order


def _check_shape(node, parent, g):
    if g.shape == parent.shape:
        return g
    try:
        np.broadcast_shapes(parent.shape, g.shape)
        if g.ndim < parent.ndim:
            raise ValueError
    except ValueError:
        raise RuntimeError(
            f"{node.name}.backward returned a gradient of shape {g.shape} for an input of shape {parent.shape}"
        ) from None
    return sum_to_shape(g, parent.shape)


def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool, inputs=None):
    """Backpropagate ``root_grads`` from ``roots``.

    With ``inputs=None`` gradients are accumulated into the ``.grad`` of leaves (and of
    tensors that called ``retain_grad``); otherwise the gradients of ``inputs`` are
    returned (None for an unreached one) and no ``.grad`` is touched.
    """
    from .tensor import Tensor

    pending: dict[int, object] = {}
    for root, g in zip(roots, root_grads):
        pending[id(root)] = pending[id(root)] + g if id(root) in pending else g
    wanted = None if inputs is None else {id(t): i for i, t in enumerate(inputs)}
    results = [None] * (0 if inputs is None else len(inputs))
    handed_out: set[int] = set()  # arrays already given to a user-visible .grad: never alias them

    def own(g):
        # a gradient the user can see must not share memory with another one
        if create_graph:
            return g.clone() if id(g) in handed_out else g
        if g.base is not None or id(g) in handed_out:
            g = g.copy()
        return g

    with set_grad_enabled(create_graph):
        for tensor in reversed(_topological_order(roots)):
            g = pending.pop(id(tensor), None)
            if g is None:
                continue
            node = tensor.grad_fn
            if wanted is not None:
                if id(tensor) in wanted:
                    g = own(g)
                    handed_out.add(id(g))
                    results[wanted[id(tensor)]] = g if create_graph else Tensor._wrap(g, None)
            elif node is None or tensor._retains_grad:
                g = own(g)
                handed_out.add(id(g))
                tensor._accumulate_grad(g)
            if node is None:
                continue
            if node.freed:
                raise RuntimeError(_FREED_MESSAGE)
            if create_graph:
                grads = _backward_on_graph(node, tensor, g)
            else:
                grads = node.backward(node, g)
            if not retain_graph:
                node.freed = True
                node._saved = ()
            if type(grads) is not tuple:
                grads = (grads,)
            if len(grads) != len(node.parents):
                raise RuntimeError(
                    f"{node.name}.backward returned {len(grads)} gradients, expected {len(node.parents)}"
                )
            for parent, pg in zip(node.parents, grads):
                if pg is None or parent is None or not parent.requires_grad:
                    continue
                if pg.shape != parent.shape:
                    pg = _check_shape(node, parent, pg)
                if pg.dtype != parent.dtype:
                    pg = pg.astype(parent.dtype)
                key = id(parent)
                if key in pending:
                    pending[key] = pending[key] + pg  # out of place: pg may be shared with a sibling
                else:
                    pending[key] = pg
    return results


def _backward_on_graph(node, tensor, g):
    """Run a rule on Tensors so that it is recorded (``create_graph=True``)."""
    from .tensor import Tensor

    arrays, output = node.inputs, node.output
    node._arrays, node._output_array = arrays, output
    node.inputs = tuple(p if p is not None else a for p, a in zip(node.parents, arrays))
    node.output = tensor
    try:
        grads = node.backward(node, g if isinstance(g, Tensor) else Tensor._wrap(g, None))
    finally:
        node.inputs, node.output = arrays, output  # no reference from the node to its own output
    return grads


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, like ``torch.autograd.grad``.

    Returns a tuple with one Tensor per input; ``.grad`` attributes are left alone.
    """
    from .tensor import Tensor

    single = isinstance(outputs, Tensor)
    outputs = [outputs] if single else list(outputs)
    inputs_list = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for t in inputs_list:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): inputs must be Tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError("grad(): one of the inputs does not require grad")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)) or np.isscalar(grad_outputs):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad(): got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    root_grads = [out._initial_grad(g, create_graph) for out, g in zip(outputs, grad_outputs)]
    if retain_graph is None:
        retain_graph = create_graph
    results = run_backward(outputs, root_grads, retain_graph, create_graph, inputs=inputs_list)
    for t, r in zip(inputs_list, results):
        if r is None and not allow_unused:
            raise RuntimeError(
                "grad(): one of the inputs was not used to compute the outputs; pass allow_unused=True "
                "to get None for it"
            )
    return tuple(results)
