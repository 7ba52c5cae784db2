"""``DataLoader``: batches (optionally shuffled) from a map-style dataset."""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np

from .. import creation
from ..tensor import DEFAULT_FLOAT, Tensor
from .dataset import TensorDataset

__all__ = ["DataLoader", "default_collate"]


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples.

    - ``shuffle``: a new random order every epoch (each ``iter()``), drawn from ``generator``: an
      ``np.random.Generator``, an int seed (a private generator made once, so the epochs differ
      but the whole sequence is reproducible) or None for the global generator of
      :func:`tinygrad_np.manual_seed` (looked up at each epoch).
    - ``drop_last``: skip the final batch if it is smaller than ``batch_size``.
    - ``collate_fn``: turns a list of samples into a batch (default :func:`default_collate`).

    Over a :class:`TensorDataset` (and no ``collate_fn``) a batch is made in one indexing
    operation per tensor; without shuffling it is a view of the dataset's arrays (no copy).
    Batches are tuples of Tensors that do not require grad. ``len(loader)`` is the number
    of batches.
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 generator=None, collate_fn=None):
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader needs a dataset with __len__ and __getitem__, got {type(dataset).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if generator is None or isinstance(generator, np.random.Generator):
            self._rng = generator
        elif isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
            self._rng = np.random.default_rng(int(generator))
        else:
            raise TypeError(f"generator must be a np.random.Generator, an int seed or None, got {generator!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = None
        if self.shuffle:
            order = (self._rng if self._rng is not None else creation.generator()).permutation(n)
        return self._batches(n, order)  # the order is drawn now, at iter(), not at the first next()

    def _batches(self, n: int, order):
        bs = self.batch_size
        stop = n - n % bs if self.drop_last else n
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        collate = self.collate_fn or default_collate
        for start in range(0, stop, bs):
            idx = slice(start, min(start + bs, n)) if order is None else order[start:start + bs]
            if fast:
                yield tuple(Tensor._wrap(t.data[idx], None) for t in self.dataset.tensors)
            else:
                indices = range(n)[idx] if order is None else idx.tolist()
                yield collate([self.dataset[i] for i in indices])

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")


def default_collate(samples: list):
    """Stack a list of samples into a batch: Tensors/arrays/numbers along a new first axis,
    recursing into tuples, lists and dicts. Python floats become float32, ints int64."""
    if not samples:
        raise ValueError("default_collate(): no samples")
    first = samples[0]
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError("default_collate(): samples have different numbers of fields")
        return tuple(default_collate([s[i] for s in samples]) for i in range(len(first)))
    if isinstance(first, Mapping):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, (Tensor, np.ndarray, np.generic)):
        arrays = [s.data if isinstance(s, Tensor) else np.asarray(s) for s in samples]
        try:
            return Tensor._wrap(np.stack(arrays), None)
        except ValueError:
            raise ValueError(f"default_collate(): samples have different shapes {sorted({a.shape for a in arrays})}"
                             ) from None
    if isinstance(first, bool):
        return Tensor._wrap(np.array(samples, dtype=bool), None)
    if isinstance(first, numbers.Integral):
        return Tensor._wrap(np.array(samples, dtype=np.int64), None)
    if isinstance(first, numbers.Real):
        return Tensor._wrap(np.array(samples, dtype=DEFAULT_FLOAT), None)
    raise TypeError(f"default_collate(): cannot batch samples of type {type(first).__name__}; pass a collate_fn")
