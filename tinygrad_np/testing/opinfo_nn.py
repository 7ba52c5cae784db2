"""The op database, part 2: ``tinygrad_np.nn.functional`` (see ``opinfo``)."""

from __future__ import annotations

OPS = []
