"""``tinygrad_np.autograd``, as ``torch.autograd``: the engine's public face.

``grad``, ``backward``, ``Function`` (custom ops), grad mode (``no_grad``, ...), anomaly mode
(``detect_anomaly``) and ``functional`` (``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``).
The engine itself is :mod:`tinygrad_np.autograd.engine`.
"""

from . import engine, functional
from .anomaly import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly
from .engine import (
    Function,
    Node,
    backward,
    context_stack,
    enable_grad,
    enter_module,
    exit_module,
    grad,
    is_grad_enabled,
    mark_modified,
    module_stack,
    named_call,
    no_grad,
    run_backward,
    set_grad_enabled,
    sum_to_shape,
)

__all__ = ["Function", "Node", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "sum_to_shape", "mark_modified", "named_call", "engine", "functional",
           "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
           # for nn.Module and the drawing: which module and named call an op ran in
           "context_stack", "module_stack", "enter_module", "exit_module", "run_backward"]
