"""Anomaly mode: find the op that made a NaN or an infinity, and the line of yours that called it.

``detect_anomaly()`` (a context manager and a decorator) and ``set_detect_anomaly(True)`` turn it
on, as in PyTorch. While it is on:

- every recorded op keeps the stack of *your* frames at the moment it was called (frames inside
  tinygrad_np are left out);
- in backward, the first rule that returns a gradient holding NaN or Inf raises a RuntimeError
  naming the op, which of its inputs the gradient was for, and your line that called the op;
- with ``check_nan=True`` (the default) forward results are checked too: an op whose result holds
  NaN or Inf although none of its inputs did (``log(0)``, ``0 / 0``, ``exp(1000)``) raises at once;
- an error raised by a rule during backward (a custom op's bug, an in-place change) gets a note
  saying which op it was and where you called it, when the error leaves a ``with detect_anomaly():``
  block (or ``with set_detect_anomaly(True):``).

It is for debugging: it checks every result, so it is slow. Off (the default) it costs nothing:
the engine reads one module global per recorded op and per backward (``engine._anomaly_mode``).
"""

from __future__ import annotations

import functools
import math
import os
import sys
import traceback

import numpy as np

from . import engine

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
           "creation_traceback"]

_check_nan = True  # meaningful only while engine._anomaly_mode is on
_LIBRARY = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # .../tinygrad_np/
_in_library: dict = {}  # code file name -> whether it belongs to tinygrad_np (cached: paths may be relative)
_NOTE = "Anomaly mode: the error above was raised in backward by the rule of "


# ----------------------------------------------------------------------------- switching it on and off
def is_anomaly_enabled() -> bool:
    """True while anomaly mode is on."""
    return engine._anomaly_mode


def is_anomaly_check_nan_enabled() -> bool:
    """True while anomaly mode is on and checks values for NaN and Inf."""
    return engine._anomaly_mode and _check_nan


def _set(mode: bool, check_nan: bool) -> None:
    global _check_nan
    engine._anomaly_recorded, engine._anomaly_observe = _recorded, _observe
    _check_nan = bool(check_nan)
    engine._anomaly_mode = bool(mode)


class _AnomalyContext:
    """What ``detect_anomaly`` and ``set_detect_anomaly`` share: ``with`` (restores the previous
    mode at the end, and notes on an error from backward which op raised it) and decorating."""

    def __init__(self, mode: bool, check_nan: bool):
        self.mode, self.check_nan = bool(mode), bool(check_nan)
        self._previous: list[tuple[bool, bool]] = []

    def __enter__(self):
        self._previous.append((engine._anomaly_mode, _check_nan))
        _set(self.mode, self.check_nan)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and self.mode:
            _note_failing_rule(exc)
        _set(*self._previous.pop())
        return False

    def __call__(self, fn):
        mode, check_nan = self.mode, self.check_nan

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _AnomalyContext(mode, check_nan):  # a fresh context per call: safe when re-entered
                return fn(*args, **kwargs)

        return wrapper


class detect_anomaly(_AnomalyContext):
    """Anomaly mode inside a ``with`` block or a decorated function (also ``@detect_anomaly``)::

        with tinygrad_np.autograd.detect_anomaly():
            loss = model(x).log().mean()    # log(0) raises here, naming Log and this line
            loss.backward()                 # a NaN gradient raises, naming the op that made it

    ``check_nan=False`` only records where each op was called (for the notes on errors from
    backward) and checks no values.
    """

    def __new__(cls, check_nan=True):
        self = super().__new__(cls)
        if callable(check_nan):  # used as a bare decorator: @detect_anomaly
            self.__init__()
            return self(check_nan)
        return self

    def __init__(self, check_nan: bool = True):
        super().__init__(True, check_nan)


class set_detect_anomaly(_AnomalyContext):
    """Turn anomaly mode on or off: as a plain call (``set_detect_anomaly(True)`` on its own line
    stays in effect), as a context manager (the previous mode comes back at the end of the block)
    or as a decorator."""

    def __init__(self, mode: bool, check_nan: bool = True):
        super().__init__(mode, check_nan)
        self._before = (engine._anomaly_mode, _check_nan)
        _set(self.mode, self.check_nan)

    def __enter__(self):
        before, self._before = self._before, None  # the mode before the call took effect (first entry only)
        self._previous.append(before if before is not None else (engine._anomaly_mode, _check_nan))
        _set(self.mode, self.check_nan)
        return self

    def __call__(self, fn):
        if self._before is not None:  # decorating must not leave the mode switched
            _set(*self._before)
            self._before = None
        return super().__call__(fn)


# ----------------------------------------------------------------------------- where each op was called
def _user_frames() -> list:
    """(file, line, function) of the calling frames outside tinygrad_np, outermost first."""
    frames = []
    f = sys._getframe(2)
    while f is not None:
        code = f.f_code
        name = code.co_filename
        inside = _in_library.get(name)
        if inside is None:
            inside = _in_library[name] = os.path.abspath(name).startswith(_LIBRARY)
        if not inside:
            frames.append((name, f.f_lineno, code.co_name))
        f = f.f_back
    frames.reverse()
    return frames


def creation_traceback(node) -> str | None:
    """Where the op of ``node`` (a ``grad_fn``) was called, formatted as a traceback (your frames
    only, most recent call last); None if it was recorded while anomaly mode was off."""
    frames = getattr(node, "_anomaly_frames", None)
    if frames is None:
        return None
    summary = traceback.StackSummary.from_list([(f, line, name, None) for f, line, name in frames])
    return "".join(summary.format())


def _called_at(node) -> str:
    where = creation_traceback(node)
    if where is None:
        return f"{node.name} was recorded before anomaly mode was turned on, so where it was called is unknown."
    return f"{_label(node)} was called at (most recent call last):\n{where.rstrip()}"


def _label(node) -> str:
    inside = [f"in {node.call}()" if node.call else "", f"in {type(node.module).__name__}" if node.module else ""]
    inside = ", ".join(s for s in inside if s)
    return f"{node.name} ({inside})" if inside else node.name


# ----------------------------------------------------------------------------- the checks (engine hooks)
def _recorded(node, inputs, out) -> None:
    """engine.record calls this for each op it records while anomaly mode is on."""
    node._anomaly_frames = _user_frames()
    if not _check_nan:
        return
    finite = _all_finite(out)
    node._anomaly_finite = finite
    if finite or not _inputs_finite(node, inputs):
        return
    what = "nan" if out.dtype.kind in "fc" and np.isnan(out).any() else "inf"
    first = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
    raise RuntimeError(
        f"Function '{node.name}' returned {what} values in its output (shape {out.shape}, first at index "
        f"{first}) although none of its inputs held NaN or Inf.\n{_called_at(node)}\n"
        f"Check the values reaching that line: a log or a division at 0, the square root of a negative "
        f"number, an exp that overflows ({out.dtype} ends at {_largest(out.dtype)}). (Found by anomaly mode, "
        f"detect_anomaly(check_nan=True).)"
    )


def _observe(node, g, pairs) -> None:
    """run_backward calls this with each rule's incoming gradient and the (edge, gradient) pairs it returned."""
    if not _check_nan:
        return
    needs = node.needs_input_grad
    for i, (_, grad) in enumerate(pairs):
        if grad is None or needs is not None and not needs[i]:
            continue  # (a gradient for an input that needs none is dropped by the engine anyway)
        array = grad.data if isinstance(grad, engine.Tensor) else grad
        if _all_finite(array):
            continue
        what = "nan" if np.isnan(array).any() else "inf"
        incoming = g.data if isinstance(g, engine.Tensor) else g
        cause = (f"The gradient {node.name} received already held NaN or Inf (the gradient given to backward()?)"
                 if not _all_finite(incoming) else
                 f"The gradient {node.name} received was finite, so its rule made the {what}: its derivative is "
                 f"infinite or undefined at the values it got there (sqrt or log at 0, a division by 0). Keep "
                 f"the values away from such points (e.g. sqrt(x + eps)), or find out how they got there")
        raise RuntimeError(
            f"Function '{node.name}' returned {what} values in its {_ordinal(i)} output: the gradient for its "
            f"input {i} (shape {np.shape(array)}), in backward.\n{_called_at(node)}\n{cause}. (Found by anomaly "
            f"mode.)"
        )


def _inputs_finite(node, inputs) -> bool:
    """True if every input and attribute of the op is known to hold no NaN or Inf."""
    for i, edge in enumerate(node.next):
        if inputs is not None:
            value = inputs[i]
        elif type(edge) is engine.Node:  # its result was checked when it was recorded (if anomaly mode was on)
            if not getattr(edge, "_anomaly_finite", False):
                return False
            continue
        else:
            value = edge.data if isinstance(edge, engine.Tensor) else edge
        if not _all_finite(value):
            return False
    return all(_all_finite(v) for v in node.attrs.values())


def _all_finite(value) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.kind not in "fc" or bool(np.isfinite(value).all())
    if isinstance(value, (float, np.floating)):
        return math.isfinite(value)
    if isinstance(value, (complex, np.complexfloating)):
        return bool(np.isfinite(value))
    if isinstance(value, engine.Tensor):
        return _all_finite(value.data)
    if isinstance(value, (tuple, list)):
        return all(_all_finite(v) for v in value)
    return True


def _largest(dtype) -> str:
    return f"{np.finfo(dtype).max:.3g}" if dtype.kind in "fc" else "?"


def _ordinal(i: int) -> str:
    return f"{i}{'th' if 10 <= i % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(i % 10, 'th')}"


def _note_failing_rule(exc: BaseException) -> None:
    """If ``exc`` was raised while a rule ran in backward, add a note naming the op and where it was called."""
    node, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is engine._gradients.__code__:
            node = tb.tb_frame.f_locals.get("node")
        tb = tb.tb_next
    if node is None or any(n.startswith(_NOTE) for n in getattr(exc, "__notes__", ())):
        return
    if str(exc).startswith(f"Function '{node.name}' returned"):  # our own NaN report already says it all
        return
    note = f"{_NOTE}{node.name}. {_called_at(node)}"
    if hasattr(exc, "add_note"):  # Python 3.11+: shown under the error's message
        exc.add_note(note)
    else:  # as PyTorch's warning does
        print(note, file=sys.stderr)
