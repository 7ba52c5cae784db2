"""Saving and loading state dicts: :func:`save` and :func:`load`.

The format follows the file's suffix:

- ``.npz``: NumPy's zip of ``.npy`` arrays, read back with ``allow_pickle=False``, so loading
  an untrusted file never runs code.
- ``.safetensors``: needs the ``safetensors`` package (``pip install "tinygrad_np[io]"``).

A flat ``{name: array or Tensor}`` mapping (a model's state dict) is stored as plain arrays under
those names, readable by ``np.load`` / ``safetensors`` alone. Nested dicts, lists, tuples and
JSON scalars (int, float, bool, str, None) are also accepted, e.g. an optimizer's state dict:
arrays are stored under dotted names (``state.0.exp_avg``) and the structure as JSON (a
``__tinygrad_np__`` entry in ``.npz``, header metadata in ``.safetensors``). Writes are atomic,
keep the permission bits of the file they replace and write through symlinks. Reading checks every
size a file declares before allocating, so a crafted file cannot make ``load`` run out of memory.
"""

from __future__ import annotations

import errno
import json
import math
import os
import secrets
import stat
import struct
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
MAX_DEPTH = 64  # containers nested deeper than this are refused (a real checkpoint nests ~5 levels)
_DEFLATE_MAX_RATIO = 1032  # DEFLATE's most compact code: 258 bytes from 2 bits
_CHUNK = 1 << 18  # bytes read per call while filling an array (as NumPy does: small reads stay in cache)


class _FileError(ValueError):
    """A problem with the file itself, already described with its path."""

# ----------------------------------------------------------------------------- public API
def save(obj: Mapping, path) -> None:
    """Write a state dict (``{name: Tensor or array}``, optionally nested) to ``path``.

    The suffix picks the format (``.npz`` or ``.safetensors``). The file is written to a
    temporary file in the same folder, flushed to disk and then renamed over ``path``, so a
    crash mid-save leaves any previous file intact. A file that is replaced keeps its permission
    bits, and a symlink is written through (its target is replaced; the link stays a link), as
    ``np.save`` does. Tensors are saved without their graph or ``requires_grad``. Raises
    ValueError (naming the path) for anything that is not an array, a Tensor, a container or a
    JSON scalar, and an OSError naming ``path`` (never the temporary file) if writing fails.
    """
    path = os.fspath(path)
    fmt = _suffix(path)
    arrays, tree = _flatten(obj, path)
    info = {"format": _FORMAT, "version": _VERSION, "tree": tree}
    if fmt == ".npz":  # zip checks each entry's CRC-32 itself
        for name in arrays:
            if _unsafe_member(name):
                raise ValueError(f"{path}: cannot save {name!r} to .npz: as a zip entry that name would point "
                                 f"outside the archive when unzipped ('..', '/' or a drive); rename the key")
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
    bfloat16 entries of a ``.safetensors`` file are loaded as float32 (exactly: a bfloat16 is the
    top half of a float32). Raises FileNotFoundError if there is no file and ValueError (naming
    the path) for a wrong suffix, a corrupt, truncated or crafted file (every size it declares is
    checked before anything is allocated), pickled objects or non-numeric arrays.
    """
    path = os.fspath(path)
    fmt = _suffix(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load(): no such file: {path!r} (a relative path starts in the working folder "
                                f"{os.getcwd()!r}); check the name")
    try:
        arrays, meta = _read_npz(path) if fmt == ".npz" else _read_safetensors(path)
    except _FileError as e:  # users see a plain ValueError
        raise ValueError(str(e)) from None
    for name, arr in arrays.items():
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"{path}: entry {name!r} has dtype {arr.dtype}; only numeric arrays can be loaded")
    if meta is None:
        return {name: Tensor._wrap(arr, None) for name, arr in arrays.items()}
    tree, crcs = _parse_record(path, meta)
    for name, crc in crcs.items():
        if name in arrays and zlib.crc32(np.ascontiguousarray(arrays[name])) != crc:
            raise ValueError(f"{path}: checksum mismatch for {name!r}: the file is corrupt; save it again or use "
                             f"an intact copy")
    try:
        return _unflatten(tree, arrays, set(), 0)
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops it first
        raise ValueError(f"{path}: invalid {META_KEY} structure record: nested too deeply") from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"{path}: invalid {META_KEY} structure record: {e}{_DAMAGED}") from None


_DAMAGED = ". The file is damaged or was not written by tinygrad_np.save: save it again or use an intact copy"


# ----------------------------------------------------------------------------- structure
def _suffix(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"{path!r} is a folder; name a file in it, e.g. "
                                              f"{os.path.join(path, 'model' + (suffix or '.npz'))!r}")
    if suffix not in SUFFIXES:
        raise ValueError(f"{path}: unknown file suffix {suffix!r}; use .npz or .safetensors")
    return suffix


def _flatten(obj, path: str):
    """Split ``obj`` into {dotted name: array} and a JSON tree that references those names."""
    if not isinstance(obj, Mapping):
        raise TypeError(f"save(): expected a dict (a state dict), got {type(obj).__name__}; e.g. "
                        f"save(model.state_dict(), path) or save({{'model': ..., 'epoch': 3}}, path)")
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
        if isinstance(value, (Mapping, list, tuple)) and len(keys) >= MAX_DEPTH:
            raise ValueError(f"{path}: cannot save {where(keys[:3])}...: containers are nested more than "
                             f"{MAX_DEPTH} levels deep (does a dict or list contain itself?); flatten the structure")
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
        raise ValueError(f"{path}: cannot save {where(keys)!r}: {type(value).__name__!r} is not an array, Tensor, "
                         f"dict, list, tuple, number, string or None; convert it to one of those, or leave it out")

    return arrays, encode(obj, [])


def _parse_record(path: str, meta: str):
    """The structure record's (tree, crc32 per array), checked."""
    try:
        info = json.loads(meta)
        if info.get("format") != _FORMAT:
            raise ValueError(f"unknown format {info.get('format')!r}")
        if info.get("version", 0) > _VERSION:
            raise ValueError(f"written by a newer tinygrad_np (format version {info['version']}); upgrade "
                             f"tinygrad_np to read it")
        return info["tree"], dict(info.get("crc32", {}))
    except RecursionError:  # json's decoder recurses once per level
        raise ValueError(f"{path}: the {META_KEY} structure record nests containers thousands of levels deep, "
                         f"which save() never writes (at most {MAX_DEPTH}){_DAMAGED}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"{path}: invalid {META_KEY} structure record: {e}") from None


def _unflatten(node, arrays, used: set, depth: int):
    if depth > MAX_DEPTH:
        raise ValueError(f"containers are nested more than {MAX_DEPTH} levels deep, which save() never writes")
    (kind, value), = node.items()
    if kind == "tensor":
        if value not in arrays:
            raise KeyError(f"array {value!r} is missing")
        if value in used:  # two Tensors sharing one array would surprise any in-place update
            raise ValueError(f"array {value!r} is referenced twice")
        used.add(value)
        return Tensor._wrap(arrays[value], None)
    if kind == "value":
        return value
    if kind == "dict":
        return {k: _unflatten(v, arrays, used, depth + 1) for k, v in value}
    if kind in ("list", "tuple"):
        items = [_unflatten(v, arrays, used, depth + 1) for v in value]
        return items if kind == "list" else tuple(items)
    raise ValueError(f"unknown node kind {kind!r}")


# ----------------------------------------------------------------------------- writing files
def _atomic_write(path: str, write) -> None:
    """Write through ``write(file)`` to a temporary file beside the target, fsync, then rename over it.

    The target is ``path`` with its symlinks resolved, so a link is written through and stays a
    link. A replaced file keeps its permission bits (a new one gets 0o666 minus the umask); the
    temporary file is created with them, so the data is never readable by more people than the
    file it replaces. OSErrors name ``path``, never the temporary file.
    """
    target = os.path.realpath(path)
    directory, base = os.path.split(target)
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    except OSError as e:  # e.g. a symlink loop
        raise _save_error(e, path, directory) from None
    if old is not None and not os.access(target, os.W_OK):  # np.save could not write it either
        raise PermissionError(errno.EACCES, f"cannot save {path!r}: the file is read-only; make it writable "
                                            f"(chmod u+w) or save under another name")
    mode = stat.S_IMODE(old.st_mode) & 0o777 if old is not None else 0o666
    tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    except OSError as e:
        raise _save_error(e, path, directory) from None
    try:
        with os.fdopen(fd, "wb") as f:
            if old is not None:
                os.chmod(tmp, mode)  # os.open's mode went through the umask; the old file's bits did not
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError):
            raise _save_error(e, path, directory) from None
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


_SAVE_HINTS = {
    errno.ENOENT: "the folder {dir!r} does not exist: create it first (os.makedirs(folder, exist_ok=True))",
    errno.EACCES: "no permission to write in {dir!r} (save writes a temporary file in the same folder first, "
                  "so the folder must be writable): fix its permissions or save elsewhere",
    errno.ENOSPC: "the disk is full: free some space or save elsewhere",
    errno.EROFS: "the file system is read-only: save elsewhere",
    errno.ELOOP: "it is a symlink loop: point the link at a real file",
}
_SAVE_HINTS[errno.EPERM] = _SAVE_HINTS[errno.EACCES]
if hasattr(errno, "EDQUOT"):
    _SAVE_HINTS[errno.EDQUOT] = "the disk quota is exceeded: free some space or save elsewhere"


def _save_error(e: OSError, path: str, directory: str) -> OSError:
    """``e`` (which may name the hidden temporary file) retold about ``path``, with what to do."""
    hint = _SAVE_HINTS.get(e.errno, "check the disk and the path, then save again")
    message = f"cannot save {path!r}: {e.strerror or e}; {hint.format(dir=directory)}. Any previous file is unchanged."
    return OSError(e.errno, message) if e.errno else OSError(message)  # OSError(errno, ...) picks the subclass


def _unsafe_member(name: str) -> bool:
    """Would a zip entry of this name land outside the folder it is unzipped into?"""
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or "\0" in name or (name[:1].isalpha() and name[1:2] == ":")


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


# ----------------------------------------------------------------------------- reading .npz
_PICKLE_REFUSED = "refusing to unpickle (that can run code; tinygrad_np loads numeric arrays only)"


def _read_npz(path: str):
    """Read every ``.npy`` entry of the zip at ``path``, checking each declared size before allocating."""
    with open(path, "rb") as fh:
        magic = fh.read(6)
        if magic.startswith(b"\x93NUMPY"):
            raise _FileError(f"{path}: not an .npz archive but a single .npy array; read it with np.load, or save "
                             f"a dict to .npz with tinygrad_np.save")
        if magic[:1] == b"\x80" and magic[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
            raise _FileError(f"{path}: a Python pickle (e.g. from torch.save or pickle.dump), not an .npz archive; "
                             f"{_PICKLE_REFUSED}. Convert it to .npz in the program that wrote it")
        size = os.fstat(fh.fileno()).st_size
        arrays = {}
        try:
            with zipfile.ZipFile(fh) as zf:
                for info in zf.infolist():
                    name = _npz_entry_name(path, info.filename)
                    if name in arrays:
                        raise _FileError(f"{path}: two entries are named {info.filename!r}: the file was not "
                                         f"written by np.savez or tinygrad_np.save; get it from a source you trust")
                    _check_entry_size(path, info, size)
                    with zf.open(info) as f:
                        arrays[name] = _read_npy(path, name, f, info.file_size)
        except _FileError:
            raise
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError,
                RuntimeError, struct.error) as e:
            raise _FileError(f"{path}: not a valid .npz file (corrupt or truncated?): {e}{_DAMAGED}") from None
    meta = arrays.pop(META_KEY, None)
    return arrays, None if meta is None else str(meta[()])


def _npz_entry_name(path: str, member: str) -> str:
    if _unsafe_member(member):
        raise _FileError(f"{path}: entry {member!r} is a path outside the archive ('..' or absolute), which no .npz "
                         f"writer produces; refusing the file as crafted (nothing was extracted). Get it from a "
                         f"source you trust")
    if member.endswith(".pkl"):
        raise _FileError(f"{path}: entry {member!r} holds pickled Python objects (a torch.save file?); "
                         f"{_PICKLE_REFUSED}. Convert it to .npz in the program that wrote it")
    if not member.endswith(".npy"):
        raise _FileError(f"{path}: entry {member!r} is not a .npy array, so this is not an .npz written by np.savez "
                         f"or tinygrad_np.save{_DAMAGED}")
    return member[:-4]


def _check_entry_size(path: str, info: zipfile.ZipInfo, archive_size: int) -> None:
    """The sizes a zip entry declares must fit in the file (stored) or be reachable by DEFLATE."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _FileError(f"{path}: entry {info.filename!r} uses zip compression method {info.compress_type}; only "
                         f"stored or deflated entries (what np.savez and np.savez_compressed write) are read. "
                         f"Re-save it with np.savez")
    stored = info.compress_type == zipfile.ZIP_STORED
    if (info.header_offset + info.compress_size > archive_size
            or info.file_size > (info.compress_size if stored else _DEFLATE_MAX_RATIO * info.compress_size)):
        raise _FileError(f"{path}: entry {info.filename!r} declares {info.file_size:,} bytes from "
                         f"{info.compress_size:,} {'stored' if stored else 'compressed'} bytes, more than the "
                         f"{archive_size:,}-byte file can hold (a corrupt file, or a crafted 'zip bomb'); nothing was "
                         f"allocated. Get an intact copy from a source you trust")


def _read_npy(path: str, name: str, f, entry_size: int) -> np.ndarray:
    """One ``.npy`` entry; its header's shape and dtype are checked against the entry's size first."""
    fmt = np.lib.format
    version = fmt.read_magic(f)
    # version 3.0 differs from 2.0 only in allowing UTF-8 field names (structured dtypes, refused below)
    shape, fortran_order, dtype = (fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0)(f)
    if dtype.hasobject:
        raise _FileError(f"{path}: contains pickled Python objects (entry {name!r}); {_PICKLE_REFUSED}. If you trust "
                         f"the file, read it with np.load(path, allow_pickle=True)")
    if name == META_KEY:
        if dtype.kind != "U" or shape != ():
            raise _FileError(f"{path}: invalid {META_KEY} entry{_DAMAGED}")
    elif dtype.kind not in "biuf":
        raise _FileError(f"{path}: entry {name!r} has dtype {dtype}; only numeric arrays can be loaded (np.load "
                         f"reads the others)")
    count = math.prod(shape)
    nbytes, available = count * dtype.itemsize, entry_size - f.tell()
    if nbytes > available:
        raise _FileError(f"{path}: entry {name!r} declares shape {shape} of {dtype} ({nbytes:,} bytes) but holds only "
                         f"{available:,} bytes: the file is truncated, corrupt or crafted; nothing was allocated. "
                         f"Save it again or use an intact copy")
    arr = np.empty(count, dtype)
    buffer, done = memoryview(arr.view(np.uint8)), 0
    while done < nbytes:
        n = f.readinto(buffer[done:done + _CHUNK])
        if not n:
            raise EOFError(f"entry {name!r} ends after {done:,} of {nbytes:,} bytes")
        done += n
    while f.read(_CHUNK):  # read to the end, so that zipfile checks the entry's CRC-32
        pass
    if not dtype.isnative:  # e.g. big-endian '>f4': to native order, so that dtype comparisons hold
        arr = arr.byteswap(inplace=True).view(dtype.newbyteorder("="))
    return arr.reshape(shape[::-1]).T if fortran_order else arr.reshape(shape)


# ----------------------------------------------------------------------------- .safetensors
_SAFETENSORS_DTYPES = {"BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "F32", "F64", "BF16"}


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
    try:  # safe_open checks the header: offsets within the file, sizes matching shapes and dtypes
        with st.safe_open(path, framework="np") as f:
            meta = (f.metadata() or {}).get(META_KEY)
            kinds = {name: f.get_slice(name).get_dtype() for name in f.keys()}
            for name, kind in kinds.items():
                if kind not in _SAFETENSORS_DTYPES:
                    raise _FileError(f"{path}: entry {name!r} has dtype {kind}, which NumPy cannot hold; tinygrad_np "
                                     f"loads bool, integer, F16, F32, F64 and BF16 (as float32) entries. Convert it "
                                     f"to float32 in the program that wrote the file")
            arrays = {name: None if kind == "BF16" else f.get_tensor(name) for name, kind in kinds.items()}
        bf16 = [name for name, kind in kinds.items() if kind == "BF16"]
        if bf16:
            arrays.update(_bfloat16_as_float32(path, bf16))
    except _FileError:
        raise
    except Exception as e:  # safetensors raises its own SafetensorError (and OSError, ...)
        raise ValueError(f"{path}: not a valid .safetensors file (corrupt or truncated?): {e}{_DAMAGED}") from None
    return {k: a if a.flags.writeable else a.copy() for k, a in arrays.items()}, meta


def _bfloat16_as_float32(path: str, names: list) -> dict:
    """NumPy has no bfloat16: read those entries' raw 16-bit words and widen them to float32, exactly
    (a bfloat16 is the top half of a float32). ``safe_open`` has already validated the header."""
    with open(path, "rb") as fh:
        (header_size,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(header_size))
        out = {}
        for name in names:
            start, stop = header[name]["data_offsets"]
            fh.seek(8 + header_size + start)
            words = np.frombuffer(fh.read(stop - start), dtype="<u2")
            out[name] = (words.astype(np.uint32) << 16).view(np.float32).reshape(header[name]["shape"])
    return out
