"""Memory of the MLP training step (benchmarks/mlp.py) under tracemalloc, which sees NumPy's
array buffers as well as Python objects.

For each side, 50 steps run with tracing on. Per step we record the peak *extra* memory (the
traced peak during the step minus what was traced just before it) and the retained memory after
it. Reported: the median peak extra of a step (tinygrad_np against the seed-style NumPy step), how much
retained memory grew between step 10 and step 50 (it should not grow at all: the graph and the
gradients of the previous step must be freed by reference counting alone), and what stays
allocated between steps (for tinygrad_np the ``.grad`` arrays, kept as in PyTorch).

The expert NumPy step allocates its buffers once, so its peak extra per step is close to nothing;
``expert_buffers`` reports what it holds instead (its buffers, parameters excluded) next to it.
"""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np

from benchmarks import mlp

STEPS = 50
GROWTH_FROM = 10  # growth is measured between the end of this step and the end of the last step
# Bytes of growth we still call "none". After tracing starts, CPython's free lists of small objects slowly
# fill with traced blocks: about 5 KB over steps 10 to 50 for the tinygrad_np MLP step, flat after ~80 steps.
# A leaked graph or gradient would retain at least one array per step (the smallest, the logits, is 5 KB).
TOLERANCE = 64 * 1024


def profile(step, steps: int = STEPS) -> dict:
    """Run ``step`` ``steps`` times under tracemalloc; peaks and retained bytes per step."""
    gc.collect()
    tracemalloc.start()
    try:
        peaks = np.zeros(steps, dtype=np.int64)  # preallocated: our own bookkeeping must not show as growth
        retained = np.zeros(steps, dtype=np.int64)
        for i in range(steps):
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            step()
            current, peak = tracemalloc.get_traced_memory()
            peaks[i] = peak - before
            retained[i] = current
    finally:
        tracemalloc.stop()
    return {"peaks": peaks, "retained": retained}


def mlp_sides() -> dict:
    inputs = mlp.make_inputs()
    return {"tinygrad_np": lambda: mlp.run_tinygrad(inputs), "numpy": mlp.expert(mlp.make_inputs()).step,
            "numpy_seed": mlp.seed(mlp.make_inputs()).step}


def expert_buffers() -> int:
    """Bytes of the expert MLP step's buffers: allocated when it is set up, its copies of the
    parameters excluded."""
    inputs = mlp.make_inputs()
    gc.collect()
    tracemalloc.start()
    try:
        side = mlp.expert(inputs)
        buffers = tracemalloc.get_traced_memory()[0] - sum(p.nbytes for p in inputs.params)
    finally:
        tracemalloc.stop()
    del side
    return int(buffers)


def measure(steps: int = STEPS, growth_from: int = GROWTH_FROM, sides: dict | None = None) -> dict:
    """Peak extra bytes of one step (median) and retained growth, for each side (default: the MLP's)."""
    from threadpoolctl import threadpool_limits

    sides = mlp_sides() if sides is None else sides
    out = {}
    for name, step in sides.items():
        with threadpool_limits(1):  # as in the timed workloads
            prof = profile(step, steps)
        out[name] = {
            "peak": float(np.median(prof["peaks"][1:])),  # the first step also allocates lasting .grad arrays
            "growth": int(prof["retained"][-1] - prof["retained"][growth_from - 1]),
            "held": int(prof["retained"][-1]),  # allocated during the run and still alive after the last step
        }
    return out


def check(steps: int = STEPS, growth_from: int = GROWTH_FROM, sides: dict | None = None):
    """Retained memory does not grow from step to step (beyond ``TOLERANCE``), on either side."""
    result = measure(steps, growth_from, sides)
    for name, r in result.items():
        assert r["growth"] <= TOLERANCE, f"{name}: retained memory grew by {r['growth']} bytes"
    return result
