"""``import tinygrad_np`` stays light: optional and heavy modules are imported where they are used.

Each check runs in a fresh interpreter, since this test process has long imported everything.
No timing here (benchmarks/import_time.py measures it).
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# networking (MNIST's download), optional extras and test-only libraries
NOT_AT_IMPORT = ["urllib.request", "http.client", "ssl", "email", "socket", "graphviz", "tqdm", "matplotlib",
                 "safetensors", "hypothesis", "scipy", "torch", "IPython"]


def loaded_at_import(statement: str = "import tinygrad_np") -> set:
    """Which of NOT_AT_IMPORT a fresh ``python -c statement`` has in sys.modules."""
    code = f"{statement}; import sys; print(' '.join(m for m in {NOT_AT_IMPORT!r} if m in sys.modules))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


def test_import_loads_no_optional_or_network_module():
    assert loaded_at_import() == set()


def test_the_check_sees_a_module_that_is_loaded():
    assert loaded_at_import("import tinygrad_np, urllib.request") >= {"urllib.request", "http.client", "ssl", "email"}


def test_submodules_used_from_the_top_level_stay_light():
    # the public entry points users import next to the package itself
    statement = "import tinygrad_np, tinygrad_np.nn, tinygrad_np.optim, tinygrad_np.data, tinygrad_np.viz"
    assert loaded_at_import(statement) == set()
