"""tools/mutate.py (mutation testing, not run in CI) keeps working: it finds the edits it promises, each
mutant is valid Python that differs from the original, and mutant ids are stable and unique."""

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mutate():
    spec = importlib.util.spec_from_file_location("mutate", ROOT / "tools" / "mutate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutate"] = module  # (its dataclass looks its module up)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", ["tinygrad_np/autograd/engine.py", "tinygrad_np/ops.py"])
def test_every_mutant_is_valid_python_and_differs(mutate, path):
    source = (ROOT / path).read_text()
    top = [(n.lineno, n.end_lineno) for n in ast.parse(source).body]
    mutants = mutate.mutants_of(path)
    assert len(mutants) > 300
    assert len({m.id for m in mutants}) == len(mutants)
    for m in mutants:
        mutated = mutate.apply(source, m)
        assert mutated != source, m.id
        # parse the top-level statement the edit is in (the whole file 600 times would be slow)
        first, last = next(span for span in top if span[0] <= m.line <= span[1])
        last += mutated.count("\n") - source.count("\n")
        ast.parse("".join(mutated.splitlines(keepends=True)[first - 1:last]))
    assert mutate.tests_for(path)


def test_the_kinds_of_mutants(mutate):
    mutants = mutate.mutants_of("tinygrad_np/ops.py")
    descriptions = " ".join(m.description for m in mutants)
    for kind in ("+ -> -", "* -> /", "== -> !=", "< -> <=", "and -> or", "condition -> True", "condition -> False",
                 "drop not", "True -> False", "0 -> 1", "delete `"):
        assert kind in descriptions, kind
    assert not any('"""' in m.description for m in mutants)  # docstrings are left alone
    pow_rule = [m for m in mutants if m.function == "Pow.backward"]
    assert pow_rule and all(m.path == "tinygrad_np/ops.py" for m in pow_rule)


def test_every_listed_equivalent_mutant_exists(mutate):
    ids = {m.id for path in ("tinygrad_np/autograd/engine.py", "tinygrad_np/ops.py") for m in mutate.mutants_of(path)}
    stale = [i for i in mutate.load_equivalents() if i.split("::")[0] in ("tinygrad_np/autograd/engine.py",
                                                                          "tinygrad_np/ops.py") and i not in ids]
    assert not stale, f"equivalent mutants that no longer exist (remove them): {stale}"
