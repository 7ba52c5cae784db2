"""save/load: round trips, atomic writes, corrupt files and clear errors."""

import os
import sys
import zipfile

import hostile_files as hostile
import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import serialization
from tinygrad_np.serialization import load, save

SUFFIXES = [".npz", pytest.param(".safetensors", marks=pytest.mark.skipif(
    __import__("importlib").util.find_spec("safetensors") is None, reason="safetensors not installed"))]


def _state():
    rng = np.random.default_rng(0)
    return {
        "layer.weight": tg.Tensor(rng.standard_normal((3, 2)).astype(np.float32), requires_grad=True),
        "layer.bias": rng.standard_normal(3),  # a float64 array
        "steps": np.array(7, dtype=np.int64),  # 0-d
        "counts": np.arange(5, dtype=np.int64),
        "scale": tg.Tensor(np.array(2.5)),  # 0-d float64 Tensor
        "mask": np.array([True, False]),
        "empty": np.zeros((0, 4), np.float32),
    }


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_flat_round_trip_keeps_names_order_dtypes_shapes(tmp_path, suffix):
    sd = _state()
    path = tmp_path / f"model{suffix}"
    save(sd, path)
    out = load(path)
    assert list(out) == list(sd)
    for name, value in sd.items():
        expected = value.data if isinstance(value, tg.Tensor) else value
        t = out[name]
        assert isinstance(t, tg.Tensor) and not t.requires_grad
        assert t.dtype == expected.dtype and t.shape == expected.shape
        np.testing.assert_array_equal(t.data, expected)
        assert t.data.flags.writeable and t.data.flags.owndata or t.data.base is not None


def test_flat_npz_is_plain_numpy(tmp_path):
    path = tmp_path / "model.npz"
    save(_state(), path)
    with np.load(path, allow_pickle=False) as npz:
        assert npz.files == list(_state())  # no extra entry for a flat state dict
        np.testing.assert_array_equal(npz["steps"], 7)


def test_non_contiguous_and_str_path(tmp_path):
    x = np.arange(12.0).reshape(3, 4).T
    for suffix in [".npz", ".safetensors"]:
        if suffix == ".safetensors" and "safetensors" not in sys.modules and not _has_safetensors():
            continue
        path = str(tmp_path / f"x{suffix}")
        save({"x": x}, path)
        np.testing.assert_array_equal(load(path)["x"].data, x)


def _has_safetensors():
    try:
        import safetensors.numpy  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_nested_structure_round_trip(tmp_path, suffix):
    obj = {
        "model": {"w": np.ones((2, 2), np.float32), "b": tg.Tensor(np.zeros(2))},
        "optimizer": {
            "state": {0: {"step": 3, "exp_avg": np.full(2, 0.5)}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "nesterov": False, "params": [0, 1], "x": None}],
        },
        "epoch": 4,
        "name": "run-1",
        "file": np.ones(1),  # a name np.savez could not take as a keyword
    }
    path = tmp_path / f"ckpt{suffix}"
    save(obj, path)
    out = load(path)
    assert list(out) == list(obj)
    np.testing.assert_array_equal(out["model"]["w"].data, obj["model"]["w"])
    assert out["model"]["w"].dtype == np.float32
    assert list(out["optimizer"]["state"]) == [0]  # int keys stay ints
    assert out["optimizer"]["state"][0]["step"] == 3
    np.testing.assert_array_equal(out["optimizer"]["state"][0]["exp_avg"].data, np.full(2, 0.5))
    group = out["optimizer"]["param_groups"][0]
    assert group == {"lr": 0.1, "betas": (0.9, 0.999), "nesterov": False, "params": [0, 1], "x": None}
    assert isinstance(group["betas"], tuple) and isinstance(group["params"], list)
    assert out["epoch"] == 4 and out["name"] == "run-1"


def test_dotted_name_collision_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="both be stored as 'a.b'"):
        save({"a.b": np.ones(1), "a": {"b": np.ones(1)}}, tmp_path / "x.npz")


@pytest.mark.parametrize("bad, match", [
    ({"w": object()}, "'w'.*'object' is not an array"),
    ({"w": np.array(["a", "b"])}, "'w'.*not numeric"),
    ({"w": np.array([1, None], dtype=object)}, "'w'.*not numeric"),
    ({"m": {"w": lambda: 0}}, "'m.w'"),
    ({(1, 2): np.ones(1)}, "keys must be str or int"),
])
def test_non_array_values_are_rejected_with_the_path(tmp_path, bad, match):
    path = tmp_path / "bad.npz"
    with pytest.raises(ValueError, match=match) as info:
        save(bad, path)
    assert str(path) in str(info.value)
    assert not path.exists() and os.listdir(tmp_path) == []


def test_top_level_must_be_a_dict(tmp_path):
    with pytest.raises(TypeError, match="expected a dict"):
        save([np.ones(2)], tmp_path / "x.npz")


@pytest.mark.parametrize("name", ["model.pt", "model", "model.npy", "model.npz.bak"])
def test_wrong_suffix(tmp_path, name):
    path = tmp_path / name
    with pytest.raises(ValueError, match="suffix") as info:
        save({"w": np.ones(1)}, path)
    assert str(path) in str(info.value)
    path.write_bytes(b"whatever")
    with pytest.raises(ValueError, match="suffix"):
        load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        load(tmp_path / "nope.npz")


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_corrupt_and_truncated_files_give_a_clear_error(tmp_path, suffix):
    good = tmp_path / f"good{suffix}"
    save({"w": np.arange(1000.0), "v": np.ones(10)}, good)
    data = good.read_bytes()
    cases = {
        "truncated": data[: len(data) // 2],
        "garbage": b"this is not an array file at all",
        "empty": b"",
        "flipped": data[:-200] + bytes(b ^ 0xFF for b in data[-200:]),
    }
    for label, content in cases.items():
        path = tmp_path / f"{label}{suffix}"
        path.write_bytes(content)
        with pytest.raises(ValueError) as info:
            load(path)
        assert str(path) in str(info.value), label


def test_npz_with_pickled_objects_is_refused_without_running_code(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, w=np.array([{"a": 1}], dtype=object))  # np.savez pickles object arrays
    with pytest.raises(ValueError, match="pickled") as info:
        load(path)
    assert str(path) in str(info.value)


def test_plain_npy_file_named_npz(tmp_path):
    path = tmp_path / "x.npz"
    with open(path, "wb") as f:
        np.save(f, np.ones(3))
    with pytest.raises(ValueError, match="not an .npz archive"):
        load(path)


def test_foreign_npz_and_non_numeric_entries(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, a=np.ones(2), b=np.arange(3))
    out = load(path)
    assert list(out) == ["a", "b"] and out["b"].dtype == np.int64
    np.savez(path, s=np.array(["x"]))
    with pytest.raises(ValueError, match="'s'.*numeric"):
        load(path)


def test_broken_structure_record(tmp_path):
    path = tmp_path / "x.npz"
    hostile.npz_with_record(path, hostile.record({"dict": [["w", {"tensor": "missing"}]]}))
    with pytest.raises(ValueError, match="missing"):
        load(path)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_crash_mid_save_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch, suffix):
    path = tmp_path / f"model{suffix}"
    save({"w": np.ones(3)}, path)
    before = path.read_bytes()
    writer = "_write_npz" if suffix == ".npz" else "_write_safetensors"

    def crash(f, *args):
        f.write(b"half of a file")
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(serialization, writer, crash)
    with pytest.raises(KeyboardInterrupt):
        save({"w": np.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]
    monkeypatch.undo()
    save({"w": np.zeros(3)}, path)  # a later save replaces it
    np.testing.assert_array_equal(load(path)["w"].data, np.zeros(3))
    assert os.listdir(tmp_path) == [path.name]


def test_crash_in_fsync_also_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    monkeypatch.setattr(serialization.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        save({"w": np.ones(3)}, path)
    assert os.listdir(tmp_path) == []


def test_saved_file_has_normal_permissions(tmp_path):
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    path = tmp_path / "model.npz"
    save({"w": np.ones(1)}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_safetensors_missing_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r'pip install "tinygrad_np\[io\]"'):
        save({"w": np.ones(1)}, tmp_path / "x.safetensors")
    assert os.listdir(tmp_path) == []
    with pytest.raises(ImportError, match=r"tinygrad_np\[io\]"):
        (tmp_path / "y.safetensors").write_bytes(b"x")
        load(tmp_path / "y.safetensors")


def test_loaded_tensors_can_be_trained_in_place(tmp_path):
    from tinygrad_np import optim

    for suffix in [".npz", ".safetensors"] if _has_safetensors() else [".npz"]:
        path = tmp_path / f"m{suffix}"
        save({"w": np.ones(3, np.float32)}, path)
        w = load(path)["w"].requires_grad_()
        w.grad = tg.Tensor(np.ones(3, np.float32))
        optim.SGD([w], lr=0.5).step()
        np.testing.assert_array_equal(w.data, np.full(3, 0.5, np.float32))


def test_empty_state_dict(tmp_path):
    for suffix in [".npz", ".safetensors"] if _has_safetensors() else [".npz"]:
        save({}, tmp_path / f"e{suffix}")
        assert load(tmp_path / f"e{suffix}") == {}


# ----------------------------------------------------------------------------- hostile and foreign files
def test_declared_shape_larger_than_the_data_is_refused_before_allocating(tmp_path):
    import tracemalloc

    path = tmp_path / "big.npz"
    hostile.npz_with_header(path, {"descr": "<f8", "fortran_order": False, "shape": (10**10,)}, b"\0" * 64)
    with pytest.raises(ValueError, match=r"declares shape \(10000000000,\).*holds only 64 bytes") as info:
        load(path)
    assert str(path) in str(info.value)
    # a declared size that *could* be allocated (80 MB) must not be, either: numpy reports to tracemalloc
    hostile.npz_with_header(path, {"descr": "<f8", "fortran_order": False, "shape": (10**7,)}, b"\0" * 64)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="nothing was allocated"):
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10**6


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_zip_entry_declaring_more_than_the_file_can_hold_is_refused(tmp_path, compression):
    path = tmp_path / "bomb.npz"
    hostile.npz_with_members(path, {"w.npy": np.zeros(1000)}, compression)
    compressed = zipfile.ZipFile(path).infolist()[0].compress_size
    hostile.declare_size(path, 4000 * compressed)  # beyond a stored size, and beyond DEFLATE's 1032:1
    with pytest.raises(ValueError, match="zip bomb") as info:
        load(path)
    assert str(path) in str(info.value)


def test_compressed_and_foreign_npz_files_load(tmp_path):
    path = tmp_path / "foreign.npz"
    fortran = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    np.savez_compressed(path, zeros=np.zeros(10**6), f=fortran, big_endian=np.arange(3, dtype=">f4"))
    out = load(path)
    np.testing.assert_array_equal(out["zeros"].data, 0)  # deflated ~1000:1, still within DEFLATE's bound
    np.testing.assert_array_equal(out["f"].data, fortran)
    assert out["big_endian"].dtype == np.float32  # native byte order, so dtype comparisons hold
    np.testing.assert_array_equal(out["big_endian"].data, [0, 1, 2])


def test_other_zip_compression_methods_are_refused(tmp_path):
    path = tmp_path / "bz.npz"
    hostile.npz_with_members(path, {"w.npy": np.zeros(3)}, zipfile.ZIP_BZIP2)
    with pytest.raises(ValueError, match="compression method 12.*np.savez"):
        load(path)


@pytest.mark.parametrize("member", ["../../evil.npy", "/etc/evil.npy", "a/../../evil.npy", "C:evil.npy"])
def test_path_traversal_entry_names_are_refused(tmp_path, member):
    path = tmp_path / "evil.npz"
    hostile.npz_with_members(path, {member: np.zeros(3)})
    with pytest.raises(ValueError, match="outside the archive"):
        load(path)
    assert sorted(os.listdir(tmp_path)) == ["evil.npz"]  # nothing extracted anywhere
    with pytest.raises(ValueError, match="outside the archive"):
        save({member[:-4]: np.zeros(1)}, tmp_path / "out.npz")
    assert not (tmp_path / "out.npz").exists()
    save({"a": {"..": np.zeros(1)}}, tmp_path / "ok.npz")  # a dotted name 'a...' is no path


def test_pickles_are_refused_by_their_magic_or_entry(tmp_path):
    import pickle

    path = tmp_path / "model.npz"
    path.write_bytes(pickle.dumps({"w": [1.0, 2.0]}, protocol=4))  # e.g. a torch.save file renamed
    with pytest.raises(ValueError, match="a Python pickle.*refusing"):
        load(path)
    with zipfile.ZipFile(path, "w") as zf:  # torch.save's zip layout
        zf.writestr("archive/data.pkl", pickle.dumps({"w": 1}))
    with pytest.raises(ValueError, match="data.pkl.*pickled"):
        load(path)


def test_entries_that_are_not_npy_or_repeat_are_refused(tmp_path):
    path = tmp_path / "odd.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="'readme.txt' is not a .npy array"):
        load(path)
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "w") as zf:
        for _ in range(2):
            with zf.open("w.npy", "w") as f:
                np.lib.format.write_array(f, np.zeros(2))
    with pytest.raises(ValueError, match="two entries"):
        load(path)


@pytest.mark.parametrize("depth", [100, 5000, 100_000])
def test_structure_record_nested_deeply_is_a_value_error(tmp_path, depth):
    path = tmp_path / "deep.npz"
    hostile.npz_with_record(path, hostile.deep_record(depth))
    with pytest.raises(ValueError, match="nest.*deep") as info:
        load(path)
    assert str(path) in str(info.value)


def test_saving_deep_or_self_containing_structures_is_a_value_error(tmp_path):
    loop = {"w": np.ones(1)}
    loop["self"] = loop
    deep = np.ones(1)
    for _ in range(100):
        deep = [deep]
    for obj in ({"x": loop}, {"x": deep}):
        with pytest.raises(ValueError, match="nested more than 64 levels deep"):
            save(obj, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []
    ok = np.ones(1)
    for _ in range(60):
        ok = [ok]
    save({"x": ok}, tmp_path / "ok.npz")
    assert load(tmp_path / "ok.npz")["x"][0][0][0] is not None


def test_an_array_referenced_twice_is_refused(tmp_path):
    path = tmp_path / "twice.npz"
    tree = {"dict": [["a", {"tensor": "w"}], ["b", {"tensor": "w"}]]}
    hostile.npz_with_record(path, hostile.record(tree), {"w": np.ones(2)})
    with pytest.raises(ValueError, match="referenced twice"):
        load(path)


def test_newer_format_version_says_to_upgrade(tmp_path):
    path = tmp_path / "new.npz"
    hostile.npz_with_record(path, hostile.record({"dict": []}, version=99))
    with pytest.raises(ValueError, match="newer tinygrad_np.*upgrade"):
        load(path)


# ----------------------------------------------------------------------------- the file a save replaces
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and symlinks")


@posix_only
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604])
def test_resaving_keeps_the_permission_bits(tmp_path, mode):
    path = tmp_path / "ckpt.npz"
    save({"w": np.ones(1)}, path)
    os.chmod(path, mode)
    save({"w": np.zeros(1)}, path)
    assert path.stat().st_mode & 0o777 == mode
    np.testing.assert_array_equal(load(path)["w"].data, [0])


@posix_only
def test_the_temporary_file_is_never_more_readable_than_the_file_it_replaces(tmp_path, monkeypatch):
    path = tmp_path / "secret.npz"
    save({"w": np.ones(1)}, path)
    os.chmod(path, 0o600)
    seen = []

    def spy(f, *args):
        seen.append(os.stat(f.fileno()).st_mode & 0o777)
        return write(f, *args)

    write = serialization._write_npz
    monkeypatch.setattr(serialization, "_write_npz", spy)
    save({"w": np.zeros(1)}, path)
    assert seen == [0o600]


@posix_only
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_saving_to_a_symlink_writes_through_to_its_target(tmp_path, suffix):
    real = tmp_path / "runs" / f"real{suffix}"
    real.parent.mkdir()
    save({"w": np.ones(2)}, real)
    os.chmod(real, 0o600)
    link = tmp_path / f"latest{suffix}"
    link.symlink_to(os.path.join("runs", real.name))  # a relative link, as people make them
    save({"w": np.full(2, 7.0)}, link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("runs", real.name)
    np.testing.assert_array_equal(load(real)["w"].data, [7, 7])
    assert real.stat().st_mode & 0o777 == 0o600
    assert sorted(os.listdir(real.parent)) == [real.name]  # the temporary file was beside the target
    dangling = tmp_path / f"dangling{suffix}"
    dangling.symlink_to(f"created{suffix}")
    save({"w": np.ones(1)}, dangling)  # like open(..., "wb"): the link's target is created
    assert dangling.is_symlink() and (tmp_path / f"created{suffix}").is_file()


@posix_only
def test_symlink_loop_is_an_os_error_naming_the_path(tmp_path):
    loop = tmp_path / "loop.npz"
    loop.symlink_to("loop.npz")
    with pytest.raises(OSError, match="symlink loop") as info:
        save({"w": np.ones(1)}, loop)
    assert str(loop) in str(info.value)


def _no_temp_name(message: str) -> bool:
    return ".tmp" not in message


def test_errors_while_saving_name_the_users_path_not_the_temporary_file(tmp_path, monkeypatch):
    missing = tmp_path / "no" / "such" / "folder" / "m.npz"
    with pytest.raises(FileNotFoundError, match="does not exist: create it first") as info:
        save({"w": np.ones(1)}, missing)
    assert repr(str(missing)) in str(info.value) and _no_temp_name(str(info.value))
    folder = tmp_path / "a_folder.npz"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder; name a file in it"):
        save({"w": np.ones(1)}, folder)

    def disk_full(f, *args):
        raise OSError(28, "No space left on device", f.name)  # what a real write error names: the temp file

    monkeypatch.setattr(serialization, "_write_npz", disk_full)
    target = tmp_path / "m.npz"
    with pytest.raises(OSError, match="disk is full") as info:
        save({"w": np.ones(1)}, target)
    assert info.value.errno == 28 and repr(str(target)) in str(info.value) and _no_temp_name(str(info.value))
    assert sorted(os.listdir(tmp_path)) == ["a_folder.npz"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions, not root")
def test_read_only_file_and_folder_are_refused_like_np_save(tmp_path):
    path = tmp_path / "frozen.npz"
    save({"w": np.ones(1)}, path)
    os.chmod(path, 0o444)
    with pytest.raises(PermissionError, match="read-only"):
        save({"w": np.zeros(1)}, path)
    os.chmod(path, 0o644)
    os.chmod(tmp_path, 0o555)
    try:
        with pytest.raises(PermissionError, match="folder must be writable") as info:
            save({"w": np.zeros(1)}, path)
        assert _no_temp_name(str(info.value))
    finally:
        os.chmod(tmp_path, 0o755)
    np.testing.assert_array_equal(load(path)["w"].data, [1])


# ----------------------------------------------------------------------------- safetensors: bf16 and hostile headers
@pytest.mark.skipif(not _has_safetensors(), reason="safetensors not installed")
def test_bfloat16_safetensors_load_as_float32_exactly(tmp_path):
    # bfloat16 bit patterns and the float32 each stands for (the bf16 bits are float32's top 16 bits)
    cases = {0x3FC0: 1.5, 0xC010: -2.25, 0x7F80: np.inf, 0xFF80: -np.inf, 0x8000: -0.0, 0x0000: 0.0,
             0x0001: 2.0**-133, 0x7F7F: 3.3895313892515355e38, 0x3DCD: 0.10009765625}
    words = np.array(list(cases) + [0x7FC0], dtype="<u2")  # ... and a NaN
    path = tmp_path / "bf16.safetensors"
    hostile.safetensors_file(path, {"b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                             "w": {"dtype": "BF16", "shape": [2, 5], "data_offsets": [8, 28]}},
                      np.array([1, 2], np.float32).tobytes() + words.tobytes())
    out = load(path)
    w = out["w"]
    assert w.dtype == np.float32 and w.shape == (2, 5) and w.data.flags.writeable
    expected = np.array(list(cases.values()) + [np.nan], dtype=np.float32).reshape(2, 5)
    np.testing.assert_array_equal(w.data, expected)
    assert np.signbit(w.data.ravel()[4])  # -0.0 stays negative
    np.testing.assert_array_equal(out["b"].data, [1, 2])


@pytest.mark.skipif(not _has_safetensors(), reason="safetensors not installed")
def test_safetensors_dtypes_numpy_lacks_are_refused_without_calling_the_file_corrupt(tmp_path):
    path = tmp_path / "f8.safetensors"
    hostile.safetensors_file(path, {"w": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]}}, bytes(4))
    with pytest.raises(ValueError, match="dtype F8_E4M3, which NumPy cannot hold.*Convert it") as info:
        load(path)
    assert "corrupt" not in str(info.value)


@pytest.mark.skipif(not _has_safetensors(), reason="safetensors not installed")
@pytest.mark.parametrize("header", [
    {"w": {"dtype": "F32", "shape": [10**10], "data_offsets": [0, 64]}},
    {"w": {"dtype": "F32", "shape": [16], "data_offsets": [0, 64 * 10**9]}},
])
def test_safetensors_declaring_more_than_its_data_is_refused(tmp_path, header):
    path = tmp_path / "big.safetensors"
    hostile.safetensors_file(path, header, bytes(64))
    with pytest.raises(ValueError, match="not a valid .safetensors") as info:
        load(path)
    assert str(path) in str(info.value)
