"""The ``Optimizer`` base class: parameter groups, per-parameter state, state dicts.

Updates run on the NumPy arrays behind the parameters (``p.data``), in place, so a step
never records a graph and allocates at most one scratch array per parameter. Each update is
noted (``mark_modified``): a graph that saved a parameter's old values refuses to backpropagate
through them afterwards (``loss.backward(retain_graph=True); opt.step(); loss.backward()``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

import numpy as np

from ..autograd import enable_grad, mark_modified
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()  # default of a hyperparameter that every group must set (SGD's lr)
_EMPTY = ("optimizer got an empty parameter list; pass the parameters to optimize, e.g. model.parameters() (a "
          "generator such as model.parameters() is used up after one pass: call it again)")


class Optimizer:
    """Base class. ``params`` is an iterable of Tensors, or of dicts (parameter groups)
    each holding ``"params"`` plus any hyperparameters that override ``defaults``.

    Subclasses implement ``_check(group)`` (validate hyperparameters) and
    ``_update(p, grad, state, group)`` (one parameter's in-place update, on arrays).
    """

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}  # Tensor -> dict of arrays/ints (Tensors hash by identity)
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params must be an iterable of Tensors or dicts, got a single Tensor; pass [tensor] instead"
            )
        if isinstance(params, Mapping):
            params = [params]
        groups = list(params)
        if not groups:
            raise ValueError(_EMPTY)
        if not isinstance(groups[0], Mapping):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (``{"params": [...], "lr": ...}``); missing hyperparameters
        take the optimizer's defaults."""
        if not isinstance(param_group, Mapping):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError('a parameter group needs a "params" entry')
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(_EMPTY)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but parameter {i} is {type(p).__name__}; "
                                f"pass Tensors made with requires_grad=True, e.g. model.parameters()")
            if p.dtype.kind != "f":
                raise TypeError(f"optimizer can only optimize floating-point Tensors, parameter {i} is {p.dtype}; "
                                f"create it with a float dtype")
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (parameter {i} was computed by an op); optimize "
                                 f"the leaf it was computed from, or make a leaf with .detach().requires_grad_()")
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            raise ValueError("a parameter group contains the same Tensor more than once; pass each Tensor once")
        for other in self.param_groups:
            if ids & {id(p) for p in other["params"]}:
                raise ValueError("some parameters appear in more than one parameter group; put each parameter in "
                                 "one group")
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required hyperparameter {name!r}; pass "
                                 f"it, e.g. {type(self).__name__}(params, {name}=0.01)")
            group.setdefault(name, default)
        group["params"] = params
        self._check(group)
        self.param_groups.append(group)

    def _check(self, group: dict) -> None:
        _check_nonneg(group, "lr", "learning rate")

    # ------------------------------------------------------------------ the step
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad`` (to None, or to zeros with ``set_to_none=False``)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad = Tensor._wrap(np.zeros_like(p.data), None)

    def step(self, closure=None):
        """Update every parameter that has a gradient (those whose ``.grad`` is None are skipped).

        ``closure``, if given, re-evaluates the model and returns the loss (it runs with grad enabled).
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._check_grads()
        what = f"{type(self).__name__}.step"
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.data
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {}
                self._update(p.data, g, state, group)
                mark_modified(p.data, what)
        return loss

    def _check_grads(self) -> None:
        """Every gradient must have its parameter's shape; checked before any update, so a bad one changes nothing."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is not None and g.data.shape != p.data.shape:
                    raise RuntimeError(f"{type(self).__name__}.step(): a parameter of shape {p.data.shape} has a grad "
                                       f"of shape {g.data.shape}; nothing was updated. A grad set by hand must have "
                                       f"its parameter's shape (or be None)")

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:  # pragma: no cover
        raise NotImplementedError

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict:
        """``{"state": {index: {name: array or int}}, "param_groups": [{..., "params": [index, ...]}]}``.

        Parameters are numbered in group order, as in PyTorch. Arrays are copies.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            g = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            g["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                g["params"].append(index[id(p)])
            groups.append(g)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: v.copy() if isinstance(v, np.ndarray) else v
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Restore hyperparameters and buffers saved by :meth:`state_dict` (arrays or Tensors; copied
        and cast to each parameter's dtype).

        The state dict must come from the same kind of optimizer, built over parameter groups of the
        same count, sizes and shapes; otherwise a ValueError says what differs and nothing changes.
        Hyperparameters missing from the state dict take this optimizer's defaults.
        """
        kind = type(self).__name__
        saved_groups, saved_state = _parts(state_dict, kind)
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{kind}.load_state_dict(): the state dict has {len(saved_groups)} parameter groups, this "
                             f"optimizer has {len(self.param_groups)}; build the optimizer with the same parameter "
                             f"groups as the one that saved it")
        lookup = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            foreign = set(saved) - set(self.defaults) - set(group) - {"initial_lr"}  # initial_lr: a scheduler's
            if foreign:
                raise ValueError(f"{kind}.load_state_dict(): the state dict was saved by another kind of optimizer: "
                                 f"its parameter group {i} has hyperparameters {sorted(map(str, foreign))} that {kind} "
                                 f"does not have. Load it into the kind of optimizer that saved it")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{kind}.load_state_dict(): parameter group {i} has {len(saved['params'])} parameters "
                                 f"in the state dict but {len(group['params'])} in this optimizer; build the optimizer "
                                 f"with the same parameters, in the same order, as the one that saved it")
            for key, p in zip(saved["params"], group["params"]):
                index = _index(key, kind)
                if index in lookup:
                    raise ValueError(f"{kind}.load_state_dict(): parameter index {index} appears twice in the "
                                     f"state dict's param_groups; the state dict is damaged")
                lookup[index] = p
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            new = {k: v for k, v in self.defaults.items() if v is not required}
            new.update({k: _plain(v) for k, v in saved.items() if k != "params"})
            missing = [name for name in self.defaults if name not in new]
            if missing:
                raise ValueError(f"{kind}.load_state_dict(): the state dict's parameter groups lack the required "
                                 f"hyperparameter {missing[0]!r}; load a state dict saved by a {kind}")
            new["params"] = group["params"]
            self._check(new)
            new_groups.append(new)
        new_state = {}
        for key, values in saved_state.items():
            p = lookup.get(_index(key, kind))
            if p is None:
                raise ValueError(f"{kind}.load_state_dict(): the state dict has state for parameter {key}, which is in "
                                 f"no parameter group; the state dict is damaged or from another optimizer")
            new_state[p] = self._load_param_state(key, p, values)
        self.param_groups = new_groups
        self.state = new_state

    # the per-parameter buffers a subclass keeps (None: not declared, so not checked) and those it always has
    _state_names: tuple | None = None
    _state_needed: tuple = ()

    def _load_param_state(self, key, p: Tensor, values) -> dict:
        kind = type(self).__name__
        if not isinstance(values, Mapping):
            raise ValueError(f"{kind}.load_state_dict(): the state of parameter {key} is a {type(values).__name__}, "
                             f"not a dict of buffers; the state dict is damaged")
        if self._state_names is not None:
            unknown = set(values) - set(self._state_names)
            if unknown:
                raise ValueError(f"{kind}.load_state_dict(): the state dict was saved by another kind of optimizer: "
                                 f"parameter {key} has state {sorted(map(str, unknown))}, which {kind} does not keep "
                                 f"(it keeps {list(self._state_names)}). Load it into the kind of optimizer that "
                                 f"saved it")
            missing = set(self._state_needed) - set(values)
            if values and missing:
                raise ValueError(f"{kind}.load_state_dict(): the state of parameter {key} lacks {sorted(missing)}; "
                                 f"the state dict is damaged")
        state = {}
        for name, v in values.items():
            try:
                if name == "step":  # a count (maybe loaded as a 0-d array/Tensor)
                    state[name] = int(_plain(v))
                    continue
                arr = np.array(v.data if isinstance(v, Tensor) else v, dtype=p.dtype)  # a copy
            except (TypeError, ValueError):
                raise ValueError(f"{kind}.load_state_dict(): state {name!r} of parameter {key} is not a number or an "
                                 f"array ({type(v).__name__}); the state dict is damaged") from None
            if arr.shape != p.shape:
                raise ValueError(f"{kind}.load_state_dict(): state {name!r} of parameter {key} has shape {arr.shape}, "
                                 f"expected {p.shape}: the parameters differ from those the state was saved for; "
                                 f"build the optimizer over the same parameters (same shapes, same order)")
            state[name] = arr
        return state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def _parts(state_dict, kind: str):
    """``state_dict``'s (param_groups, state), after checking their form."""
    try:
        groups, state = state_dict["param_groups"], state_dict["state"]
    except (KeyError, TypeError, IndexError):
        groups = state = None
    if (not isinstance(groups, (list, tuple)) or not isinstance(state, Mapping)
            or not all(isinstance(g, Mapping) and isinstance(g.get("params"), (list, tuple)) for g in groups)):
        keys = f" with keys {list(state_dict)[:4]}" if isinstance(state_dict, Mapping) else ""
        raise ValueError(f"{kind}.load_state_dict(): expected what optimizer.state_dict() returns, a dict with "
                         f'"state" (a dict) and "param_groups" (a list of dicts with "params"); got '
                         f"{type(state_dict).__name__}{keys}. (A model's weights go to model.load_state_dict.)")
    return groups, state


def _index(key, kind: str) -> int:
    """A parameter's number in a state dict (an int, or an int-valued 0-d array/Tensor after a file round trip)."""
    value = _plain(key)
    if isinstance(value, str) and value.isdigit():  # e.g. a state dict that went through JSON
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{kind}.load_state_dict(): parameters are numbered by ints in a state dict, got {key!r}; "
                         f"the state dict is damaged")
    return int(value)


def _plain(v):
    """A hyperparameter as loaded (maybe a 0-d array/Tensor) back to a Python value."""
    if isinstance(v, Tensor):
        v = v.data
    if isinstance(v, (np.ndarray, np.generic)) and np.ndim(v) == 0:
        return v.item()
    if isinstance(v, list):
        return tuple(_plain(x) for x in v)
    return v


def _check_nonneg(group: dict, key: str, what: str) -> None:
    v = group[key]
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} ({key}) must be a number, got {v!r}")
    if not v >= 0:  # also catches NaN
        raise ValueError(f"Invalid {what}: {key}={v} (must be >= 0)")


def _check_betas(group: dict) -> None:
    betas = group["betas"]
    if not isinstance(betas, Iterable) or len(tuple(betas)) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}; e.g. betas=(0.9, 0.999)")
    for i, b in enumerate(betas):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b} (must be in [0, 1))")
    group["betas"] = tuple(float(b) for b in betas)
