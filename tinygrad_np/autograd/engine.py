"""The reverse-mode engine: grad mode, the recorded graph and backpropagation.

How it works. Every op is a :class:`Function` subclass whose ``forward`` computes a NumPy
array and whose ``backward`` maps the output's gradient to one gradient per input (a
vector-Jacobian product). When an input needs a gradient, running an op records a *node*: the
op instance, holding only what its rule needs (the arrays it reads, the output's shape and
dtype) and one *edge* per input: the node that made that input, the input itself if it is a
leaf, or None. Tensors are not part of the graph: an intermediate result nobody holds is freed
at once, and a node never refers back to its output, so the graph has no reference cycles.

``backward`` walks the nodes from the most recently recorded one down (every node has a
creation number larger than its inputs'), so each rule runs once, after all its consumers
have sent it their gradients, and each pending gradient is dropped as soon as it is used.
Gradients of broadcast inputs are summed back to the input's shape in one place,
:func:`sum_to_shape`.

Rules are written with operators, NumPy ufuncs and a few array methods that NumPy arrays and
Tensors both have. On the plain first-order path they run on arrays; with
``create_graph=True`` the engine hands them Tensors instead, so the same rule is recorded and
can be differentiated again.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import threading
import types
import weakref

import numpy as np

from .. import _memory
from ..errors import ArgumentError

__all__ = ["Function", "Node", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "grad", "backward",
           "sum_to_shape", "mark_modified"]

Tensor = None  # set by tensor.py once the class exists (the two modules need each other)


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

    def __init__(self, mode: bool):
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


class enable_grad(no_grad):
    """Records again inside a ``no_grad`` block."""

    def __init__(self, fn=None):
        _GradModeContext.__init__(self, True)


# ----------------------------------------------------------------------------- where an op was called from
# The modules whose forward is running and the named calls (``mean``, ``cross_entropy``, ...) in
# progress, innermost last, as (thread id, where) entries: ``where`` is what an op recorded then
# keeps as ``node.where``, (innermost module, outermost named call inside it), worked out once when
# the entry is made. explain() and the graph drawing label ops by it. Empty unless a Module or a
# named call is running.
context_stack: list = []
module_stack = context_stack  # (the name nn.Module and older code use)
_call_numbers = itertools.count()
_get_ident = threading.get_ident


def enter_module(module) -> tuple:
    """Mark ``module`` as running in this thread (nn.Module.__call__ does this around forward)."""
    entry = (_get_ident(), (module, None))
    context_stack.append(entry)
    return entry


def exit_module(entry: tuple) -> None:
    """Undo :func:`enter_module`: remove this thread's own entry, even if another thread entered since."""
    if context_stack[-1] is entry:
        context_stack.pop()
    else:
        context_stack.remove(entry)


def named_call(name: str):
    """Decorator: the ops a call of the decorated function records are labelled ``name`` (one step
    in explain() and one box in the graph drawing), unless an outer named call already labels them.
    The call keeps its Tensor arguments that need no gradient (its data, e.g. the images given to
    conv2d), so the drawing can show them even when the ops on them were not recorded."""

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            outer = _where() if context_stack else None
            if (outer is not None and outer[1] is not None) or (_threads_without_grad and not _grad_mode.enabled):
                return fn(*args, **kwargs)  # labelled already, or nothing is recorded
            data = tuple([a for a in args if isinstance(a, Tensor) and not a._requires_grad])
            entry = (_get_ident(), (outer and outer[0], (name, next(_call_numbers), data)))
            context_stack.append(entry)
            try:
                return fn(*args, **kwargs)
            finally:
                exit_module(entry)

        return wrapper

    return decorate


def _where():
    """(innermost module, outermost named call) of this thread, for the node being recorded, or None."""
    me = _get_ident()
    for thread, where in reversed(context_stack):
        if thread == me:
            return where
    return None


# ----------------------------------------------------------------------------- in-place changes
# A node's saved arrays must still hold what they held when it was recorded. Every in-place change
# (Tensor.add_, item assignment, optimizer steps) calls mark_modified, which notes the creation
# number current at that moment against the array's memory (its base array). A rule then checks
# its saved arrays only if something was modified after it was recorded (one comparison per node).
_last_modified = -1
_modified: dict = {}  # id(base array) -> (creation number at the change, what changed it, weakref or None, version)


def _base(array):
    owner = array.base
    while owner is not None:
        array, owner = owner, getattr(owner, "base", None)  # (an owner may be no array: bytes, a memoryview)
    return array


def mark_modified(array, what: str) -> None:
    """Note that ``array`` (and so every array sharing its memory) was just changed in place by ``what``."""
    global _last_modified
    base = _base(array)
    key = id(base)
    _last_modified = next(_creation_order)
    entry = _modified.get(key)
    ref = entry[2] if entry is not None else None
    if ref is None or ref() is not base:
        try:
            ref = weakref.ref(base, functools.partial(_forget, key))
        except TypeError:  # memory owned by an object without weak references (bytes): keep the entry
            ref = None
    _modified[key] = (_last_modified, what, ref, entry[3] + 1 if entry is not None and entry[2] is ref else 1)


def _forget(key: int, ref) -> None:
    """The array is gone: its entry goes too (unless a newer array with the same id has one)."""
    entry = _modified.get(key)
    if entry is not None and entry[2] is ref:
        del _modified[key]


def version(array) -> int:
    """How many in-place changes the memory of ``array`` has had (``Tensor._version``, as in PyTorch)."""
    entry = _modified.get(id(_base(array)))
    return entry[3] if entry is not None else 0


def _check_not_modified(node) -> None:
    """Raise if an array the node saved was changed in place after the node was recorded."""
    for i, array in _saved_arrays(node):
        change = _modified.get(id(_base(array)))
        if change is not None and change[0] > node.seq:
            which = "its output" if i is None else f"its input {i}"
            raise RuntimeError(
                f"one of the values needed to compute gradients was modified by an in-place operation: "
                f"{which}, an array of shape {tuple(array.shape)} and dtype {array.dtype} saved by {node.name}, "
                f"was changed by {change[1]} after {node.name} was recorded. Change a copy instead "
                f"(t = t.clone()), or make the change before the op or after backward()."
            )


def _saved_arrays(node):
    inputs = node.inputs or ()
    found = [(i, v) for i, v in enumerate(inputs) if isinstance(v, np.ndarray)]
    if isinstance(node.output, np.ndarray):
        found.append((None, node.output))
    found += [(f"saved {i}", v) for i, v in enumerate(getattr(node, "_saved", None) or ()) if isinstance(v, np.ndarray)]
    return found


# ----------------------------------------------------------------------------- Function: an op and its node
# Every recorded op gets the next number: an op's inputs always have smaller numbers than it,
# so walking nodes from the largest number down is a topological order (no recursion needed).
_creation_order = itertools.count()
_new_object = object.__new__
NO_ATTRS = types.MappingProxyType({})
# needs_input_grad of one- and two-input ops: shared tuples, not built per op
NEEDS = {1: (True,), **{pair: pair for pair in itertools.product((False, True), repeat=2)}}


class Function:
    """An op: a forward and its local backward rule. Subclass it for custom ops::

        class Cube(Function):
            formula = "∂/∂x = g·3x²"
            @staticmethod
            def forward(ctx, x):            # x: a NumPy array
                return x ** 3
            @staticmethod
            def backward(ctx, g):           # g: d(loss)/d(output)
                (x,) = ctx.inputs
                return g * 3 * x ** 2       # d(loss)/d(x)

        y = Cube.apply(t)

    ``forward`` receives NumPy arrays for Tensor arguments (other arguments unchanged) and
    returns one array. ``backward`` returns one gradient per positional argument (None where
    there is none). ``ctx`` is the op's :class:`Node` in the graph: inside ``backward``,
    ``ctx.inputs`` are the forward's positional arguments, ``ctx.output`` its result,
    ``ctx.saved_tensors`` what ``ctx.save_for_backward`` kept in forward, ``ctx.attrs`` the
    keyword arguments, and ``ctx.needs_input_grad[i]`` says whether input i needs a gradient.
    Write the rule with operators and NumPy ufuncs and it is twice differentiable: under
    ``create_graph=True`` it receives Tensors instead of arrays.

    A node keeps only what its rule reads: the class attributes ``saves_inputs`` and
    ``saves_output`` say whether ``ctx.inputs`` and ``ctx.output`` are kept (a custom op keeps
    both unless it says otherwise).
    """

    saves_inputs = True  # whether the rule reads ctx.inputs (else they are not kept)
    saves_output = True  # whether the rule reads ctx.output
    formula = None  # the local rule as a short formula, e.g. "∂/∂a = g·b, ∂/∂b = g·a" (docs, explain)
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
        node = new_node(cls)
        try:
            out = cls.forward(node, *inputs, **attrs)
        except ValueError as e:  # e.g. shapes that do not broadcast: say which op and which shapes
            shapes = ", ".join(str(np.shape(v)) for v in inputs)
            raise ArgumentError(f"{cls.__name__}: {e} (input shapes {shapes})") from None
        edges = tuple([(a.grad_fn or a) if isinstance(a, Tensor) else a for a in args])
        return record(cls, node, out, inputs if cls.saves_inputs else None, cls.saves_output, edges,
                      needs if True in needs else None, attrs or NO_ATTRS)


class Node:
    """A recorded op: what backward needs of it, and nothing more (the op's output Tensor is not
    part of the graph). ``op`` is the Function subclass; ``next`` one edge per positional argument:
    the node that made it, else the argument itself (a leaf Tensor, or a constant: a Tensor that
    needs no gradient, an array, a scalar); ``inputs`` and ``output`` the arrays the rule reads
    (None if it reads none); ``shape``/``dtype`` the output's; ``seq`` the creation number; ``where``
    the module and named call that recorded it; ``hooks`` the gradient hooks of its output."""

    # one concrete class for every node, so that the engine's attribute accesses stay monomorphic
    __slots__ = ("op", "next", "inputs", "output", "shape", "dtype", "seq", "needs_input_grad", "attrs",
                 "where", "hooks", "_saved", "__dict__", "__weakref__")

    # --- for custom ops: PyTorch's ctx API
    def save_for_backward(self, *values):
        self._saved = values

    @property
    def saved_tensors(self) -> tuple:
        """What ``save_for_backward`` kept. Under ``create_graph`` an input or the output is
        handed back as its Tensor so the rule stays differentiable."""
        if self.freed:
            raise RuntimeError(self.output.message(self))
        saved = self._saved
        if isinstance(self.output, Tensor):  # create_graph: the engine swapped in Tensors
            graph_value = {id(a): t for a, t in zip(self._arrays or (), self.inputs)}
            graph_value[id(self._output_array)] = self.output
            return tuple(graph_value.get(id(v), v) for v in saved)
        return saved

    def input_shape(self, i: int) -> tuple:
        """The shape of input ``i`` (known for every input that needs a gradient, kept or not)."""
        return self.next[i].shape

    # --- the node's place in the graph
    @property
    def freed(self) -> bool:
        """True once a backward without ``retain_graph`` has released this node's saved values;
        its edges, shape and attrs stay, so the graph can still be drawn."""
        return type(self.output) is _FreedBy

    @property
    def next_functions(self) -> tuple:
        """``(node, 0)`` per argument, as PyTorch's ``grad_fn.next_functions``: the node that made it,
        the leaf Tensor that requires grad, or None."""
        return tuple((e if type(e) is Node or (isinstance(e, Tensor) and e._requires_grad) else None, 0)
                     for e in self.next)

    @property
    def module(self):
        """The innermost nn.Module whose forward recorded this op (None outside modules)."""
        return self.where[0] if self.where is not None else None

    @property
    def call(self):
        """The outermost named call that recorded this op (e.g. ``"mean"``), or None."""
        return self.where[1][0] if self.where is not None and self.where[1] is not None else None

    @property
    def name(self) -> str:
        return self.op.__name__

    @property
    def formula(self):
        return self.op.formula

    def __repr__(self):
        return f"<{self.name}>"


def new_node(op) -> Node:
    """A node for ``op``, before its forward runs (which may call ``ctx.save_for_backward``)."""
    node = _new_object(Node)
    node.op = op
    node._saved = ()
    return node


# Each node keeps its output's shape. A new shape tuple per node would be one more object for the
# cyclic garbage collector to count and walk (it cost 10% of a small op): nodes share one tuple per
# shape (run_backward empties the table now and then: it only saves memory).
_shapes: dict = {}


def record(op, node, out, inputs, keep_output, edges, needs, attrs=NO_ATTRS):
    """Wrap the result ``out`` of ``op`` in a Tensor and, if ``needs`` (one flag per input; None when
    no input needs a gradient) and grad mode is on, record the op: the one place where the graph
    grows. ``node`` is the ctx its forward got (None if the forward needed none); ``inputs`` are
    the forward's positional arguments if the rule reads them (else None), ``keep_output`` whether
    it reads the output, ``edges`` one per argument (see :class:`Node`)."""
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    result = _new_object(Tensor)
    result.data = out
    result.grad = None
    result._hooks = None
    if needs is None or (_threads_without_grad and not _grad_mode.enabled):
        result.grad_fn = None
        result._requires_grad = False
        return result
    if node is None:
        node = _new_object(Node)
        node.op = op
    result.grad_fn = node
    result._requires_grad = True
    node.next = edges
    node.inputs = inputs
    node.output = out if keep_output else None
    shape = out.shape
    node.shape = _shapes.setdefault(shape, shape)
    node.dtype = out.dtype
    node.seq = next(_creation_order)
    node.needs_input_grad = needs
    node.attrs = attrs
    if context_stack:  # (the last entry is nearly always this thread's)
        top = context_stack[-1]
        node.where = top[1] if top[0] == _get_ident() else _where()
    else:
        node.where = None
    node.hooks = None
    if _anomaly_mode:
        _anomaly_recorded(node, inputs, out)
    return result


# ----------------------------------------------------------------------------- anomaly mode (see anomaly.py)
_anomaly_mode = False  # set by anomaly.py; while False nothing below runs
_anomaly_recorded = None  # anomaly.py's check of each recorded op
_anomaly_observe = None  # anomaly.py's check of each rule's gradients


# ----------------------------------------------------------------------------- backpropagation
class _FreedBy:
    """What a node freed by a backward pass holds instead of its output: which pass, and how it ended."""

    __slots__ = ("error",)

    def __init__(self):
        self.error = None

    def message(self, node) -> str:
        if self.error is None:
            return ("Trying to backward through the graph a second time: its saved values were freed by the "
                    "first backward(). Call backward(retain_graph=True) the first time if you need to do this.")
        return (f"Trying to backward through a graph whose saved values an earlier backward() freed before it "
                f"failed with {self.error}; {node.name}'s values are gone. Build the graph again (run the "
                f"forward again), or pass retain_graph=True to keep them.")


class _Freeing:
    """A backward pass's freeing: ``marker`` (a _FreedBy) is what freed nodes keep, None with
    ``retain_graph``; as a context, it notes an error that stops the pass (for the next one to report)."""

    def __init__(self, retain_graph: bool):
        self.marker = None if retain_graph else _FreedBy()
        if len(_shapes) > 4096:  # (a pass is a good moment to trim the table of shapes, see record)
            _shapes.clear()
        if _memory.applied is None:  # the first pass: keep freed memory for the next step (see _memory.py)
            _memory.keep_freed_memory()

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        if error is not None and self.marker is not None:
            self.marker.error = f"{kind.__name__}: {error}"
        return False


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


def _fit(node, edge, g):
    """The gradient ``node``'s rule sent along ``edge``, checked against the edge's shape and dtype:
    summed back if it has the broadcast shape, cast if it has another dtype."""
    if g.shape == edge.shape and g.dtype is edge.dtype:
        return g
    if g.shape != edge.shape:
        try:
            broadcastable = g.ndim >= len(edge.shape) and np.broadcast_shapes(edge.shape, g.shape) == g.shape
        except ValueError:
            broadcastable = False
        if not broadcastable:
            raise RuntimeError(f"{node.name}.backward returned a gradient of shape {g.shape} for an input of "
                               f"shape {edge.shape}")
        g = sum_to_shape(g, edge.shape)
    if g.dtype != edge.dtype:
        g = g.astype(edge.dtype)
    return g


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None, observe=None):
    """Backpropagate ``root_grads`` from the tensors ``roots``.

    Nodes run from the most recently recorded down (a max-heap on the creation number), so each
    runs once, after every consumer has added its gradient. While the frontier (the nodes holding
    a gradient, not yet run) is one node, as all along a chain, that node waits in ``lone`` instead
    of the heap: it can run next, since any consumer still to send it a gradient would itself be in
    the frontier. With ``inputs=None`` gradients go into the ``.grad`` of leaves (and of tensors that
    called ``retain_grad``); otherwise the gradients of ``inputs`` are returned (None for an unreached
    one) and no ``.grad`` is touched. ``observe(node, g, pairs)``, if given, sees each rule's incoming
    gradient and the (edge, gradient) pairs it sent.
    """
    sink, freeing, observe = _Sink(inputs, create_graph), _Freeing(retain_graph), _observer(observe)
    heap, pending = [], {}  # negated creation numbers of waiting nodes (a max-heap); seq -> [node, gradient]
    lone = lone_g = node = None
    pairs, check = zip(map(_edge_of, roots), root_grads), True  # check: the last rule's gradients need _fit
    with _GradModeContext(create_graph), freeing:
        while True:
            for edge, g in pairs:  # hand each gradient on: to the sum of a waiting node, or to a leaf
                if g is None:
                    continue
                if type(edge) is Node:
                    if check and (g.shape != edge.shape or g.dtype is not edge.dtype):
                        g = _fit(node, edge, g)
                    if lone is None and not heap:
                        lone, lone_g = edge, g
                    else:  # a node with several consumers, or a second waiting node
                        lone, lone_g = _gather(heap, pending, lone, lone_g, edge, g)
                elif isinstance(edge, Tensor):  # a leaf, or a constant Tensor (other edges are constants too)
                    sink.leaf(edge, g, node if check else None)
            if lone is not None:
                node, g, lone, lone_g = lone, lone_g, None, None  # no reference past its use
            elif heap:
                node, g = pending.pop(-heapq.heappop(heap))
            else:
                break
            pairs = _gradients(node, g, create_graph, sink, observe)
            check = not node.op.elementwise
            if freeing.marker is not None:  # free what the rule needed; edges and attrs stay, for drawing
                node.inputs = node._saved = None
                node.output = freeing.marker
    return sink.results


def _gather(heap, pending, lone, lone_g, node, g):
    """Add ``g`` to ``node``'s gradient when the frontier is not a lone new node: to ``lone``'s, or
    in the heap (where ``lone`` goes too once a second node waits). Returns the new (lone, lone_g)."""
    if node is lone:
        return lone, lone_g + g  # out of place: g may be shared
    if lone is not None:
        _wait(heap, pending, lone, lone_g)
    _wait(heap, pending, node, g)
    return None, None


def _wait(heap, pending, node, g):
    """Add ``g`` to the gradient summed for ``node`` in the heap (entering it there if new)."""
    waiting = pending.get(node.seq)
    if waiting is None:
        pending[node.seq] = [node, g]
        heapq.heappush(heap, -node.seq)
    else:
        waiting[1] = waiting[1] + g


def _gradients(node, g, create_graph: bool, sink, observe):
    """Run ``node``'s rule on the summed gradient ``g`` (after its hooks): (edge, gradient) pairs,
    which ``observe`` sees first."""
    if node.hooks is not None or sink.wanted is not None:
        g = sink.node(node, g)
    if node.seq < _last_modified:
        _check_not_modified(node)
    try:
        grads = _backward_on_graph(node, g) if create_graph else node.op.backward(node, g)
    except Exception:
        if node.freed:  # say why the saved values are gone, not what the rule tripped on
            raise RuntimeError(node.output.message(node)) from None
        raise
    edges = node.next
    if type(grads) is tuple and len(grads) == len(edges):
        pairs = zip(edges, grads)
    elif len(edges) == 1 and type(grads) is not tuple:  # a one-input rule may return its gradient bare
        pairs = ((edges[0], grads),)
    else:
        n = len(grads) if type(grads) is tuple else 1
        raise RuntimeError(f"{node.name}.backward returned {n} gradients, expected {len(edges)}")
    if observe is not None:
        pairs = list(pairs)
        observe(node, g, pairs)
    return pairs


def _edge_of(tensor):
    return tensor.grad_fn or tensor


def _observer(observe):
    """What sees each rule's gradients: ``observe``, then anomaly mode's check while it is on."""
    if not _anomaly_mode or _anomaly_observe is None:
        return observe
    if observe is None:
        return _anomaly_observe

    def both(*args):
        observe(*args)
        _anomaly_observe(*args)

    return both


class _Sink:
    """Where finished gradients go: into ``.grad`` (backward), or into the results of ``grad()``.
    Also runs gradient hooks. No gradient handed out aliases another one the user can see."""

    def __init__(self, inputs, create_graph):
        self.create_graph = create_graph
        self.wanted = None if inputs is None else {id(t.grad_fn or t): i for i, t in enumerate(inputs)}
        self.results = [None] * (0 if inputs is None else len(inputs))
        self.handed_out: set[int] = set()

    def leaf(self, tensor, g, check_against=None):
        """A gradient for a leaf; ``check_against``: the node whose rule sent it, if it needs _fit."""
        if not tensor._requires_grad:  # a constant Tensor: no gradient wanted
            return
        if check_against is not None:
            g = _fit(check_against, tensor.data, g)  # (the array's shape and dtype: no Tensor properties)
        if tensor._hooks is not None:
            g = _run_hooks(tensor._hooks, g)
        if self.wanted is None:
            tensor._accumulate_grad(self._unshared(g))
        elif id(tensor) in self.wanted:
            self._result(id(tensor), g)

    def node(self, node, g):
        """A node's summed gradient, before its rule runs: hooks, retain_grad, and grad()'s results."""
        hooks = node.hooks
        if hooks is not None:
            g = _run_hooks(hooks.functions, g)
            retained = hooks.retained() if hooks.retained is not None else None
            if retained is not None and self.wanted is None:
                retained._accumulate_grad(self._unshared(g))
        if self.wanted is not None and id(node) in self.wanted:
            self._result(id(node), g)
        return g

    def _unshared(self, g):
        if self.create_graph:
            g = g.clone() if id(g) in self.handed_out else g
        elif g.base is not None or id(g) in self.handed_out:
            g = g.copy()
        self.handed_out.add(id(g))
        return g

    def _result(self, key, g):
        i = self.wanted[key]
        g = self._unshared(g)
        g = g if self.create_graph else Tensor._wrap(g, None)
        self.results[i] = g if self.results[i] is None else self.results[i] + g


class NodeHooks:
    """The gradient hooks of a non-leaf tensor, kept on the node that made it."""

    __slots__ = ("functions", "retained")

    def __init__(self):
        self.functions = {}
        self.retained = None  # weakref to the tensor that called retain_grad()


def _run_hooks(functions: dict, g):
    """Call each hook with the gradient (a Tensor); one that returns something replaces it."""
    for fn in tuple(functions.values()):
        as_tensor = g if isinstance(g, Tensor) else Tensor._wrap(g, None)
        new = fn(as_tensor)
        if new is not None:
            new_data = new.data if isinstance(new, Tensor) and not isinstance(g, Tensor) else new
            if np.shape(new_data) != np.shape(g):
                raise RuntimeError(f"a gradient hook returned shape {np.shape(new_data)} for a gradient of shape "
                                   f"{np.shape(g)}")
            g = new_data if isinstance(g, Tensor) else np.asarray(new_data, dtype=g.dtype)
    return g


def _backward_on_graph(node, g):
    """Run a rule on Tensors so that it is recorded (``create_graph=True``): each saved input comes
    back as a Tensor on its edge (the leaf itself, or a new Tensor made by the same node), the output
    as a Tensor made by this node."""
    arrays, output = node.inputs, node.output
    node._arrays, node._output_array = arrays, output
    if arrays is not None:
        node.inputs = tuple(_on_edge(v, e) for v, e in zip(arrays, node.next))
    if isinstance(output, np.ndarray):
        node.output = Tensor._wrap(output, node)
    try:
        grads = node.op.backward(node, g if isinstance(g, Tensor) else Tensor._wrap(g, None))
    finally:
        node.inputs, node.output = arrays, output  # no reference from the node to a Tensor on itself
        del node._arrays, node._output_array
    if type(grads) is not tuple:
        grads = (grads,)
    # a rule may return a constant array (zeros, say): it joins the graph as a constant Tensor
    return tuple(Tensor._wrap(v, None) if isinstance(v, np.ndarray) else v for v in grads)


def _on_edge(value, edge):
    if type(edge) is Node:
        return Tensor._wrap(value, edge)
    return edge if isinstance(edge, Tensor) and edge._requires_grad else value


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, like ``torch.autograd.grad``.

    Returns a tuple with one Tensor per input; ``.grad`` attributes are left alone.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs_list = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for t in inputs_list:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): inputs must be Tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError("grad(): one of the inputs does not require grad")
    root_grads = _root_grads(outputs, grad_outputs, create_graph, "grad()")
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


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad``, like ``torch.autograd.backward``
    (``inputs=``: only into these tensors' ``.grad``)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    for t in tensors:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError("backward(): element 0 of tensors does not require grad and does not have a grad_fn"
                               if isinstance(t, Tensor) else f"backward(): expected Tensors, got {type(t).__name__}")
    root_grads = _root_grads(tensors, grad_tensors, create_graph, "backward()")
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        run_backward(tensors, root_grads, retain, create_graph)
        return
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    found = run_backward(tensors, root_grads, retain, create_graph, inputs=inputs)
    for t, g in zip(inputs, found):
        if g is not None:
            t._accumulate_grad(g if create_graph else g.data)


def _root_grads(outputs, grad_outputs, create_graph, caller):
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)) or np.isscalar(grad_outputs):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ArgumentError(f"{caller}: got {len(grad_outputs)} gradients for {len(outputs)} outputs")
    return [out._initial_grad(g, create_graph) for out, g in zip(outputs, grad_outputs)]
