"""What one recorded op costs: objects, time and memory per op of the autograd graph.

    python -m benchmarks.graph_cost [--ops 100000] [--repeat 3] [--quick] [--json PATH]

Two chains on a (16, 16) float32 tensor: ``y = y * 1.0001`` (one op per link) and a mixed one,
``y = tanh(y * 1.0001 + 0.0001)`` (three ops per link: mul, add, tanh). For each it measures

- **GC objects/op**: how many more objects the cyclic garbage collector tracks while the graph is
  kept (``len(gc.get_objects())`` after the forward minus before it, divided by the ops). Every one
  of them is walked again by each full collection while the graph grows.
- **forward, backward, fwd+bwd+free µs/op** for ``--ops`` ops (default 100,000), with the garbage
  collector on, as a user runs it. "free" is dropping the last references to the graph (``del``).
  Median over ``--repeat`` runs. A second row per chain with the collector off shows its share.
- **cyclic garbage/op**: objects that ``del`` did not free and only ``gc.collect()`` found
  afterwards (0 when the graph is freed by reference counting alone).
- **bytes held/op** (tracemalloc, on a shorter chain): the memory that keeping the chain's last
  output alive holds, divided by the ops, (a) before backward, (b) after ``backward(retain_graph=True)``
  and (c) after a plain ``backward()`` (which frees what the rules saved).
- the same three for the ``loss`` of the MLP step of ``benchmarks/mlp.py`` (784-256-128-10,
  batch 128), in KiB, next to the bytes of its activations.

NumPy rows show the same chains written by hand (forward saving what the backward needs).
Only the public API is used, so the script runs unchanged on any version of the engine.
One BLAS thread (threadpoolctl). Compare runs on the same machine; background load adds noise.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import time
import tracemalloc
from pathlib import Path

import numpy as np

import tinygrad_np as tg

SHAPE = (16, 16)
FACTOR, SHIFT = 1.0001, 0.0001
N_OPS = 100_000
OBJECT_OPS = 10_000  # chain length for counting objects and bytes (tracemalloc slows the forward a lot)


def mul_link(y):
    return y * FACTOR


def mixed_link(y):
    return (y * FACTOR + SHIFT).tanh()


CHAINS = {"mul": (mul_link, 1), "mixed (mul, add, tanh)": (mixed_link, 3)}


# ----------------------------------------------------------------------------- tinygrad_np
def start(seed=0):
    x0 = np.random.default_rng(seed).standard_normal(SHAPE).astype(np.float32)
    return tg.tensor(x0, requires_grad=True)


def build(x, link, links):
    y = x
    for _ in range(links):
        y = link(y)
    return y.sum()


def time_chain(link, links: int, gc_on: bool = True) -> dict:
    """Seconds for the forward, the backward and the freeing of one chain of ``links`` links."""
    x = start()
    gc.collect()
    was_on = gc.isenabled()
    if not gc_on:
        gc.disable()
    try:
        clock = time.perf_counter
        t0 = clock()
        loss = build(x, link, links)
        t1 = clock()
        loss.backward()
        t2 = clock()
        del loss
        t3 = clock()
    finally:
        if was_on:
            gc.enable()
    assert x.grad is not None and np.isfinite(x.grad.data).all()
    return {"forward": t1 - t0, "backward": t2 - t1, "free": t3 - t2, "garbage": gc.collect()}


def objects_per_op(link, links: int, ops: int) -> float:
    x = start()
    gc.collect()
    before = len(gc.get_objects())
    loss = build(x, link, links)
    gc.collect()
    after = len(gc.get_objects())
    del loss
    return (after - before) / ops


def _held(make, keep) -> int:
    """Bytes (tracemalloc) that keeping ``keep(make())`` alive holds: current with it minus after ``del``."""
    gc.collect()
    tracemalloc.start()
    try:
        kept = keep(make())
        gc.collect()
        with_it = tracemalloc.get_traced_memory()[0]
        del kept
        gc.collect()
        return with_it - tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()


def _after_backward(retain_graph: bool):
    def keep(loss):
        loss.backward(retain_graph=retain_graph)
        return loss

    return keep


KEEPS = {"before backward": lambda loss: loss, "after backward(retain_graph=True)": _after_backward(True),
         "after backward()": _after_backward(False)}


def chain_bytes_per_op(link, links: int, ops: int) -> dict:
    return {k: _held(lambda: build(start(), link, links), keep) / ops for k, keep in KEEPS.items()}


def mlp_bytes() -> dict:
    """Bytes the MLP step's ``loss`` holds when kept (see KEEPS), and the bytes of its activations."""
    from benchmarks import mlp

    inputs = mlp.make_inputs()
    import tinygrad_np.nn.functional as F

    def make():
        inputs.opt.zero_grad()
        return F.cross_entropy(inputs.model(tg.from_numpy(inputs.x)), inputs.y)

    out = {k: _held(make, keep) for k, keep in KEEPS.items()}
    # what a hand-written backward keeps besides the input (which the caller owns): h1, a1, h2, a2, logits
    b, s = mlp.BATCH, mlp.SIZES
    out["activations"] = 4 * b * (2 * s[1] + 2 * s[2] + s[3])
    return out


# ----------------------------------------------------------------------------- NumPy by hand, for reference
def numpy_chain(kind: str, links: int) -> dict:
    """The same chain by hand: forward (saving tanh's output where needed), backward, free."""
    y = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    c, s = np.float32(FACTOR), np.float32(SHIFT)
    clock = time.perf_counter
    gc.collect()
    t0 = clock()
    if kind == "mul":
        for _ in range(links):
            y = y * c
        saved = None
    else:
        saved = []
        for _ in range(links):
            y = np.tanh(y * c + s)
            saved.append(y)
    t1 = clock()
    g = np.ones_like(y)
    if saved is None:
        for _ in range(links):
            g = g * c
    else:
        for t in reversed(saved):
            g = g * (1 - t * t) * c
    t2 = clock()
    del saved
    t3 = clock()
    return {"forward": t1 - t0, "backward": t2 - t1, "free": t3 - t2, "garbage": 0}


# ----------------------------------------------------------------------------- measuring and printing
def _median(runs: list, key: str) -> float:
    return float(np.median([r[key] for r in runs]))


def measure(n_ops: int = N_OPS, repeat: int = 3, object_ops: int = OBJECT_OPS) -> dict:
    from threadpoolctl import threadpool_limits

    result = {"n_ops": n_ops, "repeat": repeat, "object_ops": object_ops, "chains": {}}
    with threadpool_limits(1):
        for name, (link, per_link) in CHAINS.items():
            links = n_ops // per_link
            ops = links * per_link + 1  # + the final sum
            rows = {}
            sides = {"tinygrad_np": (time_chain, (link, links, True)),
                     "tinygrad_np, GC off": (time_chain, (link, links, False)),
                     "NumPy by hand": (numpy_chain, ("mul" if per_link == 1 else "mixed", links))}
            for label, (fn, fn_args) in sides.items():
                runs = [fn(*fn_args) for _ in range(repeat)]
                rows[label] = {k: _median(runs, k) / ops for k in ("forward", "backward", "free")}
                rows[label]["total"] = float(np.median([r["forward"] + r["backward"] + r["free"] for r in runs])) / ops
                rows[label]["total_min"] = min(r["forward"] + r["backward"] + r["free"] for r in runs) / ops
                rows[label]["garbage"] = _median(runs, "garbage") / ops
            obj_links = object_ops // per_link
            obj_n = obj_links * per_link + 1
            result["chains"][name] = {
                "ops": ops,
                "rows": rows,
                "objects_per_op": objects_per_op(link, obj_links, obj_n),
                "bytes_per_op": chain_bytes_per_op(link, obj_links, obj_n),
            }
        result["mlp"] = mlp_bytes()
    return result


def environment() -> dict:
    from threadpoolctl import threadpool_info

    return {"python": platform.python_version(), "numpy": np.__version__, "gc_threshold": gc.get_threshold(),
            "blas": [f"{i['internal_api']} {i.get('version')} ({i.get('architecture')})" for i in threadpool_info()
                     if i.get("user_api") == "blas"],
            "openblas_env": {v: os.environ.get(v) for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
            "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}


def render(result: dict, env: dict) -> str:
    us = lambda s: f"{s * 1e6:.2f}"  # noqa: E731
    lines = [f"Graph cost per recorded op, chains on a {SHAPE} float32 tensor; {result['n_ops']:,} ops timed "
             f"(median of {result['repeat']} runs), objects and bytes counted on {result['object_ops']:,} ops.",
             f"Python {env['python']}, NumPy {env['numpy']}, gc thresholds {env['gc_threshold']}, "
             f"BLAS {', '.join(env['blas']) or 'none'} (1 thread), OPENBLAS vars {env['openblas_env']}, "
             f"load {env['load']}", "",
             "| chain | side | GC objects/op | forward µs/op | backward µs/op | free µs/op | fwd+bwd+free µs/op "
             "(min) | cyclic garbage/op | bytes held/op: before bwd / after bwd(retain) / after bwd() |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, c in result["chains"].items():
        for side, r in c["rows"].items():
            ours = side == "tinygrad_np"
            objs = f"{c['objects_per_op']:.2f}" if ours else ""
            held = " / ".join(f"{v:.0f}" for v in c["bytes_per_op"].values()) if ours else ""
            lines.append(f"| {name} | {side} | {objs} | {us(r['forward'])} | {us(r['backward'])} | {us(r['free'])} | "
                         f"{us(r['total'])} ({us(r['total_min'])}) | {r['garbage']:.2f} | {held} |")
    m = result["mlp"]
    kib = lambda b: f"{b / 1024:.0f} KiB"  # noqa: E731
    lines += ["", "MLP step (784-256-128-10, batch 128): memory held by keeping `loss` alive: "
              + ", ".join(f"{k}: {kib(v)}" for k, v in m.items() if k != "activations")
              + f" (its activations h1, a1, h2, a2, logits: {kib(m['activations'])})"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.graph_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=N_OPS, help="ops per timed chain (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per row; medians (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="2,000 ops, 1 run (smoke test)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the raw numbers here")
    args = parser.parse_args(argv)
    if args.quick:
        result = measure(2_000, 1, 1_000)
    else:
        result = measure(args.ops, args.repeat, min(OBJECT_OPS, args.ops))
    env = environment()
    print(render(result, env))
    if args.json:
        args.json.write_text(json.dumps({"env": env, **result}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
