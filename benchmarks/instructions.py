"""Count the CPU instructions of one workload step with Valgrind's callgrind: a measure of small
changes that machine noise does not blur (see docs/performance.md, "Measuring small changes").

    python -m benchmarks.instructions [--only chain|xor|mlp|cnn] [--steps 40] [--side tinygrad_np|numpy|numpy_seed]

Needs the ``valgrind`` program (``apt-get install valgrind``). The workload runs a few untimed
steps, then ``--steps`` steps inside one ``functools.reduce`` call, and callgrind counts only while
that call runs (``--toggle-collect``), so imports and warm-up are left out. Python's hash seed
and address-space randomisation are fixed, so two runs of the same code give the same count.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("chain", "xor", "mlp", "cnn")


def _inner(name: str, side: str, steps: int) -> None:
    """Run inside callgrind: warm up, then the counted steps within one functools.reduce call."""
    from threadpoolctl import threadpool_limits

    from benchmarks.suite import sides

    run = sides(name)[side]
    with threadpool_limits(1):
        for _ in range(3):
            run()
        functools.reduce(lambda _, __: run(), range(steps), None)


def count(name: str, side: str = "tinygrad_np", steps: int = 40) -> int:
    """Instructions per step of ``side`` of workload ``name``."""
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    cmd = ["valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=functools_reduce",
           "--callgrind-out-file=/dev/null", sys.executable, "-m", "benchmarks.instructions", "--inner",
           "--only", name, "--side", side, "--steps", str(steps)]
    if shutil.which("setarch"):
        cmd = ["setarch", "-R", *cmd]  # the same addresses every run
    env = dict(os.environ, PYTHONHASHSEED="0")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode or not found:
        raise SystemExit(f"callgrind failed:\n{proc.stderr[-2000:]}")
    return int(found.group(1)) // steps


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=WORKLOADS, default="chain")
    parser.add_argument("--side", choices=("tinygrad_np", "numpy", "numpy_seed"), default=None,
                        help="count one side only (default: tinygrad_np and the expert numpy, and their ratio)")
    parser.add_argument("--steps", type=int, default=40, help="counted steps (default 40)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        _inner(args.only, args.side, args.steps)
        return 0
    chosen = [args.side] if args.side else ["tinygrad_np", "numpy"]
    counts = {side: count(args.only, side, args.steps) for side in chosen}
    for side, n in counts.items():
        print(f"{args.only} {side}: {n:,} instructions per step")
    if len(counts) == 2:
        print(f"ratio: {counts['tinygrad_np'] / counts['numpy']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
