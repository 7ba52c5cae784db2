"""Recurrent layers: ``RNN``, ``LSTM`` and ``GRU``, with PyTorch's equations, parameter names,
layouts and initialisation. Each time step is a handful of tensor ops; backward through time is
ordinary backward through the unrolled graph."""

from __future__ import annotations

import collections
import math

import numpy as np

from .. import dtypes
from ..errors import ArgumentError
from ..tensor import Tensor, cat, stack
from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = ["RNN", "LSTM", "GRU"]

# one layer's parameters in one direction; hr (LSTM with proj_size only) projects the hidden state
_Weights = collections.namedtuple("_Weights", ["ih", "hh", "b_ih", "b_hh", "hr"])


class _Recurrent(Module):
    """What the three share: the parameters of every layer, the loop over layers and time steps.
    A subclass sets ``gates`` (weight blocks per hidden unit) and defines ``_step``."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, dtype=None,
                 proj_size: int = 0):
        super().__init__()
        name = type(self).__name__
        if num_layers < 1 or hidden_size < 1 or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: num_layers and hidden_size must be positive and dropout in "
                             f"[0, 1], got {num_layers}, {hidden_size}, {dropout}")
        if proj_size and self.gates != 4:
            raise ValueError(f"{name}: proj_size is only supported by LSTM")
        if not 0 <= proj_size < hidden_size:
            raise ValueError(f"{name}: proj_size must be 0 (no projection) or in [1, hidden_size), got {proj_size}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, dropout
        self.bidirectional, self.directions = bidirectional, 2 if bidirectional else 1
        self.proj_size = proj_size
        dtype = np.dtype(dtypes.DEFAULT_FLOAT if dtype is None else dtype)
        rows, out = self.gates * hidden_size, proj_size or hidden_size  # out: the size of h
        for k in range(num_layers):
            cols = input_size if k == 0 else out * self.directions
            for suffix in ("", "_reverse")[: self.directions]:  # PyTorch's names and order: weight_ih_l0_reverse, ...
                setattr(self, f"weight_ih_l{k}{suffix}", Parameter(np.zeros((rows, cols), dtype)))
                setattr(self, f"weight_hh_l{k}{suffix}", Parameter(np.zeros((rows, out), dtype)))
                if bias:
                    setattr(self, f"bias_ih_l{k}{suffix}", Parameter(np.zeros(rows, dtype)))
                    setattr(self, f"bias_hh_l{k}{suffix}", Parameter(np.zeros(rows, dtype)))
                if proj_size:
                    setattr(self, f"weight_hr_l{k}{suffix}", Parameter(np.zeros((proj_size, hidden_size), dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.hidden_size)  # PyTorch: every weight and bias from U(-1/sqrt(H), 1/sqrt(H))
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _weights(self, k: int, suffix: str) -> _Weights:
        return _Weights(*(getattr(self, f"{name}_l{k}{suffix}", None)
                          for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")))

    def _initial(self, hx, batch: int, dtype) -> list:
        """One initial state per layer and direction (a Tensor, or for LSTM an (h, c) pair), in
        PyTorch's order (layer 0 forward, layer 0 reverse, layer 1 ...); zeros unless given."""
        count, name = self.num_layers * self.directions, type(self).__name__
        sizes = (self.proj_size or self.hidden_size, self.hidden_size) if self.gates == 4 else (self.hidden_size,)
        if hx is None:
            zeros = tuple(Tensor._wrap(np.zeros((batch, size), dtype), None) for size in sizes)
            return [zeros if self.gates == 4 else zeros[0]] * count
        parts = hx if isinstance(hx, tuple) else (hx,)
        if len(parts) != len(sizes):
            raise ValueError(f"{name}: the initial state is {'(h_0, c_0)' if self.gates == 4 else 'one Tensor'}, "
                             f"got {len(parts)} part(s)")
        for part, size in zip(parts, sizes):
            if tuple(part.shape) != (count, batch, size):
                raise ArgumentError(f"{name}: initial state of shape {tuple(part.shape)}, expected "
                                    f"{(count, batch, size)}")
        per_layer = [tuple(part[k] for part in parts) for k in range(count)]
        return [s if self.gates == 4 else s[0] for s in per_layer]

    def _run(self, inputs, state, weights: _Weights, reverse: bool):
        """One direction of one layer over every step: (outputs in time order, final state)."""
        outputs, steps = [], range(inputs.shape[0])
        for t in reversed(steps) if reverse else steps:
            state = self._step(inputs[t], state, weights)
            outputs.append(state[0] if self.gates == 4 else state)
        return stack(outputs[::-1] if reverse else outputs), state

    def forward(self, input, hx=None):
        x = F._float_tensor(input, type(self).__name__)
        unbatched = x.ndim == 2
        if unbatched:
            x = x.unsqueeze(1)
            hx = None if hx is None else tuple(h.unsqueeze(1) for h in hx) if isinstance(hx, tuple) else hx.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ArgumentError(f"{type(self).__name__}: expected input (seq, batch, {self.input_size}), "
                                f"got {tuple(x.shape)}")
        states = self._initial(hx, x.shape[1], x.dtype)
        finals = []
        for k in range(self.num_layers):
            outputs = []
            for d, suffix in enumerate(("", "_reverse")[: self.directions]):
                weights = self._weights(k, suffix)
                inputs = x @ weights.ih.T  # every step's input part at once
                if weights.b_ih is not None:
                    inputs = inputs + weights.b_ih
                out, state = self._run(inputs, states[k * self.directions + d], weights, reverse=d == 1)
                outputs.append(out)
                finals.append(state)
            x = outputs[0] if self.directions == 1 else cat(outputs, -1)  # both directions' features
            if self.dropout and self.training and k < self.num_layers - 1:
                x = F.dropout(x, self.dropout)
        output = x.squeeze(1) if unbatched else x.transpose(0, 1) if self.batch_first else x
        if self.gates == 4:
            h_n, c_n = stack([h for h, _ in finals]), stack([c for _, c in finals])
            return output, ((h_n.squeeze(1), c_n.squeeze(1)) if unbatched else (h_n, c_n))
        h_n = stack(finals)
        return output, (h_n.squeeze(1) if unbatched else h_n)

    @staticmethod
    def _hidden(h, weights: _Weights):
        return h @ weights.hh.T if weights.b_hh is None else h @ weights.hh.T + weights.b_hh

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        return s


class RNN(_Recurrent):
    """Elman RNN: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (``nonlinearity="relu"``: relu).

    ``forward(input, h_0=None)`` takes (seq, batch, input_size) (``batch_first=True``: batch first;
    or an unbatched (seq, input_size)) and returns ``(output, h_n)``: every step's top-layer state
    (both directions' concatenated with ``bidirectional=True``) and the last state of every layer
    and direction, (num_layers * directions, batch, hidden_size).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype)
        self.nonlinearity = nonlinearity

    def _step(self, inputs, h, weights):
        pre = inputs + self._hidden(h, weights)
        return pre.tanh() if self.nonlinearity == "tanh" else pre.relu()


class LSTM(_Recurrent):
    """LSTM with PyTorch's gate order (input, forget, cell, output) in ``weight_ih_l{k}`` etc.:
    ``c' = f * c + i * g``, ``h' = o * tanh(c')``. ``forward(input, (h_0, c_0)=None)`` returns
    ``(output, (h_n, c_n))``.

    With ``proj_size=P`` (0 < P < hidden_size) the hidden state is projected, ``h' = (o * tanh(c')) W_hr^T``
    with ``weight_hr_l{k}`` of shape (P, hidden_size): ``h`` and the output have P features, ``c`` keeps
    hidden_size.
    """

    gates = 4

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, dtype=None):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype,
                         proj_size)

    def _step(self, inputs, state, weights):
        h, c = state
        i, f, g, o = (inputs + self._hidden(h, weights)).split(self.hidden_size, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        return (h if weights.hr is None else h @ weights.hr.T), c


class GRU(_Recurrent):
    """GRU with PyTorch's gate order (reset, update, new): ``n = tanh(x W_in + b_in + r * (h W_hn + b_hn))``,
    ``h' = (1 - z) * n + z * h``. ``forward(input, h_0=None)`` returns ``(output, h_n)``."""

    gates = 3

    def _step(self, inputs, h, weights):
        r_x, z_x, n_x = inputs.split(self.hidden_size, -1)
        r_h, z_h, n_h = self._hidden(h, weights).split(self.hidden_size, -1)
        r, z = (r_x + r_h).sigmoid(), (z_x + z_h).sigmoid()
        n = (n_x + r * n_h).tanh()
        return n + z * (h - n)  # = (1 - z) * n + z * h
