"""Optimizers (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``), ``lr_scheduler`` and gradient clipping.

Every update follows PyTorch's implementation step for step and runs in place on the
parameters' arrays (no graph is recorded).
"""

from . import lr_scheduler
from .adam import Adam, AdamW
from .clip import clip_grad_norm_, clip_grad_value_
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler", "clip_grad_norm_", "clip_grad_value_"]
