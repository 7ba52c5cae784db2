"""Saving and loading state dicts: :func:`save` and :func:`load`.

The format follows the file's suffix:

- ``.npz``: NumPy's zip of ``.npy`` arrays, read back with ``allow_pickle=False``, so loading
  an untrusted file never runs code.
- ``.safetensors``: needs the ``safetensors`` package (``pip install "tinygrad_np[io]"``).

A flat ``{name: array or Tensor}`` mapping (a model's state dict) is stored as plain arrays under
those names, readable by ``np.load`` / ``safetensors`` alone. Nested dicts, lists, tuples and
JSON scalars (int, float, bool, str, None) are also accepted, e.g. an optimizer's state dict:
arrays are stored under dotted names (``state.0.exp_avg``) and the structure as JSON (a
``__tinygrad_np__`` entry in ``.npz``, header metadata in ``.safetensors``). Writes are atomic.
"""

from __future__ import annotations

import json
import os
import secrets
import zipfile
import zlib
from collections.abc import Mapping

import numpy as np

from .tensor import Tensor

__all__ = ["save", "load"]

SUFFIXES = (".npz", ".safetensors")
META_KEY = "__tinygrad_np__"
_FORMAT = "tinygrad_np"
_VERSION = 1


# ----------------------------------------------------------------------------- public API
def save(obj: Mapping, path) -> None:
    """Write a state dict (``{name: Tensor or array}``, optionally nested) to ``path``.

    The suffix picks the format (``.npz`` or ``.safetensors``). The file is written to a
    temporary file in the same directory, flushed to disk and then renamed over ``path``, so a
    crash mid-save leaves any previous file intact. Tensors are saved without their graph or
    ``requires_grad``. Raises ValueError (naming the path) for anything that is not an array,
    a Tensor, a container or a JSON scalar.
    """
    path = os.fspath(path)
    fmt = _suffix(path)
    arrays, tree = _flatten(obj, path)
    info = {"format": _FORMAT, "version": _VERSION, "tree": tree}
    if fmt == ".npz":  # zip checks each entry's CRC-32 itself
        flat = all(node[1] == {"tensor": node[0]} for node in tree["dict"])  # plain arrays under their own names
        _atomic_write(path, lambda f: _write_npz(f, arrays, None if flat else json.dumps(info)))
    else:  # safetensors has no checksum: keep one per array in the metadata
        st = _safetensors()
        arrays = {k: v if v.flags.c_contiguous else v.copy(order="C") for k, v in arrays.items()}
        info["crc32"] = {k: zlib.crc32(v) for k, v in arrays.items()}
        _atomic_write(path, lambda f: _write_safetensors(f, st, arrays, json.dumps(info)))


def load(path) -> dict:
    """Read a file written by :func:`save` (or any ``.npz`` / ``.safetensors`` of numeric arrays).

    Returns a dict of name -> Tensor (``requires_grad=False``; each owns its memory), nested as it
    was saved; ``Module.load_state_dict`` and ``Optimizer.load_state_dict`` accept it directly.
    Raises FileNotFoundError if there is no file and ValueError (naming the path) for a wrong
    suffix, a corrupt or truncated file, pickled objects or non-numeric arrays.
    """
    path = os.fspath(path)
    fmt = _suffix(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load(): no such file: {path!r}")
    arrays, meta = _read_npz(path) if fmt == ".npz" else _read_safetensors(path)
    for name, arr in arrays.items():
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"{path}: entry {name!r} has dtype {arr.dtype}; only numeric arrays can be loaded")
    if meta is None:
        return {name: Tensor._wrap(arr, None) for name, arr in arrays.items()}
    try:
        info = json.loads(meta)
        if info.get("format") != _FORMAT:
            raise ValueError(f"unknown format {info.get('format')!r}")
        if info.get("version", 0) > _VERSION:
            raise ValueError(f"written by a newer tinygrad_np (format version {info['version']})")
        crcs = info.get("crc32", {})
        tree = info["tree"]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"{path}: invalid {META_KEY} structure record: {e}") from None
    for name, crc in crcs.items():
        if name in arrays and zlib.crc32(np.ascontiguousarray(arrays[name])) != crc:
            raise ValueError(f"{path}: checksum mismatch for {name!r}: the file is corrupt")
    try:
        return _unflatten(tree, arrays)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"{path}: invalid {META_KEY} structure record: {e}") from None


# ----------------------------------------------------------------------------- structure
def _suffix(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"{path}: unknown file suffix {suffix!r}; use .npz or .safetensors")
    return suffix


def _flatten(obj, path: str):
    """Split ``obj`` into {dotted name: array} and a JSON tree that references those names."""
    if not isinstance(obj, Mapping):
        raise TypeError(f"save(): expected a dict (a state dict), got {type(obj).__name__}")
    arrays: dict[str, np.ndarray] = {}

    def where(keys):
        return ".".join(map(str, keys)) or "<root>"

    def encode(value, keys):
        if isinstance(value, (Tensor, np.ndarray, np.generic)):
            arr = value.data if isinstance(value, Tensor) else np.asarray(value)
            if arr.dtype.kind not in "biuf":
                raise ValueError(f"{path}: cannot save {where(keys)!r}: dtype {arr.dtype} is not numeric")
            name = where(keys)
            if name in arrays or name == META_KEY:
                raise ValueError(f"{path}: two entries would both be stored as {name!r}; rename one")
            arrays[name] = arr
            return {"tensor": name}
        if isinstance(value, Mapping):
            items = []
            for k, v in value.items():
                if isinstance(k, np.integer):
                    k = int(k)
                if isinstance(k, bool) or not isinstance(k, (str, int)):
                    raise ValueError(f"{path}: cannot save key {k!r} in {where(keys)!r}: keys must be str or int")
                items.append([k, encode(v, [*keys, k])])
            return {"dict": items}
        if isinstance(value, (list, tuple)):
            kind = "list" if isinstance(value, list) else "tuple"
            return {kind: [encode(v, [*keys, i]) for i, v in enumerate(value)]}
        if value is None or isinstance(value, (bool, int, float, str)):
            return {"value": value}
        raise ValueError(f"{path}: cannot save {where(keys)!r}: a {type(value).__name__} is not an array, Tensor, "
                         f"dict, list, tuple, number, string or None")

    return arrays, encode(obj, [])


def _unflatten(node, arrays):
    (kind, value), = node.items()
    if kind == "tensor":
        if value not in arrays:
            raise KeyError(f"array {value!r} is missing")
        return Tensor._wrap(arrays[value], None)
    if kind == "value":
        return value
    if kind == "dict":
        return {k: _unflatten(v, arrays) for k, v in value}
    if kind in ("list", "tuple"):
        items = [_unflatten(v, arrays) for v in value]
        return items if kind == "list" else tuple(items)
    raise ValueError(f"unknown node kind {kind!r}")


# ----------------------------------------------------------------------------- files
def _atomic_write(path: str, write) -> None:
    """Write through ``write(file)`` to a temporary file beside ``path``, fsync, then rename over it."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable (POSIX only)
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _write_npz(f, arrays: dict, meta: str | None) -> None:
    """The layout of ``np.savez`` (one ``name.npy`` per array in an uncompressed zip), written
    directly so that any name (even ``file``) works."""
    entries = dict(arrays)
    if meta is not None:
        entries[META_KEY] = np.array(meta)
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, arr in entries.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(arr), allow_pickle=False)


def _read_npz(path: str):
    try:
        npz = np.load(path, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ValueError(f"{path}: not an .npz archive (a single .npy array?)")
        with npz:
            arrays = {name: npz[name] for name in npz.files}
    except ValueError as e:
        if str(e).startswith(path):
            raise
        if "pickle" in str(e):
            raise ValueError(f"{path}: contains pickled Python objects; refusing to load them (they could run "
                             f"code). Only numeric arrays can be loaded.") from None
        raise ValueError(f"{path}: not a valid .npz file (corrupt or truncated?): {e}") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, KeyError, NotImplementedError) as e:
        raise ValueError(f"{path}: not a valid .npz file (corrupt or truncated?): {e}") from None
    meta = arrays.pop(META_KEY, None)
    if meta is not None:
        if meta.dtype.kind != "U" or meta.ndim != 0:
            raise ValueError(f"{path}: invalid {META_KEY} entry")
        meta = str(meta[()])
    return arrays, meta


def _safetensors():
    try:
        import safetensors.numpy  # noqa: F401
    except ImportError:
        raise ImportError(
            '.safetensors files need the safetensors package: pip install "tinygrad_np[io]" (or use .npz)'
        ) from None
    import safetensors

    return safetensors


def _write_safetensors(f, st, arrays: dict, meta: str) -> None:
    f.write(st.numpy.save(arrays, metadata={META_KEY: meta}))


def _read_safetensors(path: str):
    st = _safetensors()
    try:
        with st.safe_open(path, framework="np") as f:
            meta = (f.metadata() or {}).get(META_KEY)
            arrays = {name: f.get_tensor(name) for name in f.keys()}
    except Exception as e:  # safetensors raises its own SafetensorError (and OSError, ...)
        raise ValueError(f"{path}: not a valid .safetensors file (corrupt or truncated?): {e}") from None
    return {k: a if a.flags.writeable else a.copy() for k, a in arrays.items()}, meta
