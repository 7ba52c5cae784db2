"""RMSprop, with PyTorch's centered variant and momentum."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_nonneg

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``torch.optim.RMSprop``'s update, step for step. With gradient g and parameter p:

    - g = -g if ``maximize``; g = g + weight_decay * p if ``weight_decay``
    - v = alpha * v + (1 - alpha) * g**2
    - ``centered``: a = alpha * a + (1 - alpha) * g and the denominator is sqrt(v - a**2) + eps,
      otherwise sqrt(v) + eps
    - with ``momentum``: b = momentum * b + g / denominator (b starts at 0); p = p - lr * b
      otherwise p = p - lr * g / denominator
    """

    _state_names = ("step", "square_avg", "momentum_buffer", "grad_avg")
    _state_needed = ("step", "square_avg")

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, *, maximize: bool = False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check(self, group):
        _check_nonneg(group, "lr", "learning rate")
        _check_nonneg(group, "eps", "epsilon value")
        _check_nonneg(group, "momentum", "momentum value")
        _check_nonneg(group, "weight_decay", "weight_decay value")
        _check_nonneg(group, "alpha", "alpha value")

    def _update(self, p, g, state, group):
        lr, alpha, eps, weight_decay, momentum = (group[k] for k in ("lr", "alpha", "eps", "weight_decay", "momentum"))
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p)
        if momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = np.zeros_like(p)
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = np.zeros_like(p)
        state["step"] += 1
        if group["maximize"]:
            g = np.negative(g)
        if weight_decay:
            d = np.multiply(p, weight_decay)
            d += g
            g = d
        v = state["square_avg"]
        s = np.multiply(g, g)  # the one scratch array, reused below
        s *= 1 - alpha
        v *= alpha
        v += s
        if group["centered"]:
            a = state["grad_avg"]
            np.multiply(g, 1 - alpha, out=s)
            a *= alpha
            a += s
            np.multiply(a, a, out=s)
            np.subtract(v, s, out=s)
            np.sqrt(s, out=s)
        else:
            np.sqrt(v, out=s)
        s += eps
        np.divide(g, s, out=s)
        if momentum > 0:
            b = state["momentum_buffer"]
            b *= momentum
            b += s
            np.multiply(b, lr, out=s)
        else:
            s *= lr
        p -= s
