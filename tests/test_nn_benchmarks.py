"""The MLP and CNN benchmarks compare like with like: the tinygrad_np step and the hand-written
NumPy step must compute the same losses and parameter updates (no timing here)."""

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_benchmark_sides_agree(name):
    load(name).check(steps=3)
