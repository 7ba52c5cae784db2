"""Mutation testing: make small plausible edits to the library, one at a time, and check that a test fails.

    python tools/mutate.py tinygrad_np/autograd/engine.py          # every mutant of one file
    python tools/mutate.py tinygrad_np/ops.py --jobs 2 --report ops.json
    python tools/mutate.py tinygrad_np/ops.py --list                # the mutants, without running tests
    python tools/mutate.py tinygrad_np/ops.py --only "Pow.backward"  # the mutants in one function
    python tools/mutate.py tinygrad_np/ops.py --tests tests/test_ops.py   # another test subset
    python tools/mutate.py tinygrad_np/ops.py --rerun ops.json      # again, the survivors of an earlier run
    python tools/mutate.py tinygrad_np/nn/functional.py --sample 100  # 100 mutants drawn at random (--seed)

A mutant is one edit: an operator swapped (+ and -, * and /, < and <=, == and !=, and and or, ...), a
constant changed (n to n + 1, True to False), a condition replaced by True or by False, a ``not`` or
a unary minus dropped, or a statement deleted. Each runs the file's test subset (FILE_TESTS below,
``-x``, in a private copy of the project, so several run in parallel); a failing test kills it. To save
time it first runs the tests whose names contain the mutated function's name (``Pow.backward`` ->
``-k pow``) and only runs the whole subset if those pass; a mutant that survives the subset is tried
on wider, slower tests (WIDE_TESTS). A mutant that survives them all is either a gap in
the tests or equivalent (no observable change); the equivalent ones are listed, with the reason, in
tools/mutation_equivalents.txt, and the score is killed / (total - equivalent).

Not part of CI: all of engine.py and ops.py take several hours on two cores; --sample gives a score sooner.
See docs/testing.md ("Mutation testing").
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENTS = ROOT / "tools" / "mutation_equivalents.txt"
QUICK_OPINFO = {"OPINFO_DTYPES": "float64,int64"}  # the op database on two dtypes: the gradients are float64 anyway

# the tests that should catch a mutant of each file: fast, but every behaviour of the file covered
FILE_TESTS = {
    "tinygrad_np/autograd/engine.py": [
        "tests/test_engine.py", "tests/test_engine_reference.py", "tests/test_inplace.py", "tests/test_hooks.py",
        "tests/test_anomaly.py", "tests/test_catch_what_we_break.py", "tests/test_ops.py",
        "tests/test_nn_create_graph.py", "tests/test_autograd_functional.py"] + [
        f"tests/test_opinfo.py::test_{check}" for check in (
            "gradcheck", "gradgradcheck", "create_graph_gradient_equals_plain_and_aliases_nothing",
            "gradient_has_the_inputs_dtype_and_shape", "gradient_at_kinks_follows_the_convention", "empty_and_0d",
            "ops_without_gradient_return_tensors_without_grad")],
    "tinygrad_np/ops.py": ["tests/test_ops.py", "tests/test_catch_what_we_break.py", "tests/test_nn_create_graph.py",
                           "tests/test_opinfo.py"],
    "tinygrad_np/tensor.py": ["tests/test_ops.py", "tests/test_engine.py", "tests/test_opinfo.py"],
    "tinygrad_np/nn/": ["tests/test_nn_create_graph.py", "tests/test_catch_what_we_break.py", "tests/test_opinfo.py"],
    "tinygrad_np/optim/": ["tests/test_optim.py", "tests/test_catch_what_we_break.py"],
}

# tried on the mutants that survive FILE_TESTS: slower tests that also exercise the file
WIDE_TESTS = {
    "tinygrad_np/autograd/engine.py": ["tests/test_bad_inputs.py", "tests/test_nn_module.py", "tests/test_viz.py",
                                       "tests/test_explain.py", "tests/test_memory.py",
                                       "tests/test_testing_toolkit.py", "tests/test_optim.py", "tests/test_opinfo.py"],
    "tinygrad_np/ops.py": ["tests/test_bad_inputs.py", "tests/test_engine.py", "tests/test_nn_layers.py",
                           "tests/test_nn_conv.py", "tests/test_nn_losses.py", "tests/test_testing_toolkit.py"],
    "tinygrad_np/tensor.py": ["tests/test_bad_inputs.py", "tests/test_nn_module.py", "tests/test_pytorch_idioms.py"],
    "tinygrad_np/nn/": ["tests/"],
    "tinygrad_np/optim/": ["tests/test_nn_module.py", "tests/test_serialization.py"],
}

BINARY = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
          ast.Pow: ast.Mult, ast.Mod: ast.FloorDiv, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd}
COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
           ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Pow: "**", ast.Mod: "%",
          ast.BitAnd: "&", ast.BitOr: "|", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
          ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.And: "and",
          ast.Or: "or"}


@dataclass
class Mutant:
    id: str  # stable while the function's code does not change: function, kind, edit, occurrence
    path: str
    line: int
    description: str
    start: tuple  # (line, col) of the replaced source, 1-based line
    end: tuple
    replacement: str
    function: str
    expression: bool = True  # (an expression is replaced in parentheses, a statement as it is)
    status: str = ""
    seconds: float = 0.0


# ============================================================================ making mutants
class _Finder(ast.NodeVisitor):
    """Collects the edits, each as (node to replace, replacement source, kind)."""

    def __init__(self, lines):
        self.lines, self.scope, self.edits = lines, [], []

    def _skip(self, node) -> bool:
        line = self.lines[node.lineno - 1]
        return "pragma: no mutate" in line or "pragma: no cover" in line

    def _add(self, node, new, kind):
        if not self._skip(node):
            self.edits.append((node, new, kind, ".".join(self.scope) or "<module>"))

    def _scoped(self, node):
        self.scope.append(node.name)
        self._mutate_body(node.body)
        for stmt in node.body:
            self.visit(stmt)
        self.scope.pop()

    def visit_FunctionDef(self, node):
        if node.name == "__repr__":  # messages and reprs: not behaviour the tests pin down
            return
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)
        self._scoped(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self._scoped(node)

    def _mutate_body(self, body):
        """Statement deletion: an assignment or a call whose effect the tests should notice."""
        for stmt in body:
            if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)) or (
                    isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
                if len(body) > 1:
                    self._add(stmt, "pass", "delete statement")

    def generic_visit(self, node):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt) and not isinstance(
                    node, (ast.FunctionDef, ast.ClassDef, ast.Module)):
                self._mutate_body(block)
        super().generic_visit(node)

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # a docstring
        self.generic_visit(node)

    def visit_JoinedStr(self, node):
        return  # f-strings: messages

    def visit_Raise(self, node):
        return  # the error's class is tested, its message built here is not mutated

    def visit_BinOp(self, node):
        swap = BINARY.get(type(node.op))
        if swap is not None:
            self._add(node, ast.unparse(ast.BinOp(node.left, swap(), node.right)),
                      f"{SYMBOL[type(node.op)]} -> {SYMBOL[swap]}")
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        swap = BINARY.get(type(node.op))
        if swap is not None:
            self._add(node, ast.unparse(ast.AugAssign(node.target, swap(), node.value)),
                      f"{SYMBOL[type(node.op)]}= -> {SYMBOL[swap]}=")
        self.generic_visit(node)

    def visit_Compare(self, node):
        for i, op in enumerate(node.ops):
            swap = COMPARE.get(type(op))
            if swap is not None:
                ops = list(node.ops)
                ops[i] = swap()
                self._add(node, ast.unparse(ast.Compare(node.left, ops, node.comparators)),
                          f"{SYMBOL[type(op)]} -> {SYMBOL[swap]}")
        self.generic_visit(node)

    def visit_BoolOp(self, node):
        swap = ast.Or if isinstance(node.op, ast.And) else ast.And
        self._add(node, ast.unparse(ast.BoolOp(swap(), node.values)), f"{SYMBOL[type(node.op)]} -> {SYMBOL[swap]}")
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, (ast.Not, ast.USub)):
            self._add(node, ast.unparse(node.operand), "drop " + ("not" if isinstance(node.op, ast.Not) else "-"))
        self.generic_visit(node)

    def _condition(self, test):
        self._add(test, "True", "condition -> True")
        self._add(test, "False", "condition -> False")

    def visit_If(self, node):
        self._condition(node.test)
        self.generic_visit(node)

    def visit_While(self, node):
        self._add(node.test, "False", "condition -> False")
        self.generic_visit(node)

    def visit_IfExp(self, node):
        self._condition(node.test)
        self.generic_visit(node)

    def visit_Constant(self, node):
        value = node.value
        if isinstance(value, bool):
            self._add(node, repr(not value), f"{value} -> {not value}")
        elif isinstance(value, int):
            self._add(node, repr(value + 1), f"{value} -> {value + 1}")
            if value in (0, 1):
                self._add(node, repr(1 - value), f"{value} -> {1 - value}")
        elif isinstance(value, float):
            new = value * 2 if value else 1.0
            self._add(node, repr(new), f"{value!r} -> {new!r}")


def _docstring_lines(tree) -> set:
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(
                    first.value.value, str):
                skip.update(range(first.lineno, first.end_lineno + 1))
    return skip


def mutants_of(path: str) -> list:
    source = (ROOT / path).read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    finder = _Finder(lines)
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            continue
        finder.visit(stmt)
    skip = _docstring_lines(tree)
    encoded = [line.encode() for line in source.splitlines(keepends=True)]

    def segment(node) -> str:  # (ast.get_source_segment, without splitting the file again for every node)
        if node.lineno == node.end_lineno:
            return encoded[node.lineno - 1][node.col_offset:node.end_col_offset].decode()
        middle = encoded[node.lineno:node.end_lineno - 1]
        return b"".join([encoded[node.lineno - 1][node.col_offset:], *middle,
                         encoded[node.end_lineno - 1][:node.end_col_offset]]).decode()

    out, seen = [], {}
    for node, new, kind, function in finder.edits:
        if node.lineno in skip:
            continue
        original = segment(node)
        if isinstance(node, ast.stmt) and new == "pass":
            description = f"delete `{original.splitlines()[0].strip()}`"
        else:
            description = f"{kind}: `{_short(original)}` -> `{_short(new)}`"
        key = f"{function}: {description}"
        seen[key] = seen.get(key, -1) + 1
        out.append(Mutant(id=f"{path}::{key} #{seen[key]}", path=path, line=node.lineno, description=description,
                          start=(node.lineno, node.col_offset), end=(node.end_lineno, node.end_col_offset),
                          replacement=new, function=function, expression=isinstance(node, ast.expr)))
    return out


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


def apply(source: str, mutant: Mutant) -> str:
    lines = source.splitlines(keepends=True)
    (l0, c0), (l1, c1) = mutant.start, mutant.end
    offset = [0]
    for line in lines:
        offset.append(offset[-1] + len(line.encode()))
    data = source.encode()
    a, b = offset[l0 - 1] + c0, offset[l1 - 1] + c1
    new = mutant.replacement
    if mutant.expression:
        new = f"({new})"  # an expression keeps its place whatever the precedence around it
    return (data[:a] + new.encode() + data[b:]).decode()


# ============================================================================ running them
def _workspace(index: int) -> Path:
    """A private copy of the project (without .git) for one worker."""
    target = Path(tempfile.gettempdir()) / f"tinygrad_np_mutate_{os.getpid()}_{index}"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(".git", "__pycache__", ".pytest_cache", "site",
                                                                 "*.egg-info", ".hypothesis"))
    return target


def _pytest(workdir: Path, tests: list, keyword: str | None, timeout: float):
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-o",
               "addopts=", *tests]
    if keyword:
        command += ["-k", keyword]
    env = {**os.environ, "PYTHONPATH": str(workdir), "PYTHONDONTWRITEBYTECODE": "1", **QUICK_OPINFO}
    try:
        result = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    return {0: "passed", 5: "no tests"}.get(result.returncode, "failed")


def _keyword(function: str) -> str | None:
    """Test names to try first: the op a function belongs to (Pow.backward -> pow, FloorDivide -> floor_divide)."""
    name = function.split(".")[0].lstrip("_")
    if name in ("<module>", "", "Function", "Node", "Tensor", "Elementwise", "Binary"):
        return None
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def run_one(mutant: Mutant, workdir: Path, stages: list, timeout: float) -> Mutant:
    """Run the stages (test lists) in order, stopping at the first that fails: the mutant is killed."""
    target = workdir / mutant.path
    original = target.read_text()
    started = time.monotonic()
    try:
        target.write_text(apply(original, mutant))
        status = "passed"
        keyword = _keyword(mutant.function)
        if keyword:
            status = _pytest(workdir, stages[0], keyword, timeout)
        for tests in stages:
            if status not in ("passed", "no tests"):
                break
            status = _pytest(workdir, tests, None, timeout * (1 if tests is stages[0] else 4))
        mutant.status = {"failed": "killed", "timeout": "killed (timeout)", "passed": "survived"}[status]
    except SyntaxError:
        mutant.status = "invalid"
    finally:
        target.write_text(original)
    mutant.seconds = round(time.monotonic() - started, 1)
    return mutant


def tests_for(path: str, table=None) -> list:
    for prefix, tests in (FILE_TESTS if table is None else table).items():
        if path == prefix or (prefix.endswith("/") and path.startswith(prefix)):
            return tests
    if table is not None:
        return []
    raise SystemExit(f"no test subset for {path}: pass --tests")


def load_equivalents() -> dict:
    out = {}
    if EQUIVALENTS.exists():
        for line in EQUIVALENTS.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                mutant_id, _, reason = line.partition("\t")
                out[mutant_id.strip()] = reason.strip()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Mutation testing of tinygrad_np (see the module docstring).")
    parser.add_argument("paths", nargs="+", help="library files to mutate, e.g. tinygrad_np/ops.py")
    parser.add_argument("--tests", nargs="*", help="test files to run (default: the file's subset in FILE_TESTS)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once, each in its own copy (default 2)")
    parser.add_argument("--only", help="only mutants whose function name contains this")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--report", help="write the results as JSON here")
    parser.add_argument("--rerun", help="only the mutants that survived in this earlier --report")
    parser.add_argument("--no-wide", action="store_true", help="do not try WIDE_TESTS on the survivors")
    parser.add_argument("--sample", type=int, help="only this many mutants, drawn at random (seeded by --seed)")
    parser.add_argument("--seed", type=int, default=0, help="the seed of --sample (default 0)")
    args = parser.parse_args(argv)

    equivalents = load_equivalents()
    mutants = [m for p in args.paths for m in mutants_of(p) if not args.only or args.only in m.function]
    if args.rerun:
        again = {m["id"] for m in json.loads(Path(args.rerun).read_text()) if m["status"] == "survived"}
        mutants = [m for m in mutants if m.id in again]
    if args.sample is not None and args.sample < len(mutants):
        mutants = sorted(random.Random(args.seed).sample(mutants, args.sample), key=lambda m: (m.path, m.line))
    if args.list:
        for m in mutants:
            print(f"{m.path}:{m.line}: {m.id}")
        print(f"{len(mutants)} mutants")
        return 0
    workspaces = [_workspace(i) for i in range(args.jobs)]
    baseline = {}
    for path in args.paths:  # the unmutated code must pass its subset; its time sets the timeout
        tests = args.tests or tests_for(path)
        started = time.monotonic()
        if _pytest(workspaces[0], tests, None, 3600) != "passed":
            raise SystemExit(f"the tests {tests} fail without any mutant: fix them first")
        stages = [tests] + ([] if args.no_wide or args.tests else [w for w in [tests_for(path, WIDE_TESTS)] if w])
        baseline[path] = (stages, 3 * (time.monotonic() - started) + 30)
    free = list(workspaces)
    results = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        pending = {}
        queue = list(mutants)
        while queue or pending:
            while queue and free:
                mutant = queue.pop(0)
                workdir = free.pop()
                stages, timeout = baseline[mutant.path]
                pending[pool.submit(run_one, mutant, workdir, stages, timeout)] = workdir
            done, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                free.append(pending.pop(future))
                m = future.result()
                results.append(m)
                mark = "." if m.status.startswith("killed") else "E" if m.id in equivalents else "S"
                print(f"{mark} {len(results)}/{len(mutants)} {m.status:16s} {m.seconds:6.1f}s  {m.path}:{m.line} "
                      f"{m.function}: {m.description}", flush=True)
    for w in workspaces:
        shutil.rmtree(w, ignore_errors=True)

    killed = [m for m in results if m.status.startswith("killed")]
    invalid = [m for m in results if m.status == "invalid"]
    survived = [m for m in results if m.status == "survived"]
    equivalent = [m for m in survived if m.id in equivalents]
    gaps = [m for m in survived if m.id not in equivalents]
    counted = len(results) - len(invalid) - len(equivalent)
    print(f"\n{len(killed)} killed of {len(results) - len(invalid)} mutants; {len(equivalent)} survivors are "
          f"equivalent (tools/mutation_equivalents.txt); score {len(killed)}/{counted} = "
          f"{100 * len(killed) / max(counted, 1):.1f}% of the non-equivalent mutants killed")
    for m in gaps:
        print(f"SURVIVED {m.id}\n    {m.path}:{m.line}")
    if args.report:
        Path(args.report).write_text(json.dumps([asdict(m) for m in results], indent=1, ensure_ascii=False))
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
