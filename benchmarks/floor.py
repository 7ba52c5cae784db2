"""How close can an eager autograd written in Python come to the expert NumPy chain?

``python -m benchmarks.floor`` times, in one process with one BLAS thread, interleaved: the expert
NumPy chain of ``benchmarks/chain.py``, tinygrad_np, and ``bare``: the least an eager engine in
Python can do for the same program, written for this chain only. Each op makes an output object
and a node (its backward function, its parent and the array the rule needs); backward follows
the parents and calls each rule once. It has no graph order for fan-in, no broadcasting, no
dtypes, no hooks, no checks, no freeing: the floor of the design, not a usable library.

The gap between ``bare`` and the expert is the cost of Python objects and calls per op; what
would move it is not recording per op at all, e.g. tracing a fixed-shape step once and
replaying the recorded NumPy calls (``benchmarks/replay.py`` measures that with this library's own ops).
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks import chain


class _Value:
    __slots__ = ("data", "node")

    def __init__(self, data, node):
        self.data, self.node = data, node


def _mul_rule(g, w):
    return g * w


def _add_rule(g, _):
    return g


def _tanh_rule(g, t):
    return g - g * t * t


def _bare_step(x0, w0, b0):
    y = _Value(x0, None)
    for _ in range(chain.LINKS):
        u = _Value(y.data * w0, (_mul_rule, y.node, w0))
        v = _Value(u.data + b0, (_add_rule, u.node, None))
        t = np.tanh(v.data)
        y = _Value(t, (_tanh_rule, v.node, t))
    g, node = np.ones_like(y.data), y.node  # d(sum)/dy
    while node is not None:
        rule, node, saved = node[0], node[1], node[2]
        g = rule(g, saved)
    return g


def measure(rounds: int = 15, block: int = 5) -> dict:
    from threadpoolctl import threadpool_limits

    inputs = chain.make_inputs()
    expert = chain.expert(inputs).step
    sides = {"numpy (expert)": expert, "tinygrad_np": lambda: chain.run_tinygrad(inputs),
             "bare eager engine": lambda: _bare_step(*inputs)}
    np.testing.assert_allclose(_bare_step(*inputs), chain.run_tinygrad(inputs), rtol=1e-4)
    times = {k: [] for k in sides}
    with threadpool_limits(1):
        for _ in range(rounds):
            for name, step in sides.items():
                step()
                start = time.perf_counter()
                for _ in range(block):
                    step()
                times[name].append((time.perf_counter() - start) / block)
    return {k: float(np.median(v)) for k, v in times.items()}


def main():
    med = measure()
    base = med["numpy (expert)"]
    print("1,000-op chain tanh(y * w + b), 16x16, forward + backward (median of interleaved blocks):")
    for name, t in med.items():
        print(f"  {name:20s} {t * 1e3:7.3f} ms   {t / base:5.2f}x")


if __name__ == "__main__":
    main()
