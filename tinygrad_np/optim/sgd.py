"""Stochastic gradient descent, with PyTorch's momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

import numpy as np

from ..autograd import mark_modified
from .optimizer import Optimizer, _check_nonneg, required

__all__ = ["SGD"]


class SGD(Optimizer):
    """``torch.optim.SGD``'s update, step for step. With gradient g, parameter p, at step t:

    - g = -g if ``maximize``; g = g + weight_decay * p if ``weight_decay``
    - with ``momentum``: b = g at the first step, else b = momentum * b + (1 - dampening) * g;
      then g = g + momentum * b if ``nesterov`` else g = b
    - p = p - lr * g

    (As in PyTorch's implementation, ``maximize`` negates the gradient before weight decay, so the
    decay still shrinks the weights.)
    """

    _state_names = ("momentum_buffer",)

    def __init__(self, params, lr=required, momentum: float = 0, dampening: float = 0, weight_decay: float = 0,
                 nesterov: bool = False, *, maximize: bool = False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check(self, group):
        _check_nonneg(group, "lr", "learning rate")
        _check_nonneg(group, "momentum", "momentum value")
        _check_nonneg(group, "weight_decay", "weight_decay value")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")

    def step(self, closure=None):
        if closure is not None or any(g["momentum"] or g["weight_decay"] or g["maximize"] for g in self.param_groups):
            return super().step(closure)
        self._check_grads()
        for group in self.param_groups:  # plain SGD: a tight loop, as cheap as the update written by hand
            lr = group["lr"]
            for p in group["params"]:
                if p.grad is not None:
                    data = p.data
                    data -= lr * p.grad.data
                    mark_modified(data, "SGD.step")
        return None

    def _update(self, p, g, state, group):
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        if group["maximize"]:
            g = np.negative(g)
        if weight_decay:
            d = np.multiply(p, weight_decay)
            d += g
            g = d
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, dtype=p.dtype)  # first step: b = g
            else:
                buf *= momentum
                if group["dampening"]:
                    buf += (1 - group["dampening"]) * g
                else:
                    buf += g
            if group["nesterov"]:
                g = g + momentum * buf
            else:
                g = buf
        p -= lr * g  # the one temporary a hand-written update also makes
