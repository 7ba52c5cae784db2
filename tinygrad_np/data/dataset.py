"""Map-style datasets: anything with ``__len__`` and ``__getitem__``; ``TensorDataset`` wraps arrays."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, tensor

__all__ = ["Dataset", "TensorDataset"]


class Dataset:
    """Base class for map-style datasets: implement ``__len__`` and ``__getitem__(i)``
    (returning one sample, e.g. an ``(x, y)`` tuple). Subclassing is optional: the
    :class:`~tinygrad_np.data.DataLoader` takes any object with those two methods."""

    def __getitem__(self, index):  # pragma: no cover - abstract
        raise NotImplementedError

    def __len__(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are slices along the first axis: ``ds[i] == (t[i] for t in tensors)``, as a tuple.

    Takes Tensors or array-likes (NumPy arrays are wrapped without copying). All must have
    the same length. A DataLoader over a TensorDataset indexes the arrays with a whole batch
    of indices at once instead of collating samples one by one.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor, e.g. TensorDataset(X, y)")
        self.tensors = tuple(_as_tensor(t) for t in tensors)
        for i, t in enumerate(self.tensors):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-d; each needs a first (sample) dimension, e.g. "
                                 f"x.reshape(1) for a single sample")
        sizes = [t.shape[0] for t in self.tensors]
        if len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: all tensors need the same first dimension (one row per sample), got "
                             f"sizes {sizes}; give every tensor the same number of samples")

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __repr__(self):
        return f"TensorDataset({len(self)} samples, shapes {[t.shape[1:] for t in self.tensors]})"


def _as_tensor(x) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray) and x.dtype.kind in "biuf":
        return Tensor._wrap(x, None)
    return tensor(x)
