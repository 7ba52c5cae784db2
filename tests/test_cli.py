"""The ``tinygrad-np`` command: main([...]) in-process, and --help once through a real subprocess."""

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_np import cli

pytest.importorskip("tqdm")
pytest.importorskip("matplotlib")
HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's `dot` program is not installed")


pytestmark = pytest.mark.usefixtures("one_blas_thread")


def no_dot(monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "dot" else real_which(name, *a, **k))


def printed_accuracy(text: str) -> float:
    return float(re.search(r"test accuracy: ([0-9.]+)", text).group(1))


def test_help_in_a_subprocess():
    exe = shutil.which("tinygrad-np")
    command = [exe] if exe else [sys.executable, "-m", "tinygrad_np.cli"]
    proc = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for word in ("usage: tinygrad-np", "demo", "graph", "gradcheck", "explain", "digits"):
        assert word in proc.stdout


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 2
    assert "usage: tinygrad-np" in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0 and "tinygrad_np 0." in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["demo", "--model", "rnn"], ["graph", "--format", "gif"], ["nope"],
                                  ["explain", "--model", "rnn"], ["explain", "--lang", "fr"]])
def test_bad_arguments_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2 and "invalid choice" in capsys.readouterr().err


# ----------------------------------------------------------------------------- demo
@needs_dot
def test_demo_full_run(tmp_path, capsys):
    assert cli.main(["demo", "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert printed_accuracy(out) >= 0.97
    assert "demo mlp: 100%" in err and "40/40" in err  # the progress bar
    assert (tmp_path / "curves.png").read_bytes().startswith(b"\x89PNG")
    assert "<svg" in (tmp_path / "model_graph.svg").read_text()
    assert (tmp_path / "model.npz").stat().st_size > 0


@needs_dot
def test_demo_cnn_fast(tmp_path, capsys):
    assert cli.main(["demo", "--model", "cnn", "--fast", "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert printed_accuracy(out) >= 0.8 and "3/3" in err
    svg = html.unescape((tmp_path / "model_graph.svg").read_text())
    assert "Conv2d(1 -> 32, 3x3)" in svg and "MaxPool2d" in svg  # grouped by module
    assert (tmp_path / "curves.png").exists() and (tmp_path / "model.npz").exists()


def test_demo_without_dot_still_succeeds_with_the_dot_file(tmp_path, monkeypatch, capsys):
    no_dot(monkeypatch)
    assert cli.main(["demo", "--fast", "--epochs", "7", "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "apt-get install graphviz" in err and "model_graph.dot" in out
    assert printed_accuracy(out) >= 0.85
    assert "digraph" in (tmp_path / "model_graph.dot").read_text()
    assert not (tmp_path / "model_graph.svg").exists()
    assert (tmp_path / "curves.png").exists()


def test_demo_models_write_to_folders_of_their_own(tmp_path, monkeypatch, capsys):
    """The CNN demo does not overwrite the MLP demo's outputs: each model has its own default folder."""
    import tinygrad_np as tg

    no_dot(monkeypatch)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", "--epochs", "1"]) == 0
    assert cli.main(["demo", "--model", "cnn", "--epochs", "1"]) == 0
    assert "outputs/demo_cnn" in capsys.readouterr().out
    mlp, cnn = tg.load(tmp_path / "outputs/demo/model.npz"), tg.load(tmp_path / "outputs/demo_cnn/model.npz")
    assert mlp["0.weight"].shape == (256, 64) and cnn["0.weight"].shape == (32, 1, 3, 3)
    for folder in ("demo", "demo_cnn"):
        assert (tmp_path / "outputs" / folder / "curves.png").exists()
        assert (tmp_path / "outputs" / folder / "model_graph.dot").exists()


def test_demo_epochs(tmp_path, monkeypatch, capsys):
    no_dot(monkeypatch)  # this test is not about the picture: skip rendering
    assert cli.main(["demo", "--epochs", "2", "--out", str(tmp_path)]) == 0
    assert "2/2" in capsys.readouterr().err


# ----------------------------------------------------------------------------- graph
@needs_dot
@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_graph_formats(tmp_path, fmt, magic, capsys):
    assert cli.main(["graph", "--format", fmt, "--out", str(tmp_path / "g")]) == 0
    path = tmp_path / f"g.{fmt}"
    assert path.read_bytes().startswith(magic)
    assert str(path) in capsys.readouterr().out


@needs_dot
def test_graph_format_from_suffix_and_default_path(tmp_path, monkeypatch):
    assert cli.main(["graph", "--model", "cnn", "--out", str(tmp_path / "cnn.png")]) == 0
    assert (tmp_path / "cnn.png").read_bytes().startswith(b"\x89PNG")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["graph"]) == 0
    assert "Linear(64 -> 256)" in html.unescape((tmp_path / "outputs/graph/mlp_graph.svg").read_text())


@needs_dot
def test_graph_depth_folds_modules(tmp_path):
    assert cli.main(["graph", "--model", "cnn", "--out", str(tmp_path / "full.svg")]) == 0
    assert cli.main(["graph", "--model", "cnn", "--depth", "0", "--out", str(tmp_path / "folded.svg")]) == 0
    full, folded = (tmp_path / "full.svg").read_text(), (tmp_path / "folded.svg").read_text()
    assert "Matmul" in full and "Matmul" not in folded
    assert full.count("<g id=\"node") > 3 * folded.count("<g id=\"node")


def test_graph_without_dot_fails_but_writes_the_dot_file(tmp_path, monkeypatch, capsys):
    no_dot(monkeypatch)
    assert cli.main(["graph", "--out", str(tmp_path / "g.svg")]) == 1
    assert "graphviz" in capsys.readouterr().err.lower()
    assert "digraph" in (tmp_path / "g.dot").read_text()


# ----------------------------------------------------------------------------- gradcheck
def test_gradcheck_command_passes(capsys):
    assert cli.main(["gradcheck"]) == 0
    out = capsys.readouterr().out
    assert out.count("  ok  ") == len(cli._checks()) and "all gradients match" in out


def test_gradcheck_command_reports_a_wrong_gradient(monkeypatch, capsys):
    import tinygrad_np as tg

    x = tg.tensor([0.5, -1.0, 2.0], dtype="float64", requires_grad=True)
    broken = ("x * x.detach()", lambda t: t * t.detach(), (x,), None)  # backward misses half of d(x^2)/dx
    monkeypatch.setattr(cli, "_checks", lambda: [broken])
    assert cli.main(["gradcheck"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  x * x.detach()" in out and "1 check(s) FAILED" in out


# ----------------------------------------------------------------------------- explain
def test_explain_xor_starts_from_the_seeds_weights():
    """The default network is the seed's XOR network as np.random.seed(42) initialises it: its first loss
    is the one the tutorial's hand-written layers compute (0.329071)."""
    import numpy as np

    import tinygrad_np.nn.functional as F

    model, x, y = cli.seed_xor()
    rng = np.random.RandomState(42)
    w1, w2 = rng.randn(2, 8) * np.sqrt(2 / 2), rng.randn(8, 1) * np.sqrt(2 / 8)
    assert np.array_equal(model[0].weight.data, w1.T) and np.array_equal(model[2].weight.data, w2.T)
    assert not model[0].bias.data.any() and model[0].weight.dtype == np.float64
    assert f"{F.mse_loss(model(x), y).item():.6f}" == "0.329071"


@needs_dot
def test_explain_writes_the_page_and_prints_the_table(tmp_path, monkeypatch, capsys):
    import numpy as np

    import tinygrad_np.nn.functional as F

    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: opened.append(url) or True)
    assert cli.main(["explain", "--out", str(tmp_path / "xor.html"), "--open"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Backward pass from loss: 8 steps in the engine's order")
    assert "rule  ∂/∂x = g·σ(x)·(1 − σ(x))" in out and "-> into 0.weight's gradient" in out
    page = (tmp_path / "xor.html").read_text(encoding="utf-8")
    assert page.count('<section class="step"') == 8 and page.count("<svg") == 8 and '<html lang="en">' in page
    assert f"wrote {tmp_path / 'xor.html'}" in out
    assert opened == [(tmp_path / "xor.html").resolve().as_uri()]
    model, x, y = cli.seed_xor()  # the table's gradients are those of backward()
    F.mse_loss(model(x), y).backward()
    g = model[0].weight.grad.numpy().reshape(-1)
    assert "0.weight: (8, 2) [" + ", ".join(f"{v:.4g}" for v in g[:4]) + ", …]" in out
    assert f"|g|={np.linalg.norm(g):.4g}" in out


@needs_dot
def test_explain_the_demo_mlp_in_korean(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["explain", "--model", "mlp", "--lang", "ko"]) == 0
    out = capsys.readouterr().out
    assert "(0: Linear" in out and "CrossEntropyFn" in out and "all gradients float32" in out
    assert "-> into 2.weight's gradient" in out and "images: a constant, no gradient" in out
    page = (tmp_path / "outputs/explain/mlp_ko.html").read_text(encoding="utf-8")
    assert '<html lang="ko">' in page and "Backward pass(역전파)" in page
    assert 'data-indicator="{n}단계 중 {k}단계"' in page
    n = int(re.match(r"Backward pass from loss: (\d+) steps", out).group(1))
    assert n == 4 and page.count('<section class="step"') == n == page.count("<svg")


def test_explain_without_dot_still_writes_the_page(tmp_path, monkeypatch, capsys):
    no_dot(monkeypatch)
    assert cli.main(["explain", "--out", str(tmp_path / "p.html")]) == 0
    assert "apt-get install graphviz" in capsys.readouterr().err
    page = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert page.count('<section class="step"') == 8 and "<svg" not in page and "Graphviz" in page


def test_explain_xor_needs_no_extra(tmp_path, monkeypatch, capsys):
    """The README promises `pip install -e . && tinygrad-np explain`: the XOR page needs no training extra."""
    for name in ("matplotlib", "tqdm", "sklearn", "threadpoolctl"):
        monkeypatch.setitem(sys.modules, name, None)  # importing them now raises ImportError
    assert cli.main(["explain", "--out", str(tmp_path / "p.html")]) == 0
    assert (tmp_path / "p.html").exists() and "8 steps" in capsys.readouterr().out


def test_explain_help_says_which_weights(capsys):
    with pytest.raises(SystemExit):
        cli.main(["explain", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Nothing is trained" in text and "np.random.seed(42)" in text and "--lang {en,ko}" in text


def test_console_script_is_declared():
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert 'tinygrad-np = "tinygrad_np.cli:main"' in pyproject
