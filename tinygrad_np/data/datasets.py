"""Small datasets: the seed notebook's XOR and 4x4 patterns, scikit-learn's digits, MNIST from IDX files.

Each returns Tensors: features float32, class labels int64 (XOR's targets are float32 for
regression-style losses). Split datasets return ``(X_train, y_train), (X_test, y_test)``.
"""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np

from .. import creation
from ..tensor import Tensor

__all__ = ["xor", "seed_patterns", "digits", "mnist"]


def _t(array, dtype) -> Tensor:
    return Tensor._wrap(np.ascontiguousarray(array, dtype=dtype), None)


# ----------------------------------------------------------------------------- the seed's toy data
def xor() -> tuple[Tensor, Tensor]:
    """The four XOR points: X float32 (4, 2) and targets y float32 (4, 1)."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([[0], [1], [1], [0]])
    return _t(X, np.float32), _t(y, np.float32)


_PATTERN_ZERO = np.array([0.1, 0.8, 0.8, 0.1,
                          0.8, 0.1, 0.1, 0.8,
                          0.8, 0.1, 0.1, 0.8,
                          0.1, 0.8, 0.8, 0.1])  # a ring
_PATTERN_ONE = np.array([0.1, 0.8, 0.8, 0.1] * 4)  # a vertical bar


def seed_patterns(n_samples: int = 1000, noise: float = 0.1, seed=None) -> tuple[Tensor, Tensor]:
    """The seed notebook's "0 vs 1" data: 4x4 images (16 features, float32) of a ring (label 0)
    or a vertical bar (label 1, int64), plus Gaussian noise of std ``noise``, clipped to [0, 1].

    Generated exactly as the notebook does, one sample at a time (label, then 16 noise values).
    ``seed`` may be an int, which uses ``np.random.RandomState(seed)``, the stream of the
    notebook's ``np.random.seed(seed)``, so the values match it; a ``np.random.Generator`` or
    ``RandomState``; or None for the global generator of :func:`tinygrad_np.manual_seed`.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 0:
        raise ValueError(f"n_samples must be a non-negative int, got {n_samples!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    if seed is None:
        rng = creation.generator()
    elif isinstance(seed, (np.random.Generator, np.random.RandomState)):
        rng = seed
    elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        rng = np.random.RandomState(seed)
    else:
        raise TypeError(f"seed must be an int, a np.random.Generator/RandomState or None, got {seed!r}")
    legacy = isinstance(rng, np.random.RandomState)
    X = np.empty((n_samples, 16))
    y = np.empty(n_samples, dtype=np.int64)
    for i in range(n_samples):
        label = rng.randint(0, 2) if legacy else rng.integers(0, 2)
        pattern = _PATTERN_ZERO if label == 0 else _PATTERN_ONE
        X[i] = np.clip(pattern + (rng.randn(16) if legacy else rng.standard_normal(16)) * noise, 0, 1)
        y[i] = label
    return _t(X, np.float32), _t(y, np.int64)


# ----------------------------------------------------------------------------- scikit-learn's digits
def digits(test_size: float = 0.2, seed: int = 0, flatten: bool = True):
    """scikit-learn's bundled 8x8 handwritten digits (1,797 images, classes 0-9; no download).

    Pixels are scaled from 0..16 to [0, 1] (float32); labels are int64. The split is stratified
    by class and seeded: ``test_size`` is a fraction in (0, 1) or a number of samples.
    Returns ``(X_train, y_train), (X_test, y_test)`` with X of shape (n, 64), or (n, 8, 8) with
    ``flatten=False``. Needs scikit-learn (``pip install "tinygrad_np[train]"``).
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise ImportError('digits() needs scikit-learn: pip install "tinygrad_np[train]"') from None
    bunch = load_digits()
    X = bunch.images if not flatten else bunch.data
    X = (X / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    if isinstance(test_size, float) and not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be a fraction in (0, 1) or a number of samples, got {test_size}")
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)
    return (_t(X_tr, np.float32), _t(y_tr, np.int64)), (_t(X_te, np.float32), _t(y_te, np.int64))


# ----------------------------------------------------------------------------- MNIST
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
_IDX_UBYTE = 0x08


def mnist(root, train: bool = True, download: bool = False, flatten: bool = True):
    """MNIST from the standard IDX files in the folder ``root``.

    Reads ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (``t10k-...`` with
    ``train=False``), each gzipped (``.gz``) or not, checking magic numbers and sizes.
    Returns ``(X, y)``: X float32 in [0, 1] of shape (n, 784), or (n, 28, 28) with
    ``flatten=False``; y int64. With ``download=True`` missing files are fetched into ``root``
    from a public mirror (``MNIST_MIRRORS``) first.
    """
    root = os.fspath(root)
    prefix = "train" if train else "t10k"
    names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
    paths = []
    for name in names:
        path = _find(root, name)
        if path is None:
            if not download:
                raise FileNotFoundError(f"MNIST file {name} (or {name}.gz) not found in {root!r}; pass "
                                        f"download=True to fetch it, or copy the IDX files there")
            path = _download(root, name + ".gz", ndim=3 if "images" in name else 1)
        paths.append(path)
    images = _read_idx(paths[0], ndim=3)
    labels = _read_idx(paths[1], ndim=1)
    if len(images) != len(labels):
        raise ValueError(f"MNIST: {paths[0]} has {len(images)} images but {paths[1]} has {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{paths[1]}: labels must be digits 0-9, found {labels.max()}")
    X = images.reshape(len(images), -1) if flatten else images
    return _t(X / np.float32(255), np.float32), _t(labels, np.int64)


def _find(root: str, name: str):
    for candidate in (name, name + ".gz"):
        path = os.path.join(root, candidate)
        if os.path.isfile(path):
            return path
    return None


def _read_idx(path: str, ndim: int) -> np.ndarray:
    """Read an IDX file of unsigned bytes with ``ndim`` dimensions, gzipped if it ends in ``.gz``."""
    import gzip  # only MNIST needs these: imported here to keep `import tinygrad_np` light

    try:
        with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{path}: cannot read (corrupt or truncated gzip?): {e}") from None
    return _parse_idx(data, path, ndim)


def _parse_idx(data: bytes, path: str, ndim: int) -> np.ndarray:
    expected_magic = (_IDX_UBYTE << 8) | ndim
    if len(data) < 4:
        raise ValueError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    (magic,) = struct.unpack(">I", data[:4])
    if magic != expected_magic:
        raise ValueError(f"{path}: bad magic number {magic:#010x}, expected {expected_magic:#010x} "
                         f"(an IDX file of unsigned bytes with {ndim} dimension{'s' * (ndim > 1)})")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    size = int(np.prod(dims))
    if len(data) - header != size:
        raise ValueError(f"{path}: the header promises shape {dims} ({size} bytes of data) but the file has "
                         f"{len(data) - header}; truncated or corrupt?")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _download(root: str, filename: str, ndim: int) -> str:
    """Fetch ``filename`` into ``root`` from the first mirror that serves a valid file (written atomically)."""
    import gzip  # urllib.request pulls in http.client, ssl and email: import it only to download
    import secrets
    import urllib.error
    import urllib.request

    os.makedirs(root, exist_ok=True)
    path = os.path.join(root, filename)
    errors = []
    for mirror in MNIST_MIRRORS:
        url = mirror + filename
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                data = response.read()
            _parse_idx(gzip.decompress(data), url, ndim)
        except (urllib.error.URLError, OSError, EOFError, zlib.error, ValueError) as e:
            errors.append(f"{url}: {getattr(e, 'reason', e)}")
            continue
        tmp = f"{path}.{secrets.token_hex(6)}.part"
        try:
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path
    tried = "\n  ".join(errors)
    raise ConnectionError(f"could not download {filename} (offline, or no mirror answered?). Tried:\n  {tried}\n"
                          f"Download the MNIST IDX files by hand into {root!r} and use download=False.")
