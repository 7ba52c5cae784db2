"""The library's own error classes: each derives from the Python class NumPy code expects and from
PyTorch's ``RuntimeError``, so code written for either catches it."""

from __future__ import annotations

__all__ = ["ArgumentError", "ArgumentIndexError", "ArgumentTypeError"]


class ArgumentError(ValueError, RuntimeError):
    """Bad input to an op: shapes that do not fit, a repeated dimension, an impossible reshape, ...

    NumPy raises ``ValueError`` for these and PyTorch ``RuntimeError``; this class is both, so
    ``except ValueError`` and ``except RuntimeError`` (as PyTorch code writes it) both catch it.
    """


class ArgumentTypeError(TypeError, RuntimeError):
    """An op given a dtype it is not defined for (a bitwise op on floats, a float written in place into an
    integer tensor, ...). Python code expects ``TypeError``; PyTorch raises ``RuntimeError`` (or its
    subclass ``NotImplementedError``): this class is both."""


class ArgumentIndexError(IndexError, RuntimeError):
    """An index value out of range in gather, scatter, index_select, one_hot, ...: PyTorch raises
    ``RuntimeError`` there (and ``IndexError`` for ``t[i]``); this class is both."""
