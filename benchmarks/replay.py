"""What a trace-and-replay mode would give: tinygrad_np's own forwards and rules, without recording.

``python -m benchmarks.replay`` records each timed workload's step once with the ordinary API, then
times, interleaved in one process with one BLAS thread: the expert NumPy step, the eager step
(what the suite times), and a *replay* of the recorded graph. The replay runs each node's forward
on the arrays of its parents, then each rule once, last node first, as one straight-line Python
function generated from the graph on its first run, and finishes with the same optimizer step. It
makes no Tensor, no node, no promotion, no check.

So the three columns split the eager step's time in two: ``eager - replay`` is what recording and
walking the graph cost, ``replay - expert`` is what running this library's ops one by one costs
against the expert's hand-fused NumPy (buffers reused, cross-op rewrites such as folding the
learning rate into the logits' gradient or pooling before the bias and ReLU).

This is a measurement, not a library feature. It replays only what the graph holds: an op that
needs no gradient, Python control flow on values, an in-place change or a random draw in the step
would not be repeated, and nothing is checked (see docs/performance.md for what a real mode needs).
``check`` proves that on these fixed steps it computes what the eager step computes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn.functional as F
from tinygrad_np import _memory
from tinygrad_np.autograd.engine import Node, sum_to_shape
from tinygrad_np.testing.reference import reachable_nodes

_NODE, _TENSOR, _CONSTANT = 0, 1, 2


class Replay:
    """The graph that made ``root`` (a scalar Tensor), replayable: ``run()`` recomputes it from the
    current ``.data`` of its leaf Tensors and sets the ``.grad`` of those that require grad."""

    def __init__(self, root):
        _memory.keep_freed_memory()  # as the engine's first backward does (see tinygrad_np/_memory.py)
        order = reachable_nodes([root])  # inputs before the ops that read them
        slot = {id(n): i for i, n in enumerate(order)}
        self.steps = [(n, n.op.forward, n.attrs, n.op.saves_inputs, n.op.saves_output, n.shape, n.dtype,
                       [(_NODE, slot[id(e)]) if type(e) is Node else (_TENSOR, e) if isinstance(e, tg.Tensor)
                        else (_CONSTANT, e) for e in n.next]) for n in order]
        self._compiled = None

    def run(self):
        """Forward, then backward into the leaves' ``.grad`` (replacing it); returns the root's value."""
        if self._compiled is None:
            return self._first_run()
        return self._compiled()

    def _first_run(self):
        """The replay as a loop over the steps, which also notes what the compiled replay needs to
        know in advance: where a gradient must be summed back or cast, and the order of the sums."""
        steps = self.steps
        outs = [None] * len(steps)
        for k, (node, forward, attrs, keep_in, keep_out, _, _, sources) in enumerate(steps):
            args = [outs[v] if kind == _NODE else v.data if kind == _TENSOR else v for kind, v in sources]
            out = forward(node, *args, **attrs)
            if keep_in:
                node.inputs = args
            if keep_out:
                node.output = out
            outs[k] = out
        grads = [None] * len(steps)
        grads[-1] = np.ones_like(outs[-1])
        leaves, sends = {}, []  # per step: (rule returns a tuple, [(input position, sum_to_shape?, cast?)])
        for k in range(len(steps) - 1, -1, -1):
            g, sent = grads[k], []
            if g is None:
                sends.append((False, sent))
                continue
            grads[k] = None
            node, sources = steps[k][0], steps[k][7]
            result = node.op.backward(node, g)
            sends.append((type(result) is tuple, sent))
            for j, ((kind, v), gi) in enumerate(zip(sources, result if type(result) is tuple else (result,))):
                if gi is None or kind == _CONSTANT or (kind == _TENSOR and not v._requires_grad):
                    continue
                shape, dtype = (steps[v][5], steps[v][6]) if kind == _NODE else (v.data.shape, v.data.dtype)
                sent.append((j, gi.shape != shape, gi.dtype != dtype))
                if gi.shape != shape:
                    gi = sum_to_shape(gi, shape)
                if gi.dtype != dtype:
                    gi = gi.astype(dtype)
                if kind == _NODE:
                    grads[v] = gi if grads[v] is None else grads[v] + gi
                else:
                    leaves[id(v)] = (v, gi if id(v) not in leaves else leaves[id(v)][1] + gi)
        for tensor, g in leaves.values():
            tensor.grad = tg.Tensor._wrap(g, None)
        self._compiled = self._compile(sends[::-1], np.asarray(outs[-1]) is not outs[-1])
        return outs[-1]

    def _compile(self, sends, root_not_array):
        """The same forward and backward as one straight-line Python function (what a tracing mode
        would generate): no loop, no list of outputs, no test per step."""
        env = {"ones_like": np.ones_like, "sum_to_shape": sum_to_shape, "wrap": tg.Tensor._wrap}
        fwd, bwd, leaf_names, seen = [], [], {}, set()
        for k, (node, forward, attrs, keep_in, keep_out, _, _, sources) in enumerate(self.steps):
            env[f"n{k}"], env[f"f{k}"], env[f"b{k}"] = node, forward, node.op.backward
            args = []
            for j, (kind, v) in enumerate(sources):
                if kind == _NODE:
                    args.append(f"o{v}")
                else:
                    env[f"c{k}_{j}"] = v
                    args.append(f"c{k}_{j}.data" if kind == _TENSOR else f"c{k}_{j}")
            if attrs:
                env[f"a{k}"] = attrs
            fwd.append(f"o{k} = f{k}(n{k}, {', '.join(args)}{f', **a{k}' if attrs else ''})")
            if keep_in:
                fwd.append(f"n{k}.inputs = ({', '.join(args)},)")
            if keep_out:
                fwd.append(f"n{k}.output = o{k}")
        last = len(self.steps) - 1
        bwd.append(f"g{last} = ones_like(o{last})")
        for k in range(last, -1, -1):
            returns_tuple, sent = sends[k]
            if not sent:
                continue
            sources = self.steps[k][7]
            bwd.append(f"r = b{k}(n{k}, g{k})")
            for j, fit, cast in sent:
                kind, v = sources[j]
                value = f"r[{j}]" if returns_tuple else "r"
                if fit:
                    value = f"sum_to_shape({value}, c{k}_{j}.data.shape)" if kind == _TENSOR else \
                        f"sum_to_shape({value}, n{v}.shape)"
                if cast:
                    value = f"{value}.astype({f'c{k}_{j}.data' if kind == _TENSOR else f'n{v}'}.dtype)"
                name = f"g{v}" if kind == _NODE else leaf_names.setdefault(id(v), f"leaf{len(leaf_names)}")
                if kind == _TENSOR:
                    env[f"t_{name}"] = v
                bwd.append(f"{name} = {name} + {value}" if name in seen else f"{name} = {value}")
                seen.add(name)
            bwd.append(f"del g{k}")
        bwd += [f"t_{name}.grad = wrap({name}, None)" for name in leaf_names.values()]
        root = f"o{last}" + (".__array__()" if root_not_array else "")
        source = "def replay():\n" + "".join(f"    {line}\n" for line in fwd + bwd + [f"return {root}"])
        exec(compile(source, "<replay>", "exec"), env)
        return env["replay"]


# ----------------------------------------------------------------------------- the workloads, replayed
def _training(module, loss_of):
    """(eager step, replay step, loss_of) for a training workload of ``module``, each on its own inputs."""
    eager_inputs, replay_inputs = module.make_inputs(), module.make_inputs()
    replay = Replay(loss_of(replay_inputs))

    def replay_step():
        replay_inputs.opt.zero_grad()
        loss = replay.run()
        replay_inputs.opt.step()
        return loss

    return (lambda: module.run_tinygrad(eager_inputs)), replay_step, eager_inputs, replay_inputs


def sides(name: str, quick: bool = False) -> dict:
    """``{"numpy": ..., "tinygrad_np": ..., "replay": ...}``: zero-argument steps, each on its own state
    (``quick``: the long chain with 2,000 ops)."""
    from benchmarks import chain, cnn, long_chain, mlp, xor_step

    if name in ("mlp", "cnn"):
        m = mlp if name == "mlp" else cnn
        eager, replayed, _, _ = _training(m, lambda i: F.cross_entropy(i.model(tg.from_numpy(i.x)), i.y))
        return {"numpy": m.expert(m.make_inputs()).step, "tinygrad_np": eager, "replay": replayed}
    if name == "xor":
        eager, replayed, _, _ = _training(xor_step, lambda i: F.mse_loss(i.model(tg.from_numpy(i.x)),
                                                                         tg.from_numpy(i.y)))
        return {"numpy": xor_step.expert(xor_step.make_inputs()).step, "tinygrad_np": eager, "replay": replayed}
    if name == "chain":
        inputs = chain.make_inputs()
        x = tg.from_numpy(inputs[0]).requires_grad_()
        w, b = tg.from_numpy(inputs[1]), tg.from_numpy(inputs[2])
        y = x
        for _ in range(chain.LINKS):
            y = chain.link(y, w, b, tg.Tensor.tanh)
        replay = Replay(y.sum())
        return {"numpy": chain.expert(chain.make_inputs()).step, "tinygrad_np": lambda: chain.run_tinygrad(inputs),
                "replay": lambda: (replay.run(), x.grad.data)[1]}
    if name == "long_chain":
        x0, n = long_chain.make_inputs(), long_chain.n_ops(quick)
        x = tg.from_numpy(x0).requires_grad_()
        y = x
        for _ in range(n):
            y = y * long_chain.FACTOR
        replay = Replay(y.sum())
        return {"numpy": long_chain.expert(x0, n).step, "tinygrad_np": lambda: long_chain.run_tinygrad(x0, n),
                "replay": lambda: (replay.run(), x.grad.data)[1]}
    raise KeyError(name)


def _ready(impls: dict) -> dict:
    """Run the replay once, outside any timing: its first run compiles it."""
    impls["replay"]()
    return impls


NAMES = ("mlp", "cnn", "xor", "chain", "long_chain")


def long_chain_ops(quick: bool) -> int:
    from benchmarks import long_chain

    return long_chain.n_ops(quick)


def check(name: str, steps: int = 3, quick: bool = False) -> float:
    """The replay computes what the eager step computes: the largest absolute difference (losses and
    parameters after ``steps`` training steps, or the gradient of a chain), asserted to be float32 rounding."""
    impls = sides(name, quick)
    if name in ("chain", "long_chain"):
        a = impls["tinygrad_np"]()
        for _ in range(2):  # the first replay runs the loop, the second the compiled function
            b = impls["replay"]().copy()
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
        return float(np.abs(a - b).max())
    from benchmarks import cnn, mlp, xor_step

    m = {"mlp": mlp, "cnn": cnn, "xor": xor_step}[name]
    loss_of = {"xor": lambda i: F.mse_loss(i.model(tg.from_numpy(i.x)), tg.from_numpy(i.y))}.get(
        name, lambda i: F.cross_entropy(i.model(tg.from_numpy(i.x)), i.y))
    eager, replayed, ours, theirs = _training(m, loss_of)
    worst = 0.0
    for _ in range(steps):
        a, b = eager(), replayed()
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
        worst = max(worst, float(abs(a - b)))
    for p, q in zip(ours.model.parameters(), theirs.model.parameters()):
        np.testing.assert_allclose(q.data, p.data, rtol=1e-6, atol=1e-7)
        worst = max(worst, float(np.abs(p.data - q.data).max()))
    return worst


def measure(name: str, quick: bool = False) -> dict:
    """One process: check, then median seconds per step of each side, interleaved, one BLAS thread
    (``quick``: small sizes and two steps per side, a smoke run whose numbers mean nothing)."""
    from threadpoolctl import threadpool_limits

    from benchmarks import suite

    w = suite.WORKLOADS[name]
    difference = check(name, quick=quick)
    impls = _ready(sides(name, quick))
    with threadpool_limits(1):
        times = suite.time_interleaved(impls, *((2, 1, 0) if quick else (w.rounds, w.block, w.warmup)))
        blas = suite.blas_summary()
    return {"name": name, "blas": blas, "difference": difference,
            "seconds": {k: float(np.median(v)) for k, v in times.items()}}


def _spread(values, fmt) -> str:
    return f"{fmt(np.median(values))} ({fmt(min(values))}–{fmt(max(values))})"


def _row(name: str, runs: list, n_ops: int) -> str:
    """One table row: ratios to the expert step, and the eager step's time split in two."""
    from benchmarks import suite

    sec = [r["seconds"] for r in runs]
    unit, scale = ("µs/op", 1e6 / n_ops) if name == "long_chain" else ("ms", 1e3)

    def ratio(v):
        return f"{v:.2f}x"

    def amount(v):
        return f"{v:.3f} {unit}"

    cells = [suite.WORKLOADS[name].title]
    for side in ("tinygrad_np", "replay"):
        cells.append(_spread([s[side] / s["numpy"] for s in sec], ratio))
        if name == "long_chain":  # its target is a time per op
            cells[-1] += f"; {_spread([s[side] * scale for s in sec], amount)}"
    cells.append(_spread([(s["tinygrad_np"] - s["replay"]) * scale for s in sec], amount))
    cells.append(_spread([(s["replay"] - s["numpy"]) * scale for s in sec], amount))
    cells.append(f"{max(r['difference'] for r in runs):.1e}")
    return "| " + " | ".join(cells) + " |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=NAMES, help="this workload only (repeatable)")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per workload (default 5)")
    parser.add_argument("--quick", action="store_true", help="one run, small sizes (a smoke run)")
    parser.add_argument("--one", choices=NAMES, help=argparse.SUPPRESS)  # (a child process: print JSON)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.quick)))
        return
    n_runs = 1 if args.quick else args.runs
    if args.quick:
        print("QUICK SMOKE RUN: small sizes (a 2,000-op long chain), two steps per side; numbers not meaningful\n")
    print("| workload | eager / expert | replay / expert | eager - replay (recording) | replay - expert "
          "(ops one by one) | largest difference, replay vs eager |")
    print("|---|---|---|---|---|---|")
    blas = set()
    for name in args.only or NAMES:
        child = [sys.executable, "-m", "benchmarks.replay", "--one", name] + ["--quick"] * args.quick
        runs = [json.loads(subprocess.run(child, check=True, capture_output=True, text=True).stdout)
                for _ in range(n_runs)]
        blas |= {r["blas"] for r in runs}
        print(_row(name, runs, long_chain_ops(args.quick)), flush=True)
    print(f"\nMedians (lowest–highest) of {n_runs} fresh processes, each interleaving the three sides; "
          f"BLAS in the timed regions: {'; '.join(sorted(blas))}")


if __name__ == "__main__":
    main()
