"""The benchmark suite: every implementation of every workload (tinygrad_np, the expert and the
seed-style NumPy steps, the other libraries) computes the same thing, the MLP step does not leak,
and ``python -m benchmarks --quick`` produces the full table. No timing assertions."""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import chain, cnn, common, graph_cost, memory, mlp, others, suite, xor_step  # noqa: E402

TIMED = [name for name, w in suite.WORKLOADS.items() if w.kind in ("ratio", "per_op")]


@pytest.mark.parametrize("side", ["expert", "seed"])
@pytest.mark.parametrize("name", TIMED)
def test_tinygrad_agrees_with_both_numpy_sides(name, side):
    suite.check(name, quick=True, side=side)


def test_check_catches_a_wrong_side(monkeypatch):
    wrong = lambda inputs: common.Side(lambda: None, lambda: [np.ones_like(inputs[0])])  # noqa: E731
    monkeypatch.setattr(chain, "expert", wrong)
    with pytest.raises(AssertionError):
        suite.check("chain")


@pytest.mark.parametrize("module", [mlp, xor_step])
def test_check_catches_a_wrong_update(module, monkeypatch):
    def off_by_a_little(inputs):  # the expert step, then every parameter nudged by 1e-3 of itself
        side = module.expert(inputs)
        return common.Side(side.step, lambda: [p * 1.001 for p in side.state()])

    with pytest.raises(AssertionError, match="parameter"):
        module.check(side=off_by_a_little)


def test_cnn_tied_inputs_have_ties_where_relu_is_active():
    # without ties the check of the expert CNN's max-pool routing would prove nothing
    inputs = cnn.make_tied_inputs()
    (wc, bc, _, _), x = inputs.params, inputs.x[:, 0]
    cols = np.lib.stride_tricks.sliding_window_view(np.pad(x, ((0, 0), (1, 1), (1, 1))), (3, 3), axis=(1, 2))
    conv = np.einsum("nhwij,cij->nchw", cols, wc[:, 0])
    n, c = conv.shape[:2]
    windows = conv.reshape(n, c, 14, 2, 14, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, 14, 14, 4)
    peak = windows.max(-1)
    tied = (windows == peak[..., None]).sum(-1) > 1
    active = peak + bc[:, None, None] > 0
    assert (tied & active).sum() > 1000


@pytest.mark.parametrize("side", ["expert", "seed"])
def test_cnn_check_catches_routing_ties_to_every_maximum(side, monkeypatch):
    # Both NumPy sides pick a window's first maximum with np.greater(is_max, taken) ("a maximum, and
    # no earlier one was"). Seen through a NumPy whose greater ignores ``taken`` for these boolean
    # masks, cnn.py sends the gradient to every maximum of a window: the tie check must catch that.
    def every_maximum(a, b, *args, **kwargs):
        if np.result_type(a) == np.bool_ and np.result_type(b) == np.bool_:
            out = kwargs.get("out", args[0] if args else None)
            return a if out is None else np.copyto(out, a) or out
        return np.greater(a, b, *args, **kwargs)

    numpy_seen_by_cnn = SimpleNamespace(**vars(np))
    numpy_seen_by_cnn.greater = every_maximum
    monkeypatch.setattr(cnn, "np", numpy_seen_by_cnn)
    with pytest.raises(AssertionError, match="parameter"):
        suite.check("cnn", side=side)


@pytest.mark.parametrize("workload,lib", [(w, lib) for w in others.FACTORIES for lib in others.FACTORIES[w]])
def test_other_libraries_agree_with_numpy(workload, lib):
    if not others.available(lib):
        pytest.skip(f"{lib} is not installed")
    others.check(workload, lib)


def test_mlp_step_memory_does_not_grow():
    result = memory.check()
    assert result["tinygrad_np"]["peak"] > 0 and result["numpy_seed"]["peak"] > 0
    assert result["numpy"]["peak"] < result["numpy_seed"]["peak"] / 10  # the expert step allocates (almost) nothing


def test_memory_check_catches_a_leak():
    kept = []
    leaky = {"leaky": lambda: kept.append(np.ones(2048))}  # 16 KiB retained per step
    with pytest.raises(AssertionError, match="grew"):
        memory.check(sides=leaky)


def test_table_without_other_libraries_and_with_openblas_warning():
    env = {"date": "now", "cpu": "cpu", "cpus": 1, "python": "3", "numpy": "2", "tinygrad_np": "0",
           "libraries": {}, "blas": [], "openblas_env": {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": None},
           "malloc_env": {}}

    def run(ours, expert):
        median = {"tinygrad_np": ours, "numpy": expert, "numpy_seed": 1.5e-3}
        return {"errors": {}, "median": median, "ratio": {k: v / expert for k, v in median.items()}, "reps": 3,
                "blas": "openblas, 1 thread"}

    results = {"mlp": [run(2e-3, 1e-3), run(1.2e-3, 1e-3), run(3e-3, 1e-3)]}
    text = suite.render(env, results, SimpleNamespace(quick=True))
    assert "PyTorch" not in text and "WARNING: OPENBLAS_CORETYPE=Haswell" in text
    assert "glibc malloc: default settings" in text
    # medians over the three runs; tinygrad_np's ratio with its spread; the seed-style column's ratio
    assert "| 2.000 ms | 1.000 ms | 2.00x (1.20x–3.00x) | ≤ 1.10x | miss | 1.500 ms (1.50x) |" in text
    assert "medians over 3 runs" in text


def test_quick_run_prints_every_row(tmp_path):
    out = tmp_path / "table.md"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--markdown", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = out.read_text()
    assert table in proc.stdout
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| Workload | tinygrad_np | NumPy, expert | ratio to expert | target | result | "
                              "NumPy, seed-style (ratio)")
    for name, w in suite.WORKLOADS.items():
        if name != "memory":
            assert any(row.startswith(f"| {w.title}") for row in rows), w.title
    assert any(row.startswith("| MLP step: peak extra memory") for row in rows)
    growth = next(row for row in rows if row.startswith("| MLP: retained memory growth"))
    assert growth.rstrip(" |").split("|")[6].strip() == "pass", growth
    assert "failed" not in table and "wrong result" not in table and "Problems" not in table
    if not any(k in os.environ for k in suite.MALLOC_VARS):
        assert "glibc malloc: default settings (no MALLOC_* variables)" in table
    for lib, label in others.LIBRARIES.items():
        assert (label in rows[0]) == (others.version(lib) is not None)


def test_workload_processes_run_in_your_environment_unless_asked(monkeypatch):
    for k in suite.MALLOC_VARS:
        monkeypatch.delenv(k, raising=False)
    assert suite.environment()["malloc_env"] == {}
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "12345")
    assert suite.worker_malloc_env() == {"MALLOC_TRIM_THRESHOLD_": "12345"}
    assert suite.worker_malloc_env(malloc_thresholds=True) == {"MALLOC_MMAP_THRESHOLD_": str(64 * 2**20),
                                                               "MALLOC_TRIM_THRESHOLD_": "12345"}


def test_targets_are_the_issues():
    targets = {name: w.target for name, w in suite.WORKLOADS.items()}
    assert targets == {"mlp": 1.10, "cnn": 1.35, "xor": 3.0, "chain": 1.8, "long_chain": 3.0, "memory": 1.5,
                       "import": 0.060}


def test_graph_cost_quick_run():
    # in a fresh process: this one's millions of objects (torch, hypothesis) would make every gc.collect slow
    proc = subprocess.run([sys.executable, "-m", "benchmarks.graph_cost", "--quick"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for chain_name in graph_cost.CHAINS:
        assert f"| {chain_name} | tinygrad_np |" in proc.stdout and f"| {chain_name} | NumPy by hand |" in proc.stdout
    assert "memory held by keeping `loss` alive" in proc.stdout


@pytest.mark.parametrize("side", ["tinygrad_np", "numpy", "numpy_seed"])
def test_instruction_count_workload_runs(side):
    # the part of benchmarks.instructions that runs inside callgrind, here without it
    from benchmarks import instructions

    instructions._inner("xor", side, steps=2)


@pytest.mark.skipif(not shutil.which("valgrind"), reason="valgrind is not installed")
def test_instruction_count_is_reproducible():
    from benchmarks import instructions

    counts = [instructions.count("xor", "tinygrad_np", steps=2) for _ in range(2)]
    assert counts[0] == counts[1] > 100_000


@pytest.mark.parametrize("name", ["mlp", "cnn", "xor", "chain", "long_chain"])
def test_replay_computes_what_the_eager_step_computes(name):
    from benchmarks import replay

    assert replay.check(name, quick=True) == 0.0  # the same rules in the same order: bit for bit


def test_replay_check_catches_a_replay_of_another_step(monkeypatch):
    from benchmarks import replay

    record = replay.Replay.__init__
    monkeypatch.setattr(replay.Replay, "__init__", lambda self, root: record(self, root * 2))
    with pytest.raises(AssertionError):
        replay.check("xor")


def test_replay_quick_run_prints_every_row():
    proc = subprocess.run([sys.executable, "-m", "benchmarks.replay", "--quick"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for name in ("mlp", "cnn", "xor", "chain", "long_chain"):
        assert f"| {suite.WORKLOADS[name].title} | " in proc.stdout
