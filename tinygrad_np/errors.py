"""The library's own error class."""

from __future__ import annotations

__all__ = ["ArgumentError"]


class ArgumentError(ValueError, RuntimeError):
    """Bad input to an op: shapes that do not fit, a repeated dimension, an impossible reshape, ...

    NumPy raises ``ValueError`` for these and PyTorch ``RuntimeError``; this class is both, so
    ``except ValueError`` and ``except RuntimeError`` (as PyTorch code writes it) both catch it.
    """
