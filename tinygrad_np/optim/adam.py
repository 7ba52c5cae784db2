"""Adam and AdamW (decoupled weight decay), with PyTorch's bias correction and AMSGrad."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer, _check_betas, _check_nonneg

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """``torch.optim.Adam``'s update, step for step. With gradient g, parameter p, step t (from 1):

    - g = -g if ``maximize``; g = g + weight_decay * p if ``weight_decay`` (an L2 penalty)
    - m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g**2
    - with ``amsgrad``: v_max = max(v_max, v), used in place of v below
    - p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    """

    _decoupled = False
    _state_names = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _state_needed = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 amsgrad: bool = False, *, maximize: bool = False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize)
        super().__init__(params, defaults)

    def _check(self, group):
        _check_nonneg(group, "lr", "learning rate")
        _check_nonneg(group, "eps", "epsilon value")
        _check_nonneg(group, "weight_decay", "weight_decay value")
        _check_betas(group)

    def _update(self, p, g, state, group):
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = np.zeros_like(p)
        state["step"] = t = state["step"] + 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        if group["maximize"]:
            g = np.negative(g)
        if weight_decay:
            if self._decoupled:
                p *= 1 - lr * weight_decay
            else:
                d = np.multiply(p, weight_decay)
                d += g
                g = d
        s = np.multiply(g, 1 - beta1)  # the one scratch array, reused below
        m *= beta1
        m += s
        np.multiply(g, g, out=s)
        s *= 1 - beta2
        v *= beta2
        v += s
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        np.sqrt(v, out=s)
        s /= math.sqrt(1 - beta2**t)
        s += eps
        np.divide(m, s, out=s)
        s *= lr / (1 - beta1**t)
        p -= s


class AdamW(Adam):
    """``torch.optim.AdamW``: Adam with decoupled weight decay. Each step first shrinks the
    parameter, p = p * (1 - lr * weight_decay), then applies Adam's update without any L2 term."""

    _decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
