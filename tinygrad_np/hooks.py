"""The handle that every ``register_*hook`` returns."""

from __future__ import annotations

import itertools

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Returned by ``register_hook`` and the modules' ``register_*_hook``: ``remove()`` takes the
    hook off again; ``with t.register_hook(f): ...`` keeps it for the block only."""

    _ids = itertools.count()

    def __init__(self, hooks: dict, hook):
        self._hooks, self.id = hooks, next(RemovableHandle._ids)
        hooks[self.id] = hook

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False
