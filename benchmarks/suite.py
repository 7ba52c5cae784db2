"""The benchmark suite behind ``python -m benchmarks`` (how to read it: docs/performance.md).

The parent process runs every timed workload ``--runs`` times. A run is one fresh child process
(``--worker NAME``) that times tinygrad_np, the expert NumPy step and the seed-style NumPy step,
and then one fresh child per installed library (PyTorch, MyGrad, HIPS autograd) that times that
library against the expert NumPy step again: no other library is imported where tinygrad_np is
timed. Each child prints one JSON line; the parent prints a Markdown table with the machine it ran
on. Inside a child, every implementation is first checked against the expert NumPy side, then
timed with ``time.perf_counter`` under ``threadpoolctl.threadpool_limits(1)``, in interleaved
rounds: each round runs a block of steps of every implementation in turn (after a short warm-up of
its own), so background load hits all of them alike while each keeps its own allocator steady
state. A child reports the median time of each implementation; the table gives, per workload, the
median over the runs and the spread (min–max) of tinygrad_np's ratio to the expert NumPy step.

The workload processes run in the environment you run the suite in (the default one, for the
headline numbers); ``--malloc-thresholds`` gives them fixed glibc malloc thresholds instead, as an
extra, labelled measurement.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks import long_chain
from benchmarks.others import LIBRARIES, version

ROOT = Path(__file__).resolve().parent.parent
MARKER = "BENCHMARK-RESULT "
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# glibc's malloc gives large freed blocks back to the OS, so the next step faults their pages in again,
# unless its thresholds have risen, which they do on their own once some library frees a large enough
# block. A user's process has the defaults, so the headline numbers do too; --malloc-thresholds sets
# these fixed, high thresholds in every workload process instead, to show what the page faults cost.
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(64 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(256 * 2**20)}
MALLOC_VARS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_",
               "MALLOC_ARENA_MAX", "GLIBC_TUNABLES")
RUNS = 5
# the implementations with a column of their own, in order; "numpy" (the expert step) is the baseline
SIDE_LABELS = {"tinygrad_np": "tinygrad_np", "numpy": "NumPy, expert", "numpy_seed": "NumPy, seed-style"}


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    target: float  # the ratio to the expert NumPy step to stay under; per_op: µs per op; import: seconds
    kind: str = "ratio"  # "ratio", "per_op" (µs per op, target absolute), "memory" or "import"
    rounds: int = 10  # interleaved rounds ...
    block: int = 10  # ... of this many timed steps per implementation ...
    warmup: int = 3  # ... each after this many untimed ones


WORKLOADS = {
    w.name: w
    for w in [
        Workload("mlp", "MLP step 784-256-128-10, batch 128", 1.10),
        Workload("cnn", "CNN step conv3x3-relu-pool-linear, batch 64", 1.35, rounds=6, block=5, warmup=1),
        Workload("xor", "XOR 2-8-1 step, SGD (overhead-bound)", 3.0, rounds=20, block=25, warmup=5),
        Workload("chain", "1,000-op chain tanh(y * w + b) (16x16), fwd + bwd", 1.8, block=5, warmup=1),
        Workload("long_chain", "100,000-op chain y * 1.0001: fwd + bwd + freeing, GC on", 3.0, kind="per_op",
                 rounds=2, block=1, warmup=0),
        Workload("memory", "MLP step memory (tracemalloc, 50 steps)", 1.5, kind="memory"),
        Workload("import", "import tinygrad_np, on top of import numpy", 0.060, kind="import"),
    ]
}


# ----------------------------------------------------------------------------- the sides of each workload
def _module(name: str):
    return importlib.import_module(f"benchmarks.{'xor_step' if name == 'xor' else name}")


def sides(name: str, quick: bool = False) -> dict:
    """``{"tinygrad_np": run, "numpy": run, "numpy_seed": run}``: the timed calls (each side its own state)."""
    m = _module(name)
    if name == "long_chain":
        x0, n = m.make_inputs(), m.n_ops(quick)
        return {"tinygrad_np": lambda: m.run_tinygrad(x0, n), "numpy": m.expert(x0, n).step,
                "numpy_seed": m.seed(x0, n).step}
    if name in ("mlp", "cnn", "xor", "chain"):
        inputs = m.make_inputs()
        return {"tinygrad_np": lambda: m.run_tinygrad(inputs), "numpy": m.expert(m.make_inputs()).step,
                "numpy_seed": m.seed(m.make_inputs()).step}
    raise KeyError(name)


def check(name: str, quick: bool = False, side: str = "expert"):
    """tinygrad_np and a NumPy side (``"expert"`` or ``"seed"``) agree (losses and parameters, or gradients)."""
    m = _module(name)
    if name == "long_chain":
        m.check(m.n_ops(quick), side=getattr(m, side))
    else:
        m.check(side=getattr(m, side))


# ----------------------------------------------------------------------------- timing (in the child)
def time_interleaved(impls: dict, rounds: int, block: int, warmup: int) -> dict:
    """Seconds per timed call of each zero-argument callable in ``impls``, over interleaved rounds.

    The order of the implementations rotates from round to round, so none always follows the same one.
    """
    clock = time.perf_counter
    names = list(impls)
    times = {k: [] for k in names}
    for r in range(rounds):
        for k in names[r % len(names):] + names[: r % len(names)]:
            run = impls[k]
            for i in range(warmup + block):
                t0 = clock()
                run()
                dt = clock() - t0
                if i >= warmup:
                    times[k].append(dt)
    return times


def _schedule(w: Workload, quick: bool, reps: int | None) -> tuple[int, int, int]:
    rounds, block, warmup = w.rounds, w.block, w.warmup
    if quick:
        rounds, block, warmup = 2, 1, min(warmup, 1)
    if reps:
        block = min(block, reps)
        rounds = -(-reps // block)
    return rounds, block, warmup


def blas_summary() -> str:
    """Which BLAS (and which of its CPU kernels) runs, as threadpoolctl reports it."""
    from threadpoolctl import threadpool_info

    return "; ".join(f"{i['internal_api']} {i.get('version')}, kernel {i.get('architecture')}, "
                     f"{i.get('num_threads')} thread{'s' * (i.get('num_threads') != 1)}" for i in threadpool_info()
                     if i.get("user_api") == "blas") or "none found"


def run_worker(name: str, quick: bool = False, reps: int | None = None, lib: str | None = None) -> dict:
    """Check and time one workload in this process; a JSON-able dict.

    Without ``lib``: tinygrad_np and the two NumPy sides, with no other library imported (PyTorch's
    import alone adds 145,000 objects for the garbage collector to walk, and its frees of large
    blocks raise glibc's malloc thresholds for everything after them). With ``lib``: that library
    and the expert NumPy side, which its ratio is taken to.
    """
    from threadpoolctl import threadpool_limits

    w = WORKLOADS[name]
    result = {"name": name, "errors": {}}
    if w.kind == "import":
        from benchmarks import import_time

        result["import"] = import_time.measure(3 if quick else import_time.RUNS)
        return result
    if w.kind == "memory":
        from benchmarks import memory

        with threadpool_limits(1):  # memory.measure limits BLAS itself; this records that it took effect
            result["blas"] = blas_summary()
            result["memory"] = memory.measure(*((12, 4) if quick else ()))
            result["expert_buffers"] = memory.expert_buffers()
        result["tolerance"] = memory.TOLERANCE
        result["steps"], result["growth_from"] = (12, 4) if quick else (memory.STEPS, memory.GROWTH_FROM)
        return result
    impls = sides(name, quick)
    if lib is None:
        for side, label in (("expert", "tinygrad_np"), ("seed", "numpy_seed")):
            try:
                check(name, quick, side)
            except AssertionError as e:
                result["errors"][label] = f"disagrees with the {side} NumPy side: {e}"[:300]
    else:
        from benchmarks import others

        impls = {"numpy": impls["numpy"]}
        try:
            if not quick:
                others.check(name, lib)
            impls[lib] = others.FACTORIES[name][lib](quick).run
        except Exception as e:  # a library that fails is reported, not fatal
            result["errors"][lib] = f"{type(e).__name__}: {e}"[:200]
    rounds, block, warmup = _schedule(w, quick, reps)
    with threadpool_limits(1):
        result["blas"] = blas_summary()
        times = time_interleaved(impls, rounds, block, warmup)
    scale = 1.0
    if w.kind == "per_op":
        result["n_ops"] = _module(name).n_ops(quick)
        scale = 1 / result["n_ops"]
    result["median"] = {k: float(np.median(v)) * scale for k, v in times.items()}
    result["reps"] = rounds * block
    return result


def run_all(name: str, args, libs: list) -> dict:
    """One run of a timed workload: a process for tinygrad_np and the NumPy sides, then one per library
    (each against the expert NumPy side again). The libraries' times and ratios join ``median`` and
    ``ratio``."""
    result = _run_child(name, args)
    if "crashed" in result:
        return result
    result["ratio"] = {k: v / result["median"]["numpy"] for k, v in result["median"].items()}
    for lib in libs:
        r = _run_child(name, args, lib)
        if "crashed" in r:
            result["errors"][lib] = f"crashed: {r['crashed']}"
        elif lib in r["median"]:
            result["median"][lib] = r["median"][lib]
            result["ratio"][lib] = r["median"][lib] / r["median"]["numpy"]
        result["errors"].update(r.get("errors", {}))
    return result


# ----------------------------------------------------------------------------- the parent: environment and table
def environment(malloc_thresholds: bool = False) -> dict:
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    libs = {label: version(lib) for lib, label in LIBRARIES.items() if version(lib) is not None}
    import tinygrad_np

    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "tinygrad_np": tinygrad_np.__version__,
        "libraries": libs,
        "blas": [{k: i.get(k) for k in ("internal_api", "version", "architecture", "threading_layer", "num_threads")}
                 for i in threadpool_info() if i.get("user_api") == "blas"],
        "openblas_env": {v: os.environ.get(v) for v in OPENBLAS_VARS},
        "malloc_env": worker_malloc_env(malloc_thresholds),
        "load": _load(),
    }


def worker_malloc_env(malloc_thresholds: bool = False) -> dict:
    """The glibc malloc settings the workload processes run with: yours, plus MALLOC_ENV if asked for."""
    env = {k: os.environ[k] for k in MALLOC_VARS if k in os.environ}
    return {**MALLOC_ENV, **env} if malloc_thresholds else env


def _load() -> float | None:
    """1-minute load average (other work on the machine adds noise), where the OS has one."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def openblas_warning(env: dict) -> str | None:
    set_vars = [f"{k}={v}" for k, v in env["openblas_env"].items() if v is not None]
    if not set_vars:
        return None
    return (f"WARNING: {', '.join(set_vars)} is set; it changes which OpenBLAS kernels run. Unset both for "
            "comparable numbers: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks")


def _time(seconds: float, per_op: bool) -> str:
    if per_op:
        return f"{seconds * 1e6:.2f} µs/op"
    ms = seconds * 1e3
    return f"{ms:.3f} ms" if ms < 10 else f"{ms:.1f} ms"


def _size(nbytes: float) -> str:
    return f"{nbytes / 2**20:.2f} MiB" if abs(nbytes) >= 2**20 else f"{nbytes / 2**10:.1f} KiB" if nbytes else "0 B"


def _spread(values: list, fmt) -> str:
    """``median (min–max)`` of several runs, or the single value."""
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(float(np.median(values)))} ({fmt(min(values))}–{fmt(max(values))})"


def _verdict(ok: bool, wrong: bool = False) -> str:
    return ("pass" if ok else "miss") + (" (wrong result!)" if wrong else "")


def _memory_rows(r: dict, w: Workload, labels: list) -> list[list[str]]:
    m, tol, buffers = r["memory"], r["tolerance"], r["expert_buffers"]
    peak = m["tinygrad_np"]["peak"] / m["numpy_seed"]["peak"]
    na = ["n/a"] * len(labels)
    grow = m["tinygrad_np"]["growth"]
    return [
        ["MLP step: peak extra memory (tracemalloc), ratio to the seed-style step", _size(m["tinygrad_np"]["peak"]),
         f"{_size(m['numpy']['peak'])} (+ {_size(buffers)} of buffers, allocated once)", f"{peak:.2f}x",
         f"≤ {w.target:.2f}x", _verdict(peak <= w.target), _size(m["numpy_seed"]["peak"])] + na,
        ["MLP: memory held between steps", _size(m["tinygrad_np"]["held"]), _size(buffers), "", "", "",
         _size(m["numpy_seed"]["held"])] + na,
        [f"MLP: retained memory growth, step {r['growth_from']} → {r['steps']}", f"{grow} B",
         f"{m['numpy']['growth']} B", "",
         f"0 (tolerance {tol // 1024} KiB)", _verdict(grow <= tol), f"{m['numpy_seed']['growth']} B"] + na,
    ]


def _import_row(r: dict, w: Workload, labels: list) -> list[str]:
    imp = r["import"]
    extra, numpy_alone, wall = imp["importtime"], imp["numpy"], imp["wall"]
    ms = lambda s: f"{s * 1e3:.1f}"  # noqa: E731
    return [w.title, f"+{_spread(extra['runs'], ms)} ms", f"import numpy: {ms(numpy_alone['median'])} ms", "",
            f"≤ +{w.target * 1e3:.0f} ms", _verdict(extra["median"] <= w.target),
            f"wall time: +{_spread(wall['runs'], ms)} ms"] + ["n/a"] * len(labels)


def _timed_row(name: str, w: Workload, runs: list, labels: list) -> list[str]:
    per_op = w.kind == "per_op"
    names = {k for r in runs for k in r["median"]}
    med = {k: [r["median"][k] for r in runs if k in r["median"]] for k in names}
    ratios = {k: [r["ratio"][k] for r in runs if k in r["ratio"]] for k in names}
    ours, ratio = float(np.median(med["tinygrad_np"])), float(np.median(ratios["tinygrad_np"]))
    ok = ours * 1e6 <= w.target if per_op else ratio <= w.target
    target = f"≤ {w.target:g} µs/op" if per_op else f"≤ {w.target:.2f}x"
    wrong = any("tinygrad_np" in r["errors"] for r in runs)
    title = w.title
    if name == "long_chain" and runs[0].get("n_ops", long_chain.N_OPS) != long_chain.N_OPS:
        title += f" ({runs[0]['n_ops']:,} ops in this run)"

    def t(seconds):
        return _time(seconds, per_op)

    def x(r):
        return f"{r:.2f}x"

    row = [title, _spread(med["tinygrad_np"], t) if per_op else t(ours), t(float(np.median(med["numpy"]))),
           _spread(ratios["tinygrad_np"], x), target, _verdict(ok, wrong)]
    for k in ["numpy_seed", *labels]:
        if k in med and len(med[k]) == len(runs):
            row.append(f"{t(float(np.median(med[k])))} ({x(float(np.median(ratios[k])))})")
        else:
            row.append("error" if any(k in r["errors"] for r in runs) else "–")
    return row


def table_rows(results: dict, labels: list) -> list[list[str]]:
    """One row per workload (three for memory): cells as strings. ``results[name]`` is the list of
    its runs' results (see ``run_all``)."""
    rows = []
    for name, runs in results.items():
        w = WORKLOADS[name]
        crashed = [r["crashed"] for r in runs if "crashed" in r]
        if crashed:
            rows.append([w.title, f"failed: {crashed[0]}"] + [""] * (5 + len(labels)))
        elif w.kind == "memory":
            rows += _memory_rows(runs[0], w, labels)
        elif w.kind == "import":
            rows.append(_import_row(runs[0], w, labels))
        else:
            rows.append(_timed_row(name, w, runs, labels))
    return rows


def _and(names: list) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _fmt_load(load) -> str:
    return "unknown" if load is None else f"{load:.2f}"


def render(env: dict, results: dict, args) -> str:
    present = [lib for lib in LIBRARIES if LIBRARIES[lib] in env["libraries"]]
    headers = ["Workload", "tinygrad_np", "NumPy, expert", "ratio to expert", "target", "result",
               "NumPy, seed-style (ratio)"]
    headers += [f"{LIBRARIES[lib]} (ratio)" for lib in present]
    n_runs = max((len(r) for n, r in results.items() if WORKLOADS[n].kind in ("ratio", "per_op")), default=0)
    lines = [f"Benchmarks run {env['date']}" + (" -- QUICK SMOKE RUN: tiny sizes, few repetitions, "
                                                 "numbers not meaningful" if args.quick else ""), ""]
    blas = "; ".join(f"{b['internal_api']} {b['version']}, kernel {b['architecture']}, {b['threading_layer']}, "
                     f"{b['num_threads']} threads by default" for b in env["blas"]) or "none found"
    timed = sorted({r["blas"] for runs in results.values() for r in runs if "blas" in r})
    libs = ", ".join(f"{k} {v}" for k, v in env["libraries"].items()) or "none installed"
    obl = ", ".join(f"{k} {'unset' if v is None else '= ' + repr(v)}" for k, v in env["openblas_env"].items())
    malloc = ", ".join(f"{k}={v}" for k, v in env.get("malloc_env", {}).items())
    lines += [
        f"- CPU: {env['cpu']} ({env['cpus']} logical CPUs); 1-minute load average {_fmt_load(env.get('load'))} "
        f"before the run, {_fmt_load(_load())} after it",
        f"- Python {env['python']}, NumPy {env['numpy']}, tinygrad_np {env['tinygrad_np']}; others: {libs}",
        f"- BLAS (threadpoolctl): {blas}; in the timed regions: {' / '.join(timed) or '?'}",
        f"- {obl}",
        "- glibc malloc: " + (f"**{malloc} in every workload process (not the default environment)**" if malloc
                              else "default settings (no MALLOC_* variables)"),
    ]
    warning = openblas_warning(env)
    if warning:
        lines.append(f"- **{warning}**")
    lines += ["", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(results, present)]
    reps = {n: r[0]["reps"] for n, r in results.items() if "reps" in r[0]}
    if reps:
        lines += ["", f"Times are medians over {n_runs} run{'s' * (n_runs > 1)} (fresh processes) per workload of "
                  "each run's median per step (per op for the 100,000-op chain; "
                  + ", ".join(f"{n} {k}" for n, k in reps.items())
                  + " timed repetitions per implementation and run, interleaved). Ratios are to the expert "
                  "NumPy step timed in the same process, run by run; tinygrad_np's shows the median and, in "
                  "brackets, the lowest and highest of the runs."
                  + (f" {_and([LIBRARIES[lib] for lib in present])} run in processes of their own (with the "
                     "expert NumPy step again), never beside tinygrad_np." if present else "")]
    errors = sorted({f"{n}/{lib}: {msg}" for n, runs in results.items() for r in runs
                     for lib, msg in r.get("errors", {}).items()})
    if errors:
        lines += ["", "Problems: " + "; ".join(errors)]
    return "\n".join(lines) + "\n"


def _run_child(name: str, args, lib: str | None = None) -> dict:
    cmd = [sys.executable, "-m", "benchmarks", "--worker", name]
    if lib:
        cmd += ["--lib", lib]
    if args.quick:
        cmd.append("--quick")
    if args.reps:
        cmd += ["--reps", str(args.reps)]
    env = {**os.environ, **worker_malloc_env(args.malloc_thresholds)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"name": name, "crashed": tail[:200]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and a few repetitions (CI smoke run)")
    parser.add_argument("--only", action="append", choices=list(WORKLOADS), metavar="NAME",
                        help=f"run only this workload (repeatable): {', '.join(WORKLOADS)}")
    parser.add_argument("--runs", type=int,
                        help=f"runs (fresh processes) per timed workload (default {RUNS}; 1 with --quick)")
    parser.add_argument("--reps", type=int, help="timed repetitions per implementation (default: per workload)")
    parser.add_argument("--malloc-thresholds", action="store_true",
                        help="run the workloads with fixed glibc malloc thresholds (not the default environment)")
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="also write the table to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--lib", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(MARKER + json.dumps(run_worker(args.worker, args.quick, args.reps, args.lib)), flush=True)
        return 0
    runs = args.runs or (1 if args.quick else RUNS)
    env = environment(args.malloc_thresholds)
    warning = openblas_warning(env)
    if warning:
        print(warning, file=sys.stderr)
    from benchmarks import others

    results = {}
    for name in args.only or list(WORKLOADS):
        timed = WORKLOADS[name].kind in ("ratio", "per_op")
        libs = [lib for lib in others.FACTORIES.get(name, {}) if others.available(lib)]
        print(f"running {name} ({f'{runs} runs' if timed else '1 run'}) ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        results[name] = [run_all(name, args, libs) for _ in range(runs)] if timed else [_run_child(name, args)]
        print(f"  {name} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    text = render(env, results, args)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    return 1 if any("crashed" in r for runs in results.values() for r in runs) else 0
