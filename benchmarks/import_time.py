"""How long ``import tinygrad_np`` takes on top of ``import numpy``, in fresh processes.

    python -m benchmarks.import_time [--runs 11]

Two measures, each over ``--runs`` fresh interpreters:

- **importtime** (the headline): ``python -X importtime -c "import tinygrad_np"`` reports the
  cumulative import time of ``tinygrad_np`` and of the ``numpy`` it imports, in the same process;
  their difference is what tinygrad_np adds. One process per run, so little noise.
- **wall**: the wall time of ``python -c "import tinygrad_np"`` minus that of ``python -c "import
  numpy"`` (run in alternating order, so background load hits both alike): what a user waits for,
  but two processes per run, so it is noisier.

Reported: medians and spreads over the runs, and the median of ``import numpy`` itself. The
modules that must stay out of the import are listed in tests/test_import.py.

The interpreters run as an installed package runs: with compiled bytecode (``.pyc``) cached, in a
temporary ``PYTHONPYCACHEPREFIX`` that a first, untimed run fills (``PYTHONDONTWRITEBYTECODE`` is
dropped for them). Without a bytecode cache every import compiles its sources again, which adds
about 80 ms to ``import tinygrad_np`` and says nothing about what users wait for.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RUNS = 11


def _wall(statement: str, env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], env=env, check=True)
    return time.perf_counter() - t0


def _importtime(env: dict) -> tuple[float, float]:
    """Seconds (cumulative, from ``-X importtime``) of ``import numpy`` and ``import tinygrad_np`` in one process."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import tinygrad_np"], env=env, check=True,
                          capture_output=True, text=True)
    cumulative = {}
    for line in proc.stderr.splitlines():  # "import time: <self us> | <cumulative us> | <indented name>"
        parts = line.split("|")
        if line.startswith("import time:") and len(parts) == 3 and parts[1].strip().isdigit():
            cumulative.setdefault(parts[2].strip(), int(parts[1]) * 1e-6)
    return cumulative["numpy"], cumulative["tinygrad_np"]


def _summary(values: list) -> dict:
    return {"median": float(np.median(values)), "min": float(min(values)), "max": float(max(values)), "runs": values}


def measure(runs: int = RUNS) -> dict:
    """Seconds that ``import tinygrad_np`` adds to ``import numpy`` (``importtime`` and ``wall``), and
    ``numpy``: the cumulative import time of NumPy alone."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    by_importtime, wall, numpy_alone = [], [], []
    with tempfile.TemporaryDirectory(prefix="tinygrad_np-pycache-") as cache:
        env["PYTHONPYCACHEPREFIX"] = cache
        _wall("import tinygrad_np", env)  # compiles and caches the bytecode of both packages
        for i in range(runs):
            numpy_s, ours_s = _importtime(env)
            by_importtime.append(ours_s - numpy_s)
            numpy_alone.append(numpy_s)
            pair = ["import numpy", "import tinygrad_np"]
            times = {s: _wall(s, env) for s in (pair if i % 2 == 0 else pair[::-1])}
            wall.append(times["import tinygrad_np"] - times["import numpy"])
    return {"importtime": _summary(by_importtime), "wall": _summary(wall), "numpy": _summary(numpy_alone)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.import_time", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="fresh-process pairs (default %(default)s)")
    args = parser.parse_args(argv)
    r = measure(args.runs)
    ms = lambda d: f"{d['median'] * 1e3:.1f} ms ({d['min'] * 1e3:.1f} to {d['max'] * 1e3:.1f})"  # noqa: E731
    print(f"import tinygrad_np on top of import numpy, median (min to max) of {args.runs} fresh processes:\n"
          f"  -X importtime: {ms(r['importtime'])}\n  wall time:     {ms(r['wall'])}\n"
          f"  import numpy itself (-X importtime): {ms(r['numpy'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
