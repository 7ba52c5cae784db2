"""Builders of hostile and damaged weight files, shared by test_serialization and the bad-input catalogue."""

import json
import struct
import zipfile

import numpy as np


def npz_with_header(path, header: dict, data: bytes, member: str = "w.npy") -> None:
    """An .npz whose one entry has the given .npy header and raw data (any declared shape)."""
    with zipfile.ZipFile(path, "w") as zf, zf.open(member, "w") as f:
        np.lib.format.write_array_header_1_0(f, header)
        f.write(data)


def npz_with_members(path, arrays: dict, compression=zipfile.ZIP_STORED) -> None:
    """An .npz with the given entry names (anything, even '../x.npy') holding the given arrays."""
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for member, arr in arrays.items():
            with zf.open(member, "w") as f:
                np.lib.format.write_array(f, np.asarray(arr))


def record(tree, version: int = 1) -> str:
    return json.dumps({"format": "tinygrad_np", "version": version, "tree": tree})


def deep_record(depth: int) -> str:
    """A structure record whose tree nests ``depth`` lists."""
    return ('{"format": "tinygrad_np", "version": 1, "tree": ' + '{"list": [' * depth + '{"value": 1}'
            + "]}" * depth + "}")


def npz_with_record(path, text: str, arrays=()) -> None:
    """An .npz holding ``arrays`` and ``text`` as its tinygrad_np structure record."""
    npz_with_members(path, {**{f"{k}.npy": v for k, v in dict(arrays).items()}, "__tinygrad_np__.npy": np.array(text)})


def declare_size(path, new_size: int) -> None:
    """Rewrite the uncompressed size that the zip's one entry declares (in its local header and the
    central directory): a 'zip bomb' by declaration. The zip must not use zip64."""
    raw = bytearray(path.read_bytes())
    local, central = raw.index(b"PK\x03\x04"), raw.index(b"PK\x01\x02")
    raw[local + 22:local + 26] = new_size.to_bytes(4, "little")
    raw[central + 24:central + 28] = new_size.to_bytes(4, "little")
    path.write_bytes(bytes(raw))


def safetensors_file(path, header: dict, data: bytes) -> None:
    """A .safetensors file with any header (the format: 8-byte little-endian header size, JSON, data)."""
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
