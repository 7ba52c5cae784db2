"""The benchmark suite: every implementation of every workload computes the same thing as the
NumPy-by-hand side, the MLP step does not leak, and ``python -m benchmarks --quick`` produces the
full table. No timing assertions."""

import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import chain, memory, others, suite  # noqa: E402

TIMED = [name for name in suite.WORKLOADS if name != "memory"]


@pytest.mark.parametrize("name", TIMED)
def test_tinygrad_agrees_with_numpy(name):
    suite.check(name, quick=True)


def test_check_catches_a_wrong_side(monkeypatch):
    monkeypatch.setattr(chain, "run_numpy", lambda inputs: np.ones_like(inputs[0]))
    with pytest.raises(AssertionError):
        suite.check("chain")


@pytest.mark.parametrize("workload,lib", [(w, lib) for w in others.FACTORIES for lib in others.FACTORIES[w]])
def test_other_libraries_agree_with_numpy(workload, lib):
    if not others.available(lib):
        pytest.skip(f"{lib} is not installed")
    others.check(workload, lib)


def test_mlp_step_memory_does_not_grow():
    result = memory.check()
    assert result["tinygrad_np"]["peak"] > 0 and result["numpy"]["peak"] > 0


def test_memory_check_catches_a_leak():
    kept = []
    leaky = {"leaky": lambda: kept.append(np.ones(2048))}  # 16 KiB retained per step
    with pytest.raises(AssertionError, match="grew"):
        memory.check(sides=leaky)


def test_table_without_other_libraries_and_with_openblas_warning():
    env = {"date": "now", "cpu": "cpu", "cpus": 1, "python": "3", "numpy": "2", "tinygrad_np": "0",
           "libraries": {}, "blas": [], "openblas_env": {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": None}}
    results = {"mlp": {"errors": {}, "median": {"tinygrad_np": 2e-3, "numpy": 1e-3}, "reps": 3, "blas_threads": [1]}}
    text = suite.render(env, results, SimpleNamespace(quick=True))
    assert "PyTorch" not in text and "WARNING: OPENBLAS_CORETYPE=Haswell" in text
    assert "| 2.000 ms | 1.000 ms | 2.00x | ≤ 1.10x | miss |" in text


def test_quick_run_prints_every_row(tmp_path):
    out = tmp_path / "table.md"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--markdown", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = out.read_text()
    assert table in proc.stdout
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| Workload | tinygrad_np | NumPy by hand | ratio | target | result")
    for name, w in suite.WORKLOADS.items():
        if name != "memory":
            assert any(row.startswith(f"| {w.title}") for row in rows), w.title
    assert any(row.startswith("| MLP step: peak extra memory") for row in rows)
    growth = next(row for row in rows if row.startswith("| MLP: retained memory growth"))
    assert growth.rstrip(" |").split("|")[6].strip() == "pass", growth
    assert "failed" not in table and "wrong result" not in table and "Problems" not in table
    assert "glibc malloc thresholds in every workload process: MALLOC_MMAP_THRESHOLD_=67108864" in table
    for lib, label in others.LIBRARIES.items():
        assert (label in rows[0]) == (others.version(lib) is not None)


def test_workload_processes_get_fixed_malloc_thresholds_unless_set(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "12345")
    malloc = suite.environment()["malloc_env"]
    assert malloc == {"MALLOC_MMAP_THRESHOLD_": str(64 * 2**20), "MALLOC_TRIM_THRESHOLD_": "12345"}


@pytest.mark.parametrize("side", ["tinygrad_np", "numpy"])
def test_instruction_count_workload_runs(side):
    # the part of benchmarks.instructions that runs inside callgrind, here without it
    from benchmarks import instructions

    instructions._inner("xor", side, steps=2)


@pytest.mark.skipif(not shutil.which("valgrind"), reason="valgrind is not installed")
def test_instruction_count_is_reproducible():
    from benchmarks import instructions

    counts = [instructions.count("xor", "tinygrad_np", steps=2) for _ in range(2)]
    assert counts[0] == counts[1] > 100_000
