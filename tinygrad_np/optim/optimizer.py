"""The ``Optimizer`` base class: parameter groups, per-parameter state, state dicts.

Updates run on the NumPy arrays behind the parameters (``p.data``), in place, so a step
never records a graph and allocates at most one scratch array per parameter.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

import numpy as np

from ..autograd import enable_grad
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()  # default of a hyperparameter that every group must set (SGD's lr)


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
            raise ValueError("optimizer got an empty parameter list")
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
            raise ValueError("optimizer got an empty parameter list")
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but parameter {i} is {type(p).__name__}")
            if p.dtype.kind != "f":
                raise TypeError(f"optimizer can only optimize floating-point Tensors, parameter {i} is {p.dtype}")
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (parameter {i} was computed by an op)")
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            raise ValueError("a parameter group contains the same Tensor more than once")
        for other in self.param_groups:
            if ids & {id(p) for p in other["params"]}:
                raise ValueError("some parameters appear in more than one parameter group")
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required hyperparameter {name!r}")
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
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.data
                if g.shape != p.data.shape:
                    raise RuntimeError(f"{type(self).__name__}.step(): grad shape {g.shape} != parameter shape "
                                       f"{p.data.shape}")
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {}
                self._update(p.data, g, state, group)
        return loss

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
        and cast to each parameter's dtype). The groups must hold the same numbers of parameters."""
        try:
            saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        except (KeyError, TypeError):
            raise ValueError('an optimizer state dict needs "state" and "param_groups" entries') from None
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, this optimizer has "
                             f"{len(self.param_groups)}")
        lookup = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"parameter group {i} has {len(saved['params'])} parameters in the loaded state "
                                 f"dict but {len(group['params'])} in this optimizer")
            lookup.update({int(k): p for k, p in zip(saved["params"], group["params"])})
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            new = {k: _plain(v) for k, v in saved.items() if k != "params"}
            new["params"] = group["params"]
            self._check(new)
            new_groups.append(new)
        new_state = {}
        for key, values in saved_state.items():
            p = lookup.get(int(key))
            if p is None:
                raise ValueError(f"loaded state dict has state for parameter {key}, which is in no group")
            new_state[p] = {}
            for name, v in values.items():
                if name == "step":  # a count (maybe loaded as a 0-d array/Tensor)
                    new_state[p][name] = int(_plain(v))
                    continue
                arr = np.array(v.data if isinstance(v, Tensor) else v, dtype=p.dtype)  # a copy
                if arr.shape != p.shape:
                    raise ValueError(f"state {name!r} of parameter {key} has shape {arr.shape}, expected {p.shape}")
                new_state[p][name] = arr
        self.param_groups = new_groups
        self.state = new_state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


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
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b} (must be in [0, 1))")
    group["betas"] = tuple(float(b) for b in betas)
