"""``Module`` (the base class of every layer), ``Parameter``, and the containers
``Sequential`` and ``ModuleList``.

A module registers what it is given by attribute assignment, in order: a
:class:`Parameter` becomes a parameter, a ``Module`` a submodule; tensors meant to be
saved but not trained (BatchNorm's running statistics) are registered with
:meth:`Module.register_buffer`. While ``forward`` runs the module sits on
``tinygrad_np.autograd.module_stack``, so every op it records knows which module made it.
"""

from __future__ import annotations

import numbers
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from .. import autograd
from ..hooks import RemovableHandle
from ..tensor import Tensor, _to_array, check_device
from ..tensor import is_device as _is_device

__all__ = [
    "Parameter", "Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
    "IncompatibleKeys",
]


class Parameter(Tensor):
    """A Tensor that a :class:`Module` registers as trainable: a leaf that requires grad.

    ``Parameter(data)`` wraps a float ndarray or a Tensor's data without copying (as PyTorch
    does); anything else (lists, scalars) is converted like ``Tensor(data)``.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.empty(0, dtype=np.float32)
        elif isinstance(data, Tensor):
            data = data.data
        elif not isinstance(data, np.ndarray):
            data = _to_array(data)
        self.data = data
        self.grad = None
        self.grad_fn = None
        self._hooks = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])

# Bumped whenever any module gains or loses a parameter or submodule: module and parameter
# lists cached by _walk/parameters are valid only while it is unchanged.
_structure = [0]
_CACHES = ("_walk_cache", "_params_cache")


def _as_buffer(name, value):
    if value is None or isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return Tensor._wrap(value, None)
    raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor, ndarray or None expected)")


class _BackwardHooks:
    """One call's share of ``register_full_backward_hook``: the Tensor arguments that require grad pass
    through one GradientTap node, whose gradient hook sees all their gradients at once; hooks on the
    outputs collect ``grad_output`` first (outputs are made later, so their gradients arrive earlier)."""

    def __init__(self, module, args):
        self.module, self.n_args = module, len(args)
        self.positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        self.grad_output, self.waiting = (), 0

    def tap_inputs(self, args):
        if not self.positions:
            return args
        from .primitives import GradientTap

        xs = [args[i] for i in self.positions]
        self.shapes, self.dtypes = [x.shape for x in xs], [x.dtype for x in xs]
        tap = GradientTap.apply(*xs)
        tap.register_hook(self._grad_inputs)
        args = list(args)
        if len(xs) == 1:
            args[self.positions[0]] = tap
        else:
            start = 0
            for i, x in zip(self.positions, xs):
                piece = tap[start:start + x.data.size].reshape(x.shape)
                args[i] = piece if piece.dtype == x.dtype else piece.astype(x.dtype)
                start += x.data.size
        return tuple(args)

    def watch_outputs(self, output):
        outputs = output if isinstance(output, tuple | list) else (output,)
        self.grad_output = [None] * len(outputs)
        for i, out in enumerate(outputs):
            if isinstance(out, Tensor) and out.requires_grad:
                self.waiting += 1
                out.register_hook(lambda g, i=i: self._grad_output(i, g))

    def _grad_output(self, i, g):
        self.grad_output[i] = g
        self.waiting -= 1
        if not self.positions and self.waiting == 0:  # no input needs a gradient: PyTorch calls the hook now
            self._call((None,) * self.n_args)

    def _call(self, grad_input: tuple) -> tuple:
        for hook in tuple(self.module._backward_hooks.values()):
            changed = hook(self.module, grad_input, tuple(self.grad_output))
            if changed is not None:
                changed = tuple(changed) if isinstance(changed, tuple | list) else (changed,)
                if len(changed) != len(grad_input):
                    raise RuntimeError(f"a full backward hook of {type(self.module).__name__} returned "
                                       f"{len(changed)} gradients for {len(grad_input)} inputs")
                grad_input = changed
        return grad_input

    def _grad_inputs(self, g):
        """The tap's gradient: unpack it into grad_input, run the hooks, pack what they return."""
        shapes = self.shapes
        pieces, start = [], 0
        for shape, dtype in zip(shapes, self.dtypes):
            size = int(np.prod(shape))
            piece = g if len(shapes) == 1 else g[start:start + size].reshape(shape)
            pieces.append(piece if piece.dtype == dtype else piece.astype(dtype))
            start += size
        grad_input = [None] * self.n_args
        for i, piece in zip(self.positions, pieces):
            grad_input[i] = piece
        grad_input = self._call(tuple(grad_input))
        new = []
        for i, shape in zip(self.positions, shapes):
            piece = grad_input[i]
            if piece is None:
                piece = Tensor._wrap(np.zeros(shape, dtype=g.dtype), None)
            elif not isinstance(piece, Tensor):
                piece = Tensor._wrap(np.asarray(piece, dtype=g.dtype), None)
            if tuple(piece.shape) != tuple(shape):
                raise RuntimeError(f"a full backward hook of {type(self.module).__name__} returned a gradient of "
                                   f"shape {tuple(piece.shape)} for an input of shape {tuple(shape)}")
            new.append(piece)
        if len(new) == 1:
            return new[0]
        from ..tensor import cat

        return cat([p.reshape(-1) for p in new])


class Module:
    """Base class of all layers and models. Subclass it, call ``super().__init__()`` first,
    assign parameters and submodules as attributes, and define ``forward``::

        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(784, 256)
                self.fc2 = nn.Linear(256, 10)

            def forward(self, x):
                return self.fc2(self.fc1(x).relu())
    """

    training: bool

    def __init__(self):
        d = self.__dict__
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent"] = set()
        d["_modules"] = {}
        d["training"] = True
        d["_forward_pre_hooks"] = {}
        d["_forward_hooks"] = {}
        d["_backward_hooks"] = {}

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define forward(self, ...) in the subclass")

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks:
            for hook in tuple(self._forward_pre_hooks.values()):
                changed = hook(self, args)
                if changed is not None:
                    args = changed if isinstance(changed, tuple) else (changed,)
        backward_hooks = _BackwardHooks(self, args) if self._backward_hooks and autograd.is_grad_enabled() else None
        if backward_hooks is not None:
            args = backward_hooks.tap_inputs(args)
        entry = autograd.enter_module(self)
        try:
            output = self.forward(*args, **kwargs)
        finally:
            autograd.exit_module(entry)
        if self._forward_hooks:
            for hook in tuple(self._forward_hooks.values()):
                changed = hook(self, args, output)
                if changed is not None:
                    output = changed
        if backward_hooks is not None:
            backward_hooks.watch_outputs(output)
        return output

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, args)`` before each forward; if it returns something, that replaces
        the positional arguments (a tuple, or a single value). ``handle.remove()`` takes it off."""
        return RemovableHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each forward (to record or inspect activations);
        if it returns something, that replaces the output. ``handle.remove()`` takes it off."""
        return RemovableHandle(self._forward_hooks, hook)

    def register_full_backward_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` once the gradients with respect to the module's
        inputs are computed, as in PyTorch: ``grad_input`` has one entry per positional argument of the
        call (None for an argument that is not a Tensor requiring grad), ``grad_output`` one per output.
        If it returns a tuple like ``grad_input``, those gradients flow on instead. Hooks run in the
        order they were registered; ``handle.remove()`` takes one off."""
        if not callable(hook):
            raise TypeError(f"register_full_backward_hook(): expected a function, got {type(hook).__name__}")
        return RemovableHandle(self._backward_hooks, hook)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(
                    f"cannot assign {type(value).__name__} '{name}' before Module.__init__() call: "
                    f"call super().__init__() first in {type(self).__name__}.__init__"
                )
            object.__setattr__(self, name, value)
            return
        params, buffers, modules = d["_parameters"], d["_buffers"], d["_modules"]
        if isinstance(value, Parameter):
            self._forget(name, keep="_parameters")
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep="_modules")
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' (nn.Parameter or None expected); "
                    f"wrap it as nn.Parameter(value), or copy values in with self.{name}.data[...] = value"
                )
            params[name] = None
            _structure[0] += 1
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' (Module or None expected)"
                )
            modules[name] = None
            _structure[0] += 1
        elif name in buffers:
            buffers[name] = _as_buffer(name, value)
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: str = "") -> None:
        """Remove ``name`` from every store except ``keep`` (where a new value will replace it in place)."""
        _structure[0] += 1
        d = self.__dict__
        d.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            if key != keep:
                d[key].pop(name, None)
        d["_non_persistent"].discard(name)

    def __getattr__(self, name: str):
        # only called when normal lookup fails: parameters, buffers and submodules live here
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if key in d and name in d[key]:
                return d[key][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if key in d and name in d[key]:
                del d[key][name]
                d["_non_persistent"].discard(name)
                _structure[0] += 1
                return
        object.__delattr__(self, name)

    def __dir__(self):
        extra = [k for key in ("_parameters", "_buffers", "_modules") for k in self.__dict__.get(key, {})]
        return sorted(set(super().__dir__()) | set(extra))

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a None placeholder, e.g. ``bias=False``) under ``name``."""
        self._check_name(name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' as parameter '{name}' (nn.Parameter or None expected)"
            )
        self._forget(name, keep="_parameters")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Add a tensor that is saved in ``state_dict`` (unless ``persistent=False``) but not trained."""
        self._check_name(name)
        value = _as_buffer(name, tensor)
        self._forget(name, keep="_buffers")
        self._buffers[name] = value
        if not persistent:
            self._non_persistent.add(name)

    def register_module(self, name: str, module: Module | None) -> None:
        """Add a submodule under ``name`` (same as assigning it as an attribute)."""
        self._check_name(name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module")
        self._forget(name, keep="_modules")
        self._modules[name] = module

    add_module = register_module

    def _check_name(self, name) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"call super().__init__() in {type(self).__name__}.__init__ before registering '{name}'"
            )
        if not isinstance(name, str):
            raise TypeError(f"a name must be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"invalid name {name!r}: it must be non-empty and contain no '.'")

    # ------------------------------------------------------------------ traversal
    def named_children(self):
        """(name, module) for each direct submodule, in registration order."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True):
        """(dotted name, module) for this module (name ``""``) and every submodule, depth first."""
        stack = [(prefix, self)]
        memo = set() if memo is None else memo
        while stack:
            name, m = stack.pop()
            if remove_duplicate:
                if id(m) in memo:
                    continue
                memo.add(id(m))
            yield name, m
            kids = [(f"{name}.{k}" if name else k, c) for k, c in m._modules.items() if c is not None]
            stack.extend(reversed(kids))

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k not in _CACHES}

    def __setstate__(self, state):
        self.__dict__.update({"_forward_pre_hooks": {}, "_forward_hooks": {}, "_backward_hooks": {}, **state})

    def _walk(self) -> list:
        """Every distinct module, depth first, this one first (no names: the fast path; cached)."""
        cache = self.__dict__.get("_walk_cache")
        if cache is not None and cache[0] == _structure[0]:
            return cache[1]
        out, stack, seen = [], [self], set()
        while stack:
            m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            out.append(m)
            stack.extend([c for c in reversed(m._modules.values()) if c is not None])
        self.__dict__["_walk_cache"] = (_structure[0], out)
        return out

    def _named_members(self, key: str, prefix: str, recurse: bool, remove_duplicate: bool = True):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_name, m in mods:
            for name, v in m.__dict__[key].items():
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                seen.add(id(v))
                yield (f"{mod_name}.{name}" if mod_name else name), v

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """(dotted name, Parameter), e.g. ``("fc1.weight", ...)``; a shared parameter is listed once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        """An iterator over every distinct parameter (a shared one once), in registration order."""
        if not recurse:
            return iter([p for p in self._parameters.values() if p is not None])
        cache = self.__dict__.get("_params_cache")
        if cache is not None and cache[0] == _structure[0]:
            return iter(cache[1])
        out, seen = [], set()
        for m in self._walk():
            for p in m._parameters.values():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    out.append(p)
        self.__dict__["_params_cache"] = (_structure[0], out)
        return iter(out)

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        """Call ``fn`` on every submodule, then on this module (e.g. for custom initialisation)."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True):
        """Training mode (Dropout drops, BatchNorm uses batch statistics), recursively."""
        if not isinstance(mode, bool):
            raise ValueError(f"train(mode): mode must be a bool, got {mode!r}")
        for m in self._walk():
            m.__dict__["training"] = mode
        return self

    def eval(self):
        """Evaluation mode: same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True):
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients (sets every ``.grad`` to None)."""
        for p in self.parameters():
            p.grad = None

    # ------------------------------------------------------------------ dtype
    def _cast(self, dtype):
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is not None and t.dtype.kind == "f" and t.dtype != dtype:
                        t.data = t.data.astype(dtype)
                        if t.grad is not None:
                            t.grad = Tensor._wrap(t.grad.data.astype(dtype), None)
        return self

    def float(self):
        """Cast floating-point parameters and buffers to float32 (in place); returns self."""
        return self._cast(np.dtype(np.float32))

    def double(self):
        """Cast floating-point parameters and buffers to float64 (in place); returns self."""
        return self._cast(np.dtype(np.float64))

    def half(self):
        """Cast floating-point parameters and buffers to float16 (in place); returns self."""
        return self._cast(np.dtype(np.float16))

    def to(self, *args, dtype=None, device=None, non_blocking: bool = False):
        """PyTorch's ``module.to(dtype)``, ``.to(device)``, ``.to(device, dtype)``, ``.to(tensor)``
        (its dtype) and the keyword forms: cast the floating-point parameters and buffers in place
        (integer ones, like BatchNorm's counter, stay) and return self. The device must be the CPU
        (``"cpu"``, ``"cpu:0"``); anything else is an error, and so is a non-float dtype."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, bool):
                continue  # non_blocking: nothing to wait for on the CPU
            elif _is_device(arg):
                device = arg
            else:
                dtype = arg
        check_device(device, "Module.to()")
        if dtype is None:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to() only accepts floating-point dtypes, got {dtype}")
        return self._cast(dtype)

    # ------------------------------------------------------------------ state
    def _state_items(self, prefix: str = ""):
        """(dotted name, Tensor) for what ``state_dict`` saves: per module its parameters, then
        its persistent buffers, then its submodules (PyTorch's order)."""
        stack = [(prefix, self)]
        seen = set()
        while stack:
            name, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            for k, v in m._parameters.items():
                if v is not None:
                    yield name + k, v
            for k, v in m._buffers.items():
                if v is not None and k not in m._non_persistent:
                    yield name + k, v
            stack.extend(reversed([(f"{name}{k}.", c) for k, c in m._modules.items() if c is not None]))

    def state_dict(self, prefix: str = "") -> OrderedDict:
        """An ordered dict from dotted names to NumPy copies of parameters and persistent buffers."""
        return OrderedDict((k, v.data.copy()) for k, v in self._state_items(prefix))

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays (or Tensors) from ``state_dict`` into the parameters and buffers.

        Nothing is changed unless every check passes. Shapes must match. With ``strict=True``
        missing or unexpected keys are an error; with ``strict=False`` they are returned as
        ``(missing_keys, unexpected_keys)``. Values are copied into the existing arrays (cast to
        their dtype), never aliased.
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"load_state_dict(): expected a dict, got {type(state_dict).__name__}; pass what "
                            f"model.state_dict() or tinygrad_np.load() returns")
        own = OrderedDict(self._state_items())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(repr(k) for k in missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(repr(k) for k in unexpected))
        updates = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            value = value.data if isinstance(value, Tensor) else value
            if not isinstance(value, (np.ndarray, numbers.Number, list, tuple)):
                problems.append(f"{key!r}: expected an array, got {type(value).__name__}")
                continue
            value = np.asarray(value)
            if value.shape != target.shape:
                problems.append(f"size mismatch for {key!r}: got shape {value.shape}, the model has {target.shape}")
                continue
            if value.dtype.kind not in "biuf":
                problems.append(f"{key!r}: expected numeric values, got dtype {value.dtype}; convert it to a float "
                                f"array")
                continue
            updates.append((target, value))
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__} (nothing was loaded):\n  "
                               + "\n  ".join(problems) + _load_hint(state_dict, problems, strict))
        for target, value in updates:
            if target.data.flags.writeable:
                target.data[...] = value  # in place, like PyTorch's copy_: anything holding the array sees it
                autograd.mark_modified(target.data, "load_state_dict")
            else:
                target.data = np.array(value, dtype=target.dtype)
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        """The text inside ``Name(...)``; override to describe a layer's settings."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        if not self._modules:
            if len(lines) <= 1:
                return f"{self._get_name()}({extra})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied one after the other: ``Sequential(Linear(2, 4), ReLU(), Linear(4, 1))``.

    Also accepts an ordered dict of named modules. Indexable (``seq[0]``, ``seq[-1]``; a slice
    gives a Sequential), iterable, ``len``, ``append``.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, m in modules[0].items():
                self.register_module(name, _check_module(m))
        else:
            for i, m in enumerate(modules):
                self.register_module(str(i), _check_module(m))

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def _index(self, idx) -> str:
        if not isinstance(idx, numbers.Integral):
            raise TypeError(f"{type(self).__name__} indices must be integers or slices, not {type(idx).__name__}")
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for {type(self).__name__} of length {n}")
        return list(self._modules)[idx % n]

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._index(idx)]

    def __setitem__(self, idx, module) -> None:
        self.register_module(self._index(idx), _check_module(module))

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)[idx] if isinstance(idx, slice) else [self._index(idx)]
        for k in keys:
            del self._modules[k]
        _structure[0] += 1

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module):
        self.register_module(str(len(self._modules)), _check_module(module))
        return self


class ModuleList(Module):
    """A list of modules that registers them (so their parameters are found). No forward."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, idx) -> str:
        return Sequential._index(self, idx)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[self._index(idx)]

    def __setitem__(self, idx, module) -> None:
        self.register_module(self._index(idx), _check_module(module))

    def __delitem__(self, idx) -> None:
        mods = list(self._modules.values())
        del mods[idx]
        self._modules.clear()
        for i, m in enumerate(mods):
            self._modules[str(i)] = m
        _structure[0] += 1

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def append(self, module: Module):
        self.register_module(str(len(self._modules)), _check_module(module))
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        mods = list(self._modules.values())
        mods.insert(index, _check_module(module))
        self._modules.clear()
        for i, m in enumerate(mods):
            self._modules[str(i)] = m
        _structure[0] += 1


def _pairs(items, what: str) -> list:
    """(key, value) pairs from a mapping or an iterable of pairs, for the dict containers' update()."""
    if isinstance(items, (Mapping, ModuleDict, ParameterDict)):
        return list(items.items())
    try:
        pairs = [tuple(p) for p in items]
    except TypeError:
        raise TypeError(f"{what}.update() needs a mapping or an iterable of (key, value) pairs, "
                        f"got {type(items).__name__}") from None
    for j, p in enumerate(pairs):
        if len(p) != 2:
            raise ValueError(f"{what}.update(): element {j} has length {len(p)}, expected a (key, value) pair")
    return pairs


def _container_key(container: Module, key) -> str:
    """A container's key must be a valid name that does not hide an attribute (e.g. 'training', 'keys')."""
    container._check_name(key)
    d = container.__dict__
    if key not in d["_modules"] and key not in d["_parameters"] and (key in d or hasattr(type(container), key)):
        raise KeyError(f"attribute {key!r} already exists: it cannot be a key of a {type(container).__name__}")
    return key


class ModuleDict(Module):
    """A dict of modules that registers them, in insertion order; ``md["name"]``, ``in``,
    ``len``, iteration over the keys, ``keys``/``values``/``items``, ``update``, ``pop``,
    ``clear``. Its state dict names are ``"<key>.<parameter>"``, as PyTorch's. No forward."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.register_module(_container_key(self, key), _check_module(module))

    def __delitem__(self, key: str) -> None:
        del self._modules[key]
        _structure[0] += 1

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        for key in list(self._modules):
            del self[key]

    def update(self, modules) -> None:
        """Add or replace modules from a mapping or an iterable of (key, module) pairs, in order."""
        for key, module in _pairs(modules, "ModuleDict"):
            self[key] = module


def _as_parameter(value):
    """What the parameter containers store: a Tensor as a Parameter (wrapping the same array, as
    PyTorch does), other objects as they are."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


class _ParameterContainer(Module):
    """Stores Parameters (Tensors are wrapped) under string keys, in order, and any other object as
    a plain attribute under its key, as PyTorch's ParameterList/ParameterDict do."""

    def __init__(self):
        super().__init__()
        self.__dict__["_keys"] = {}  # every key in order, parameters and plain objects alike

    def _set(self, key: str, value) -> None:
        value = _as_parameter(value)
        if key in self._keys:
            delattr(self, key)
        if isinstance(value, Parameter):
            self.register_parameter(key, value)
            params = self._parameters  # a replaced parameter keeps its place in the state dict
            ordered = [(k, params.pop(k)) for k in list(self._keys) + [key] if k in params]
            params.update(ordered)
        else:
            object.__setattr__(self, key, value)
        self._keys[key] = None

    def _get(self, key: str):
        return getattr(self, key)

    def _delete(self, key: str) -> None:
        delattr(self, key)
        del self._keys[key]

    def __len__(self) -> int:
        return len(self._keys)

    def extra_repr(self) -> str:
        lines = []
        for key in self._keys:
            v = self._get(key)
            if isinstance(v, Tensor):
                kind = "Parameter containing" if isinstance(v, Parameter) else "Tensor"
                lines.append(f"({key}): {kind}: [{v.dtype} of size {'x'.join(map(str, v.shape)) or '()'}]")
            else:
                lines.append(f"({key}): Object of type: {type(v).__name__}")
        return "\n".join(lines)


class ParameterList(_ParameterContainer):
    """A list of parameters that registers them (Tensors are wrapped as Parameters): indexing
    (a slice gives a ParameterList), assignment, ``len``, iteration, ``append``, ``extend``,
    ``+=``. State dict names ``"0"``, ``"1"``, ..., as PyTorch's."""

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def _key(self, idx) -> str:
        if not isinstance(idx, numbers.Integral):
            raise TypeError(f"ParameterList indices must be integers or slices, not {type(idx).__name__}")
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for a ParameterList of length {n}")
        return str(idx % n)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)([self._get(str(i)) for i in range(len(self))[idx]])
        return self._get(self._key(idx))

    def __setitem__(self, idx, value) -> None:
        self._set(self._key(idx), value)

    def __iter__(self):
        return iter([self._get(str(i)) for i in range(len(self))])

    def __iadd__(self, values):
        return self.extend(values)

    def append(self, value):
        self._set(str(len(self)), value)
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self


class ParameterDict(_ParameterContainer):
    """A dict of parameters that registers them (Tensors are wrapped as Parameters): ``pd["w"]``,
    ``in``, ``len``, iteration over the keys, ``keys``/``values``/``items``, ``get``, ``pop``,
    ``setdefault``, ``update``, ``clear``. Keys keep insertion order, except that (as in PyTorch)
    a plain ``dict`` given to the constructor or ``update`` is added in sorted key order."""

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        if key not in self._keys:
            raise KeyError(key)
        return self._get(key)

    def __setitem__(self, key: str, value) -> None:
        self._set(_container_key(self, key) if key not in self._keys else key, value)

    def __delitem__(self, key: str) -> None:
        if key not in self._keys:
            raise KeyError(key)
        self._delete(key)

    def __iter__(self):
        return iter(list(self._keys))

    def __contains__(self, key) -> bool:
        return key in self._keys

    def keys(self):
        return list(self._keys)

    def values(self):
        return [self._get(k) for k in self._keys]

    def items(self):
        return [(k, self._get(k)) for k in self._keys]

    def get(self, key: str, default=None):
        return self[key] if key in self._keys else default

    def pop(self, key: str):
        value = self[key]
        self._delete(key)
        return value

    def setdefault(self, key: str, default=None):
        if key not in self._keys:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for key in list(self._keys):
            self._delete(key)

    def update(self, parameters) -> None:
        pairs = _pairs(parameters, "ParameterDict")
        if type(parameters) is dict:  # PyTorch sorts a plain dict's keys (not an OrderedDict's)
            pairs.sort(key=lambda kv: kv[0])
        for key, value in pairs:
            self[key] = value


def _check_module(m):
    if not isinstance(m, Module):
        raise TypeError(f"{type(m).__name__} is not a Module")
    return m


def _load_hint(state_dict, problems: list, strict: bool) -> str:
    """What to do about a refused state dict."""
    if "param_groups" in state_dict and "state" in state_dict:
        return "\nThis is an optimizer's state dict: pass it to optimizer.load_state_dict() instead."
    hints = []
    if any(p.startswith(("missing", "unexpected")) for p in problems):
        hints.append("pass strict=False to load only the keys that match (the returned missing_keys and "
                     "unexpected_keys list the others)")
    if any(p.startswith("size mismatch") for p in problems):
        hints.append("a size mismatch means the model was built with other sizes than the saved one: build it with "
                     "the saved sizes (strict=False does not skip mismatched sizes)")
    return "".join(f"\nHint: {h}." for h in hints)
