"""The benchmark suite behind ``python -m benchmarks`` (how to read it: docs/performance.md).

The parent process runs every workload in a fresh child process (``--worker NAME``), collects
one JSON line from each, and prints a Markdown table with the machine it ran on. Inside a child,
all implementations of the workload (tinygrad_np, NumPy by hand, and PyTorch / MyGrad / HIPS
autograd when installed) are first checked against the NumPy side, then timed with
``time.perf_counter`` under ``threadpoolctl.threadpool_limits(1)``, in interleaved rounds: each
round runs a block of steps of every implementation in turn (after a short warm-up of its own),
so background load hits all of them alike while each keeps its own allocator steady state.
Reported times are medians over all timed steps.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import math
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
# glibc's malloc gives large freed blocks back to the OS, so the next step faults its pages in again,
# unless its thresholds have risen, which they do on their own once some library frees a large enough
# block. Left alone, a workload's times would depend on which libraries ran before it in the process
# (NumPy's CNN step: 13 to 19 ms alone, 4 ms after PyTorch's): every workload process gets these
# fixed, high thresholds instead (values you set yourself win; other C libraries ignore them).
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(64 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(256 * 2**20)}


def malloc_env() -> dict:
    """The malloc settings every workload process gets: MALLOC_ENV, except where you set your own."""
    return {k: os.environ.get(k, v) for k, v in MALLOC_ENV.items()}
SIDES = ("tinygrad_np", "numpy")


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    target: float  # the ratio to NumPy to stay under (for per_op workloads: microseconds per op)
    rounds: int = 10  # interleaved rounds ...
    block: int = 10  # ... of this many timed steps per implementation ...
    warmup: int = 3  # ... each after this many untimed ones
    per_op: bool = False  # report microseconds per op instead of milliseconds per step


WORKLOADS = {
    w.name: w
    for w in [
        Workload("mlp", "MLP step 784-256-128-10, batch 128", 1.10),
        Workload("xor", "XOR 2-8-1 step, SGD (overhead-bound)", 3.5, rounds=20, block=25, warmup=5),
        Workload("chain", "1,000-op elementwise chain (16x16), fwd + bwd", 2.5, block=5, warmup=1),
        Workload("cnn", "CNN step conv3x3-relu-pool-linear, batch 64", 1.25, rounds=6, block=5, warmup=1),
        Workload("long_chain", "100,000-op chain, backward only", 5.0, rounds=5, block=1, warmup=0, per_op=True),
        Workload("memory", "MLP step memory (tracemalloc, 50 steps)", 1.5),
    ]
}


# ----------------------------------------------------------------------------- the two sides of each workload
def _module(name: str):
    return importlib.import_module(f"benchmarks.{'xor_step' if name == 'xor' else name}")


def sides(name: str, quick: bool = False) -> dict:
    """``{"tinygrad_np": (prepare, run), "numpy": (prepare, run)}``; ``prepare`` is None or untimed."""
    m = _module(name)
    if name in ("mlp", "cnn", "xor", "chain"):
        inputs = m.make_inputs()
        return {"tinygrad_np": (None, lambda: m.run_tinygrad(inputs)), "numpy": (None, lambda: m.run_numpy(inputs))}
    if name == "long_chain":
        x0, n = m.make_inputs(), m.n_ops(quick)
        return {"tinygrad_np": (lambda: m.build_tinygrad(x0, n), m.backward_tinygrad),
                "numpy": (lambda: m.build_numpy(x0, n), m.backward_numpy)}
    raise KeyError(name)


def check(name: str, quick: bool = False):
    """tinygrad_np and the NumPy-by-hand side agree (losses and parameters, or gradients)."""
    m = _module(name)
    if name == "long_chain":
        m.check(m.n_ops(quick))
    else:
        m.check()


# ----------------------------------------------------------------------------- timing (in the child)
def time_interleaved(impls: dict, rounds: int, block: int, warmup: int) -> dict:
    """Seconds per timed call of each ``(prepare, run)`` in ``impls``, over interleaved rounds.

    The order of the implementations rotates from round to round, so none always follows the same one.
    """
    clock = time.perf_counter
    names = list(impls)
    times = {k: [] for k in names}
    for r in range(rounds):
        for k in names[r % len(names):] + names[: r % len(names)]:
            prepare, run = impls[k]
            for i in range(warmup + block):
                if prepare is None:
                    t0 = clock()
                    run()
                    dt = clock() - t0
                else:
                    arg = prepare()
                    t0 = clock()
                    run(arg)
                    dt = clock() - t0
                    del arg
                if i >= warmup:
                    times[k].append(dt)
    return times


def _schedule(w: Workload, quick: bool, reps: int | None) -> tuple[int, int, int]:
    rounds, block, warmup = w.rounds, w.block, w.warmup
    if quick:
        rounds, block, warmup = 2, 1, min(warmup, 1)
    if reps:
        block = min(block, reps)
        rounds = math.ceil(reps / block)
    return rounds, block, warmup


def run_worker(name: str, quick: bool = False, reps: int | None = None, libs=None) -> dict:
    """Check and time one workload in this process; a JSON-able dict."""
    from threadpoolctl import threadpool_info, threadpool_limits

    w = WORKLOADS[name]
    result = {"name": name, "errors": {}}
    if name == "memory":
        from benchmarks import memory

        with threadpool_limits(1):  # memory.measure limits BLAS itself; this records that it took effect
            result["blas_threads"] = sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
            result["memory"] = memory.measure()
        result["tolerance"] = memory.TOLERANCE
        result["steps"], result["growth_from"] = memory.STEPS, memory.GROWTH_FROM
        return result
    from benchmarks import others

    try:
        check(name, quick)
    except AssertionError as e:
        result["errors"]["tinygrad_np"] = f"disagrees with NumPy: {e}"
    impls = sides(name, quick)
    for lib in LIBRARIES:
        if (libs is not None and lib not in libs) or lib not in others.FACTORIES.get(name, {}):
            continue
        if not others.available(lib):
            continue
        try:
            if not quick:
                others.check(name, lib)
            impl = others.FACTORIES[name][lib](quick)
            impls[lib] = (impl.prepare, impl.run)
        except Exception as e:  # a library that fails is reported, not fatal
            result["errors"][lib] = f"{type(e).__name__}: {e}"[:200]
    rounds, block, warmup = _schedule(w, quick, reps)
    with threadpool_limits(1):
        result["blas_threads"] = sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
        times = time_interleaved(impls, rounds, block, warmup)
    scale = 1.0
    if w.per_op:
        result["n_ops"] = _ops_per_call(name, quick)
        scale = 1 / result["n_ops"]
    result["median"] = {k: float(np.median(v)) * scale for k, v in times.items()}
    result["reps"] = rounds * block
    return result


def _ops_per_call(name: str, quick: bool) -> int:
    """Ops per timed call of a per-op workload."""
    return _module(name).n_ops(quick)


# ----------------------------------------------------------------------------- the parent: environment and table
def environment() -> dict:
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
        "malloc_env": malloc_env(),
        "load": _load(),
    }


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


def table_rows(results: dict, labels: list) -> list[list[str]]:
    """One row per timed workload (two for memory): cells as strings."""
    rows = []
    for name, r in results.items():
        w = WORKLOADS[name]
        if "crashed" in r:
            rows.append([w.title, f"failed: {r['crashed']}"] + [""] * (4 + len(labels)))
            continue
        if name == "memory":
            m, tol = r["memory"], r["tolerance"]
            peak = m["tinygrad_np"]["peak"] / m["numpy"]["peak"]
            rows.append(["MLP step: peak extra memory (tracemalloc)", _size(m["tinygrad_np"]["peak"]),
                         _size(m["numpy"]["peak"]), f"{peak:.2f}x", f"≤ {w.target:.2f}x",
                         "pass" if peak <= w.target else "miss"] + ["n/a"] * len(labels))
            rows.append(["MLP: memory held between steps", _size(m["tinygrad_np"]["held"]),
                         _size(m["numpy"]["held"]), "", "", ""] + ["n/a"] * len(labels))
            grow = m["tinygrad_np"]["growth"]
            rows.append([f"MLP: retained memory growth, step {r['growth_from']} → {r['steps']}", f"{grow} B",
                         f"{m['numpy']['growth']} B", "", f"0 (tolerance {tol // 1024} KiB)",
                         "pass" if grow <= tol else "miss"] + ["n/a"] * len(labels))
            continue
        med, per_op = r["median"], w.per_op
        ours, ref = med["tinygrad_np"], med["numpy"]
        ratio = ours / ref
        ok = ours * 1e6 < w.target if per_op else ratio <= w.target
        target = f"< {w.target:g} µs/op" if per_op else f"≤ {w.target:.2f}x"
        verdict = ("pass" if ok else "miss") + (" (wrong result!)" if "tinygrad_np" in r["errors"] else "")
        title = w.title
        if r.get("n_ops", long_chain.N_OPS) != long_chain.N_OPS:
            title += f" ({r['n_ops']:,} ops in this run)"
        row = [title, _time(ours, per_op), _time(ref, per_op), f"{ratio:.2f}x", target, verdict]
        for lib in labels:
            if lib in med:
                row.append(f"{_time(med[lib], per_op)} ({med[lib] / ref:.2f}x)")
            else:
                row.append("error" if lib in r["errors"] else "–")
        rows.append(row)
    return rows


def _fmt_load(load) -> str:
    return "unknown" if load is None else f"{load:.2f}"


def render(env: dict, results: dict, args) -> str:
    present = [lib for lib in LIBRARIES if LIBRARIES[lib] in env["libraries"]]
    headers = ["Workload", "tinygrad_np", "NumPy by hand", "ratio", "target", "result"]
    headers += [f"{LIBRARIES[lib]} (ratio to NumPy)" for lib in present]
    lines = [f"Benchmarks run {env['date']}" + (" -- QUICK SMOKE RUN: tiny sizes, few repetitions, "
                                                 "numbers not meaningful" if args.quick else ""), ""]
    blas = "; ".join(f"{b['internal_api']} {b['version']}, kernel {b['architecture']}, {b['threading_layer']}, "
                     f"{b['num_threads']} threads by default" for b in env["blas"]) or "none found"
    timed = sorted({t for r in results.values() for t in r.get("blas_threads", [])})
    libs = ", ".join(f"{k} {v}" for k, v in env["libraries"].items()) or "none installed"
    obl = ", ".join(f"{k} {'unset' if v is None else '= ' + repr(v)}" for k, v in env["openblas_env"].items())
    malloc = ", ".join(f"{k}={v}" for k, v in env.get("malloc_env", {}).items())
    lines += [
        f"- CPU: {env['cpu']} ({env['cpus']} logical CPUs); 1-minute load average {_fmt_load(env.get('load'))} "
        f"before the run, {_fmt_load(_load())} after it",
        f"- Python {env['python']}, NumPy {env['numpy']}, tinygrad_np {env['tinygrad_np']}; others: {libs}",
        f"- BLAS (threadpoolctl): {blas}; threads in the timed regions: {', '.join(map(str, timed)) or '?'}",
        f"- {obl}",
    ] + ([f"- glibc malloc thresholds in every workload process: {malloc}"] if malloc else [])
    warning = openblas_warning(env)
    if warning:
        lines.append(f"- **{warning}**")
    lines += ["", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(results, present)]
    reps = {n: r["reps"] for n, r in results.items() if "reps" in r}
    lines += [] if not reps else ["", "Times are medians per step (per op for the 100,000-op chain) over "
              + ", ".join(f"{n} {k}" for n, k in reps.items())
              + " timed repetitions per implementation, interleaved; ratios are to the NumPy-by-hand column."]
    errors = [f"{n}/{lib}: {msg}" for n, r in results.items() for lib, msg in r.get("errors", {}).items()]
    if errors:
        lines += ["", "Problems: " + "; ".join(errors)]
    return "\n".join(lines) + "\n"


def _run_child(name: str, args) -> dict:
    cmd = [sys.executable, "-m", "benchmarks", "--worker", name]
    if args.quick:
        cmd.append("--quick")
    if args.reps:
        cmd += ["--reps", str(args.reps)]
    env = {**os.environ, **malloc_env()}
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
    parser.add_argument("--reps", type=int, help="timed repetitions per implementation (default: per workload)")
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="also write the table to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(MARKER + json.dumps(run_worker(args.worker, args.quick, args.reps)), flush=True)
        return 0
    env = environment()
    warning = openblas_warning(env)
    if warning:
        print(warning, file=sys.stderr)
    results = {}
    for name in args.only or list(WORKLOADS):
        print(f"running {name} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        results[name] = _run_child(name, args)
        print(f"  {name} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    text = render(env, results, args)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    return 1 if any("crashed" in r for r in results.values()) else 0
