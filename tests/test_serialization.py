"""save/load: round trips, atomic writes, corrupt files and clear errors."""

import os
import sys
import zipfile

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
    ({"w": object()}, "'w'.*object is not an array"),
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
    with zipfile.ZipFile(path, "w") as zf:
        with zf.open("__tinygrad_np__.npy", "w") as f:
            np.lib.format.write_array(f, np.array('{"format": "tinygrad_np", "version": 1, "tree": '
                                                  '{"dict": [["w", {"tensor": "missing"}]]}}'))
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
