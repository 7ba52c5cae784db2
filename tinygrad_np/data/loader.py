"""``DataLoader``: batches (optionally shuffled) from a map-style dataset."""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Mapping

import numpy as np

from .. import creation, dtypes
from ..tensor import Tensor
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
    - ``sampler``: an iterable of sample indices, read anew each epoch, that replaces the order
      (exclusive with ``shuffle``). ``batch_sampler``: an iterable of lists of indices, one list
      per batch (exclusive with ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``).
      Indices must be ints in ``[0, len(dataset))``.

    Over a :class:`TensorDataset` (and no ``collate_fn``) a batch is made in one indexing
    operation per tensor; without shuffling it is a view of the dataset's arrays (no copy).
    Batches are tuples of Tensors that do not require grad. ``len(loader)`` is the number
    of batches.
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 generator=None, collate_fn=None, *, sampler=None, batch_sampler=None):
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader needs a dataset with __len__ and __getitem__, got {type(dataset).__name__}; "
                            f"wrap arrays in TensorDataset(X, y)")
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}; pass e.g. batch_size=32")
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {flag!r}")
        if generator is None or isinstance(generator, np.random.Generator):
            self._rng = generator
        elif isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
            self._rng = np.random.default_rng(int(generator))
        else:
            raise TypeError(f"generator must be a np.random.Generator, an int seed or None, got {generator!r}")
        for name, s in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if s is not None and not hasattr(s, "__iter__"):
                raise TypeError(f"{name} must be an iterable of indices (e.g. a list or a range), got "
                                f"{type(s).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("sampler is mutually exclusive with shuffle=True: the sampler decides the order; "
                             "shuffle inside the sampler, or drop sampler=")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError("batch_sampler is mutually exclusive with batch_size, shuffle, sampler and drop_last: "
                             "it decides the batches itself; pass only batch_sampler=")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.sampler, self.batch_sampler = sampler, batch_sampler

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        if self.batch_sampler is not None or self.sampler is not None:
            return self._batches(n, self._sampled(n))
        order = None
        if self.shuffle:
            order = (self._rng if self._rng is not None else creation.generator()).permutation(n)
        return self._batches(n, self._ordered(n, order))  # the order is drawn now, at iter(), not at the first next()

    def _ordered(self, n: int, order):
        """Each batch's indices: a slice (no shuffling) or a piece of ``order``."""
        bs = self.batch_size
        stop = n - n % bs if self.drop_last else n
        for start in range(0, stop, bs):
            yield slice(start, min(start + bs, n)) if order is None else order[start:start + bs]

    def _sampled(self, n: int):
        """Each batch's indices from ``batch_sampler``, or ``sampler`` grouped by ``batch_size``; checked."""
        if self.batch_sampler is not None:
            batches = iter(self.batch_sampler)
        else:
            indices = iter(self.sampler)
            batches = iter(lambda: list(itertools.islice(indices, self.batch_size)), [])
        for batch in batches:
            idx = np.asarray(batch)
            if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
                raise TypeError(f"DataLoader: the {'batch_' if self.batch_sampler is not None else ''}sampler gave "
                                f"{batch!r}; it must yield int indices")
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                bad = idx[(idx < 0) | (idx >= n)][0]
                raise IndexError(f"DataLoader: the sampler gave index {bad}, out of range for a dataset of {n} "
                                 f"samples; a sampler must yield ints in [0, {n})")
            if self.batch_sampler is None and self.drop_last and len(idx) < self.batch_size:
                return
            yield idx.astype(np.intp, copy=False)

    def _batches(self, n: int, index_batches):
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        collate = self.collate_fn or default_collate
        for idx in index_batches:
            if fast:
                yield tuple(Tensor._wrap(t.data[idx], None) for t in self.dataset.tensors)
            else:
                indices = range(n)[idx] if isinstance(idx, slice) else idx.tolist()
                yield collate([self.dataset[i] for i in indices])

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")


def default_collate(samples: list):
    """Stack a list of samples into a batch: Tensors/arrays/numbers along a new first axis,
    recursing into tuples, lists and dicts. Python floats become float32, ints int64."""
    if not samples:
        raise ValueError("default_collate(): no samples; a batch needs at least one (check the sampler)")
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
            raise ValueError(f"default_collate(): samples have different shapes {sorted({a.shape for a in arrays})}; "
                             f"make them one shape (pad or crop), or pass a collate_fn") from None
    if isinstance(first, bool):
        return Tensor._wrap(np.array(samples, dtype=bool), None)
    if isinstance(first, numbers.Integral):
        return Tensor._wrap(np.array(samples, dtype=np.int64), None)
    if isinstance(first, numbers.Real):
        return Tensor._wrap(np.array(samples, dtype=dtypes.DEFAULT_FLOAT), None)
    raise TypeError(f"default_collate(): cannot batch samples of type {type(first).__name__}; pass a collate_fn")
