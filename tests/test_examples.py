"""Run every example (fast mode, and the quick ones in full mode) and check what it reports and writes."""

import gzip
import importlib.util
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

pytest.importorskip("tqdm")
pytest.importorskip("matplotlib")


@pytest.fixture(autouse=True)
def examples_use_one_blas_thread(monkeypatch):
    """Every example limits NumPy's BLAS to one thread by itself (--threads, default 1), as the demo does.

    The test runs with two BLAS threads allowed and records, at every backward(), how many the
    example allowed; every example that trains must have brought it down to one.
    """
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import tinygrad_np as tg

    blas = threadpoolctl.ThreadpoolController().select(user_api="blas")
    seen = []
    backward = tg.Tensor.backward

    def recording_backward(self, *args, **kwargs):
        seen.append(max((lib.num_threads for lib in blas.lib_controllers), default=1))
        return backward(self, *args, **kwargs)

    monkeypatch.setattr(tg.Tensor, "backward", recording_backward)
    with blas.limit(limits=2):
        if blas.lib_controllers and max(lib.num_threads for lib in blas.lib_controllers) < 2:
            pytest.skip("this BLAS cannot run two threads, so a limit to one cannot be seen")
        yield seen
    assert set(seen) <= {1}, f"an example ran backward() with {max(seen)} BLAS threads; it should use one"


def run_example(name: str, *argv) -> dict:
    """Import examples/<name>.py as a module and call its main(argv)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main([str(a) for a in argv])


@pytest.fixture
def model_modes(monkeypatch):
    """Records (training mode, grad enabled) at every call of a whole nn.Sequential model."""
    import tinygrad_np as tg
    import tinygrad_np.nn as nn

    calls = []
    call = nn.Sequential.__call__

    def recording_call(self, *args, **kwargs):
        calls.append((self.training, tg.is_grad_enabled()))
        return call(self, *args, **kwargs)

    monkeypatch.setattr(nn.Sequential, "__call__", recording_call)
    return calls


def assert_train_then_eval(calls) -> None:
    """The model trained in training mode (with a graph) and was evaluated in eval mode (without one)."""
    assert (True, True) in calls and (False, False) in calls
    assert set(calls) <= {(True, True), (False, False)}, f"(training, grad enabled) seen: {sorted(set(calls))}"


def test_the_blas_thread_check_can_fail(tmp_path, examples_use_one_blas_thread):
    seen = examples_use_one_blas_thread
    run_example("xor", "--fast", "--threads", "2", "--out", tmp_path)
    assert set(seen) == {2}
    seen.clear()  # the fixture's own check would fail: this run asked for two threads on purpose


def test_the_mode_check_can_fail(model_modes):
    import tinygrad_np as tg
    import tinygrad_np.nn as nn

    model = nn.Sequential(nn.Linear(2, 1))
    model(tg.ones(1, 2))
    with tg.no_grad():
        model(tg.ones(1, 2))  # evaluated without model.eval()
    with pytest.raises(AssertionError):
        assert_train_then_eval(model_modes)


def assert_png(path) -> None:
    data = Path(path).read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 5000, f"{path} is not a (non-empty) PNG"


def assert_outputs(result: dict, out: Path) -> None:
    assert sorted(Path(f).name for f in result["files"]) == ["curves.png", "model.npz"]
    assert all(Path(f).parent == out for f in result["files"])
    assert_png(out / "curves.png")
    import tinygrad_np as tg

    state = tg.load(out / "model.npz")
    assert state and all(k.endswith(("weight", "bias")) for k in state)


# ----------------------------------------------------------------------------- XOR
def test_xor_full_run_fits_all_four_points(tmp_path, capsys):
    result = run_example("xor", "--out", tmp_path)
    error = np.abs(result["predictions"] - result["targets"])
    assert error.max() < 0.1, f"XOR predictions {result['predictions']} not within 0.1 of {result['targets']}"
    assert len(result["losses"]) == 1000 and result["losses"][-1] < result["losses"][0] / 50
    assert_png(tmp_path / "curves.png")
    printed = capsys.readouterr().out
    assert printed.count("(target") == 4 and "[1 1] ->" in printed


def test_xor_fast(tmp_path, model_modes):
    result = run_example("xor", "--fast", "--out", tmp_path)
    assert_train_then_eval(model_modes)
    assert len(result["losses"]) == 300 and result["losses"][-1] < 0.02
    assert np.array_equal(np.round(result["predictions"]), result["targets"])
    assert_png(tmp_path / "curves.png")


def test_xor_script_runs_as_a_program(tmp_path):
    proc = subprocess.run([sys.executable, str(EXAMPLES / "xor.py"), "--fast", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "predictions after training" in proc.stdout
    assert "XOR: 100%" in proc.stderr  # the tqdm progress bar
    assert_png(tmp_path / "curves.png")


# ----------------------------------------------------------------------------- the seed's 4x4 patterns
def test_seed_patterns_fast(tmp_path, model_modes):
    result = run_example("seed_patterns", "--fast", "--out", tmp_path)
    assert_train_then_eval(model_modes)
    assert result["test_accuracy"] >= 0.95
    assert result["final_loss"] < 0.1
    assert [Path(f).name for f in result["files"]] == ["curves.png"]
    assert_png(tmp_path / "curves.png")


# ----------------------------------------------------------------------------- gradient checking
@pytest.mark.parametrize("fast", [False, True])
def test_gradient_check(fast, capsys):
    result = run_example("gradient_check", *(["--fast"] if fast else []))
    assert result["gradcheck"] and result["passed"] and result["bug_caught"]
    assert result["max_rel_error"] < 1e-5
    printed = capsys.readouterr().out
    assert "gradient check PASSED" in printed and "max relative error" in printed


# ----------------------------------------------------------------------------- digits
def test_digits_mlp_full_reaches_97_percent(tmp_path):
    result = run_example("digits_mlp", "--out", tmp_path)
    assert result["test_accuracy"] >= 0.97
    assert_outputs(result, tmp_path)


def test_digits_mlp_fast(tmp_path, model_modes):
    result = run_example("digits_mlp", "--fast", "--out", tmp_path)
    assert_train_then_eval(model_modes)
    assert result["test_accuracy"] >= 0.9
    assert_outputs(result, tmp_path)


def test_digits_cnn_full_reaches_98_percent(tmp_path):
    result = run_example("digits_cnn", "--out", tmp_path)
    assert result["test_accuracy"] >= 0.98
    assert_outputs(result, tmp_path)


def test_digits_cnn_fast(tmp_path, model_modes):
    result = run_example("digits_cnn", "--fast", "--out", tmp_path)
    assert_train_then_eval(model_modes)  # it has Dropout: here the mode matters
    assert result["test_accuracy"] >= 0.8
    assert_outputs(result, tmp_path)


def test_random_shift_moves_images_by_at_most_one_pixel():
    spec = importlib.util.spec_from_file_location("example_digits_cnn", EXAMPLES / "digits_cnn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    images = np.zeros((50, 1, 8, 8), dtype=np.float32)
    images[:, 0, 3:5, 3:5] = 1.0
    shifted = module.random_shift(images, np.random.default_rng(0))
    assert shifted.shape == images.shape and shifted.dtype == images.dtype
    offsets = set()
    for img in shifted[:, 0]:
        rows, cols = np.nonzero(img)
        assert img.sum() == 4  # the 2x2 block moved, not cut
        offsets.add((rows.min() - 3, cols.min() - 3))
    assert offsets <= {(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)} and len(offsets) > 4


# ----------------------------------------------------------------------------- MNIST (from synthetic IDX files)
def write_fake_mnist(root: Path, n_train: int = 600, n_test: int = 200) -> None:
    """MNIST-format files whose digit k is a bright bar at a place of its own, plus noise."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = (rng.random((n, 28, 28)) * 80).astype(np.uint8)
        for image, k in zip(images, labels):
            row, col = divmod(int(k), 5)
            image[2 + 12 * row:10 + 12 * row, 1 + 5 * col:5 + 5 * col] = 255
        with gzip.open(root / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(struct.pack(">IIII", 0x803, n, 28, 28) + images.tobytes())
        with open(root / f"{prefix}-labels-idx1-ubyte", "wb") as f:  # one file not gzipped
            f.write(struct.pack(">II", 0x801, n) + labels.tobytes())


def test_mnist_fast_on_idx_files(tmp_path, model_modes):
    data_dir = tmp_path / "mnist"
    data_dir.mkdir()
    write_fake_mnist(data_dir)
    result = run_example("mnist", "--data-dir", data_dir, "--fast", "--out", tmp_path / "out")
    assert_train_then_eval(model_modes)
    assert result["test_accuracy"] >= 0.9
    assert_outputs(result, tmp_path / "out")


def test_mnist_missing_files_give_a_clear_message(tmp_path):
    with pytest.raises(SystemExit) as info:
        run_example("mnist", "--data-dir", tmp_path / "nowhere", "--out", tmp_path / "out")
    message = str(info.value.code)
    assert "train-images-idx3-ubyte" in message and "t10k-labels-idx1-ubyte" in message
    assert "--download" in message and str(tmp_path / "nowhere") in message
    assert not (tmp_path / "out").exists()


def test_mnist_needs_data_dir(capsys):
    with pytest.raises(SystemExit) as info:
        run_example("mnist")
    assert info.value.code == 2 and "--data-dir" in capsys.readouterr().err


# ----------------------------------------------------------------------------- all examples
def test_no_example_writes_a_backward_rule():
    for path in EXAMPLES.glob("*.py"):
        source = path.read_text()
        assert not re.search(r"def backward|Function\)", source), f"{path.name} writes its own backward"


# ----------------------------------------------------------------------------- the shared helpers
def test_accuracy_uses_eval_mode_and_restores_it():
    import tinygrad_np as tg
    import tinygrad_np.nn as nn
    from tinygrad_np._training import accuracy

    model = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.9))
    X = tg.randn(10, 3)
    with tg.no_grad():
        y = model.eval()(X).argmax(axis=1)
    model.train()
    assert accuracy(model, X, y, batch_size=3) == 1.0  # dropout off while measuring, batches of 3, 3, 3, 1
    assert model.training
    assert accuracy(model.eval(), X, 1 - y) == 0.0 and not model.training


def test_save_curves(tmp_path):
    from tinygrad_np._training import save_curves

    path = save_curves({"loss": {"train": [1.0, 0.1, 0.01]}, "accuracy": {"train": [0.5, 0.9, 1.0],
                                                                          "test": [0.4, 0.8, 0.9]}},
                       tmp_path / "sub" / "c.png", title="t")
    assert path == str(tmp_path / "sub" / "c.png")
    assert_png(path)


def test_blas_threads():
    from tinygrad_np._training import blas_threads

    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(2), blas_threads(1):
        assert all(info["num_threads"] == 1 for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas")
