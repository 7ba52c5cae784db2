"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (in place, on ``.grad``)."""

from __future__ import annotations

import numpy as np

from ..autograd import mark_modified
from ..tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients of ``parameters`` (a Tensor or an iterable of them) so that their
    total norm, computed as if all were concatenated into one vector, is at most ``max_norm``.

    The grads are multiplied in place by ``max_norm / (total + 1e-6)`` when that is below 1.
    ``norm_type`` may be ``inf`` (the largest absolute value). Returns the total norm before
    clipping, as a 0-d Tensor. With ``error_if_nonfinite=True`` a NaN/inf total raises.
    """
    params = _grads(parameters)
    norm_type = float(norm_type)
    if not params:
        return Tensor._wrap(np.array(0.0, dtype=np.float32), None)
    dtype = np.result_type(*[p.grad.dtype for p in params])
    norms = [np.linalg.norm(p.grad.data.ravel(), norm_type) for p in params if p.grad.data.size]
    total = np.asarray(np.linalg.norm(norms, norm_type) if norms else 0.0, dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients is non-finite ({total}), so it cannot "
                           "be clipped. Pass error_if_nonfinite=False to skip this check.")
    coef = max_norm / (float(total) + 1e-6)
    if not coef >= 1.0:  # also NaN: the grads become NaN, as in PyTorch
        for p in params:
            _scale_grad(p, coef, "clip_grad_norm_")
    return Tensor._wrap(total, None)


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clip every gradient of ``parameters`` to ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    for p in _grads(parameters):
        g = p.grad.data
        if g.flags.writeable and p.grad.grad_fn is None:
            np.clip(g, -clip_value, clip_value, out=g)
            mark_modified(g, "clip_grad_value_")
        else:
            p.grad = Tensor._wrap(np.clip(g, -clip_value, clip_value), None)


def _scale_grad(p: Tensor, coef: float, what: str) -> None:
    g = p.grad.data
    if g.flags.writeable and p.grad.grad_fn is None:
        g *= coef
        mark_modified(g, what)  # (a gradient used in an op, as a constant, was saved by it)
    else:  # a read-only array or a gradient with a graph: replace it instead
        p.grad = Tensor._wrap(g * coef, None)
