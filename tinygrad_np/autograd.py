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
import heapq
import itertools
import threading

import numpy as np

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "grad", "sum_to_shape"]


# ----------------------------------------------------------------------------- grad mode
class _GradMode(threading.local):
    enabled = True


_grad_mode = _GradMode()
# How many threads have recording off right now. While none has (the usual case) an op knows
# without reading the thread-local flag, which costs four times as much as reading a global.
_threads_without_grad = 0
_threads_lock = threading.Lock()


def _set_grad_mode(enabled: bool) -> None:
    global _threads_without_grad
    if enabled != _grad_mode.enabled:
        with _threads_lock:
            _threads_without_grad += -1 if enabled else 1
        _grad_mode.enabled = enabled


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad`` (in this thread)."""
    return _grad_mode.enabled


class _GradModeContext:
    """What the three grad-mode switches share: ``with`` (nest-safe, thread-local) and decorating."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._previous: list[bool] = []

    def __enter__(self):
        self._previous.append(_grad_mode.enabled)
        _set_grad_mode(self.mode)
        return self

    def __exit__(self, *exc):
        _set_grad_mode(self._previous.pop())
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _GradModeContext(mode):  # a fresh context per call: safe across threads
                return fn(*args, **kwargs)

        return wrapper


class set_grad_enabled(_GradModeContext):
    """Turns graph recording on or off in this thread: as a plain call, a context manager or a decorator.

    As in PyTorch it takes effect when called, so ``set_grad_enabled(False)`` on its own line
    switches recording off until ``set_grad_enabled(True)``; ``with set_grad_enabled(False):``
    restores the previous mode at the end of the block, and a decorated function runs in the mode.
    """

    def __init__(self, mode: bool = True):
        super().__init__(mode)
        self._before = _grad_mode.enabled
        _set_grad_mode(self.mode)

    def __enter__(self):
        before, self._before = self._before, None  # the mode before the call took effect (first entry only)
        self._previous.append(_grad_mode.enabled if before is None else before)
        _set_grad_mode(self.mode)
        return self

    def __call__(self, fn):
        if self._before is not None:  # decorating must not leave the mode switched
            _set_grad_mode(self._before)
            self._before = None
        return super().__call__(fn)


class no_grad(_GradModeContext):
    """Nothing is recorded inside: ``with no_grad(): ...`` or ``@no_grad()`` (also ``@no_grad``)."""

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        if callable(fn):  # used as a bare decorator: @no_grad
            self.__init__()
            return self(fn)
        return self

    def __init__(self, fn=None):
        super().__init__(False)


class enable_grad(_GradModeContext):
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
# The modules whose forward is running, innermost last, as (thread id, module) pairs: each op
# records its thread's innermost module (the graph drawing groups ops by it). Empty unless a
# Module is being called (nn.Module.__call__ brackets forward with enter_module/exit_module).
module_stack: list = []


def enter_module(module) -> tuple:
    """Mark ``module`` as running in this thread (nn.Module.__call__ does this around forward)."""
    entry = (threading.get_ident(), module)
    module_stack.append(entry)
    return entry


def exit_module(entry: tuple) -> None:
    """Undo :func:`enter_module`: remove this thread's own entry, even if another thread entered since."""
    if module_stack[-1] is entry:
        module_stack.pop()
    else:
        module_stack.remove(entry)


def _current_module():
    """The innermost module running in this thread, or None."""
    me = threading.get_ident()
    for thread, module in reversed(module_stack):
        if thread == me:
            return module
    return None
# Every recorded op gets the next number: an op's inputs always have smaller numbers than it,
# so walking nodes from the largest number down is a topological order (no recursion needed).
_creation_order = itertools.count()
_new_object = object.__new__
# needs_input_grad of unary and binary ops: shared tuples, not built per op
_NEEDS = {False: (False,), True: (True,), **{pair: pair for pair in itertools.product((False, True), repeat=2)}}


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

    # Set by apply on a recorded node: args (the positional arguments as given), needs_input_grad, inputs,
    # output, seq (creation number); attrs and module when given. Slots because the engine
    # touches these on every op; __dict__ for a custom rule's own extras.
    __slots__ = ("args", "needs_input_grad", "inputs", "output", "seq", "_saved", "__dict__", "__weakref__")
    attrs: dict = {}  # class-level defaults, overridden per node when set (never mutated)
    module = None
    # True on one-input ops whose rule returns a gradient of g's shape and dtype whatever the input
    # (tanh, exp, ...): the engine then skips its shape and dtype check on that gradient. Leave it
    # False on a custom op unless a test proves it (tests/test_ops.py checks ours); a subclass inherits it.
    elementwise = False

    @staticmethod
    def forward(ctx, *args, **attrs):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **attrs):
        """Run the op on Tensors (or arrays/scalars) and record it if a gradient is needed."""
        inputs = tuple([a.data if isinstance(a, Tensor) else a for a in args])
        needs = tuple([isinstance(a, Tensor) and a._requires_grad for a in args])
        ctx = _new_object(cls)
        try:
            out = cls.forward(ctx, *inputs, **attrs)
        except ValueError as e:  # e.g. shapes that do not broadcast: say which op and which shapes
            shapes = ", ".join(str(np.shape(v)) for v in inputs)
            raise ValueError(f"{cls.__name__}: {e} (input shapes {shapes})") from None
        return record(ctx, out, args, inputs, needs, True in needs, attrs)

    @property
    def parents(self) -> tuple:
        """The Tensor behind each positional argument (None for arrays and scalars)."""
        return tuple([a if isinstance(a, Tensor) else None for a in self.args])

    # --- for custom ops: PyTorch's ctx API
    def save_for_backward(self, *values):
        self._saved = values

    @property
    def freed(self) -> bool:
        """True once a backward without ``retain_graph`` has released this node's buffers (inputs,
        output, saved values); its parents and attrs stay, so the graph can still be drawn."""
        return self.output is None

    @property
    def saved_tensors(self) -> tuple:
        """What ``save_for_backward`` kept. Under ``create_graph`` an input or the output is
        handed back as its Tensor so the rule stays differentiable."""
        if self.output is None:
            raise RuntimeError(_FREED_MESSAGE)
        saved = getattr(self, "_saved", ())
        if not isinstance(self.output, np.ndarray):  # create_graph: the engine swapped in Tensors
            graph_value = {id(a): t for a, t in zip(self._arrays, self.inputs)}
            graph_value[id(self._output_array)] = self.output
            return tuple(graph_value.get(id(v), v) for v in saved)
        return saved

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name}>"


def record(ctx, out, args, inputs, needs, any_needed, attrs=None):
    """Wrap the result ``out`` of op instance ``ctx`` in a Tensor and, if ``any_needed`` (some input
    needs a gradient) and grad mode is on, record the op. The common tail of every way to run an op:
    ``Function.apply``, ``unary_method`` below and Tensor's binary operators (``binary_function``
    in tensor.py)."""
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    result = _new_object(Tensor)
    result.data = out
    result.grad = None
    result._retains_grad = False
    if not any_needed or (_threads_without_grad and not _grad_mode.enabled):
        result.grad_fn = None
        result._requires_grad = False
        return result
    result.grad_fn = ctx
    result._requires_grad = True
    ctx.args = args
    ctx.needs_input_grad = needs
    ctx.inputs = inputs
    ctx.output = out
    ctx.seq = next(_creation_order)
    if attrs:
        ctx.attrs = attrs
    if module_stack:
        thread, module = module_stack[-1]
        ctx.module = module if thread == threading.get_ident() else _current_module()
    return result


# Tensor's one-input methods (exp, tanh, ...) are made by this rather than calling ``op.apply``: the
# same steps without the general argument handling and one call less, which is a measurable share of
# a small op's cost (see docs/performance.md).
def unary_method(op, name=None):
    """The Tensor method ``name`` (default: the op's name in lower case) that runs the one-input op
    ``op`` on its tensor: ``op.apply(t)``, faster."""

    fn = getattr(op, "fn", None)  # a NumPy function that is the op's whole forward (ops.Elementwise, ops.Flat)
    needs = _NEEDS[True]  # (only stored when the input needs a gradient)

    def method(self):
        ctx = _new_object(op)
        data = self.data
        return record(ctx, op.forward(ctx, data) if fn is None else fn(data), (self,), (data,), needs,
                      self._requires_grad)

    method.__name__ = name or op.__name__.lower()
    method.__qualname__ = f"Tensor.{method.__name__}"
    method.__doc__ = f"The op ``{op.__name__}`` applied to this tensor."
    return method


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


def _check_shape(node, parent, g):
    if g.ndim >= parent.ndim:
        try:
            if np.broadcast_shapes(parent.shape, g.shape) == g.shape:
                return sum_to_shape(g, parent.shape)
        except ValueError:
            pass
    raise RuntimeError(
        f"{node.name}.backward returned a gradient of shape {g.shape} for an input of shape {parent.shape}"
    )


def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool, inputs=None):
    """Backpropagate ``root_grads`` from ``roots``.

    Nodes are visited from the most recently recorded op down (a max-heap on the creation
    number), so each node runs once, after every consumer has added its gradient. While the
    frontier (the nodes holding a gradient, not yet run) is a single node, as all along a
    chain, that node waits in local variables instead of the heap: it can run next, since any
    consumer still to send it a gradient would itself be in the frontier.
    A rule that needs a buffer freed by an earlier backward fails; that failure is reported as
    such. Rules that need none (add, neg) run again, as in PyTorch.
    With ``inputs=None`` gradients are accumulated into the ``.grad`` of leaves (and of
    tensors that called ``retain_grad``); otherwise the gradients of ``inputs`` are
    returned (None for an unreached one) and no ``.grad`` is touched.
    """
    wanted = None if inputs is None else {id(t): i for i, t in enumerate(inputs)}
    results = [None] * (0 if inputs is None else len(inputs))
    handed_out: set[int] = set()  # ids of gradients the user can already see: never alias them

    def deliver(tensor, g):
        """Hand a finished gradient to the user: into .grad, or into the results of grad()."""
        if create_graph:
            if id(g) in handed_out:
                g = g.clone()
        elif g.base is not None or id(g) in handed_out:
            g = g.copy()
        handed_out.add(id(g))
        if wanted is None:
            tensor._accumulate_grad(g)
        else:
            i = wanted[id(tensor)]
            g = g if create_graph else Tensor._wrap(np.asarray(g), None)
            results[i] = g if results[i] is None else results[i] + g

    heap = []  # creation numbers of the nodes waiting to run, negated: a max-heap
    pending, waiting = {}, {}  # creation number -> summed gradient so far, and its tensor
    push, pop = heapq.heappush, heapq.heappop

    def enqueue(seq, tensor, g):
        pending[seq] = g
        waiting[seq] = tensor
        push(heap, -seq)

    arrivals = zip(roots, root_grads)  # (tensor, gradient) pairs to hand on: first the roots, then each rule's
    node = None  # the node whose rule produced the arrivals (None for the roots)
    trusted = False  # whether that rule's gradients need no shape and dtype check (Function.elementwise)
    only_node = only_tensor = only_g = None  # the frontier's only node while there is one, its tensor and gradient

    with _GradModeContext(create_graph):
        while True:
            for parent, pg in arrivals:
                if pg is None or not isinstance(parent, Tensor) or not parent._requires_grad:
                    continue
                if not trusted:
                    data = parent.data
                    if pg.shape != data.shape:
                        pg = _check_shape(node, parent, pg)
                    if pg.dtype is not data.dtype and pg.dtype != data.dtype:
                        pg = pg.astype(data.dtype)
                parent_node = parent.grad_fn
                if parent_node is None:  # a leaf
                    if wanted is None or id(parent) in wanted:
                        deliver(parent, pg)
                    continue
                if parent_node is only_node:
                    only_g = only_g + pg  # out of place: pg may be shared
                elif heap:  # (only while the heap is empty can the frontier be a lone node)
                    seq = parent_node.seq
                    if seq in pending:
                        pending[seq] = pending[seq] + pg
                    else:
                        enqueue(seq, parent, pg)
                elif only_node is None:
                    only_node, only_tensor, only_g = parent_node, parent, pg
                else:  # a second node: the frontier goes to the heap
                    enqueue(only_node.seq, only_tensor, only_g)
                    only_node = only_tensor = only_g = None
                    enqueue(parent_node.seq, parent, pg)
            if only_node is not None:
                node, tensor, g = only_node, only_tensor, only_g
                only_node = only_tensor = only_g = None  # no reference past its use (holding one slowed a CNN step 2%)
            elif heap:
                seq = -pop(heap)
                tensor, g = waiting.pop(seq), pending.pop(seq)
                node = tensor.grad_fn
            else:
                break
            if tensor._retains_grad if wanted is None else id(tensor) in wanted:
                deliver(tensor, g)
            try:
                grads = _backward_on_graph(node, tensor, g) if create_graph else node.backward(node, g)
            except Exception:
                if node.output is None:  # freed by an earlier backward: say that, not what the rule tripped on
                    raise RuntimeError(_FREED_MESSAGE) from None
                raise
            if not retain_graph:  # free what the rule needed; parents and attrs stay, for drawing
                node.inputs = node.output = None
                node._saved = ()
            args = node.args
            if type(grads) is tuple and len(grads) == len(args):
                arrivals = zip(args, grads)
            elif len(args) == 1 and type(grads) is not tuple:  # a one-input rule may return its gradient bare
                arrivals = ((args[0], grads),)  # (cheaper to build and walk than a zip: 2% of a chain)
            else:
                n = len(grads) if type(grads) is tuple else 1
                raise RuntimeError(f"{node.name}.backward returned {n} gradients, expected {len(args)}")
            trusted = node.elementwise
    return results


def _backward_on_graph(node, tensor, g):
    """Run a rule on Tensors so that it is recorded (``create_graph=True``)."""
    arrays, output = node.inputs, node.output
    node._arrays, node._output_array = arrays, output
    node.inputs = tuple(a if isinstance(a, Tensor) else v for a, v in zip(node.args, arrays))
    node.output = tensor
    try:
        grads = node.backward(node, g if isinstance(g, Tensor) else Tensor._wrap(g, None))
    finally:
        node.inputs, node.output = arrays, output  # no reference from the node to its own output
    if type(grads) is not tuple:
        grads = (grads,)
    # a rule may return a constant array (zeros, say): it joins the graph as a constant Tensor
    return tuple(Tensor._wrap(v, None) if isinstance(v, np.ndarray) else v for v in grads)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, like ``torch.autograd.grad``.

    Returns a tuple with one Tensor per input; ``.grad`` attributes are left alone.
    """
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
    unused = [i for i, r in enumerate(results) if r is None]
    if unused and not allow_unused:
        raise RuntimeError(
            f"grad(): input {unused[0]} was not used to compute the outputs; pass allow_unused=True "
            "to get None for it"
        )
    return tuple(results)


Tensor = None  # set by tensor.py once the class exists (the two modules need each other)
