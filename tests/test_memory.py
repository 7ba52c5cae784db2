"""The first backward pass keeps freed memory for the next step (tinygrad_np/_memory.py): checked
by counting page faults in fresh processes (counts, not times)."""

import os
import subprocess
import sys

import pytest

PROGRAM = """
import resource, sys
import numpy as np
import tinygrad_np as tg
from tinygrad_np import _memory

x = tg.randn(4, requires_grad=True)
(x * 2).sum().backward()  # the first backward pass
faults = []
for _ in range(6):  # what a training step does: allocate some MiB of activations, free them
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    arrays = [np.ones(2**20, np.float32) for _ in range(4)]
    del arrays
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(_memory.applied, min(faults[1:]))
"""

glibc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")


def run(**env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "TINYGRAD_NP_MALLOC"))}
    out = subprocess.run([sys.executable, "-c", PROGRAM], env={**base, **env}, capture_output=True, text=True,
                         check=True).stdout.split()
    return out[0] == "True", int(out[1])


@glibc
def test_freed_memory_is_reused_after_the_first_backward():
    applied, faults = run()
    assert applied and faults < 50  # 16 MiB allocated and freed per round: with glibc's defaults, 2,000 faults


@glibc
def test_glibc_defaults_fault_every_page_in_again():  # what the setting is for
    applied, faults = run(TINYGRAD_NP_MALLOC="default")
    assert not applied and faults > 1000


@glibc
def test_your_own_malloc_settings_win():
    applied, _ = run(MALLOC_TRIM_THRESHOLD_=str(2**20))
    assert not applied
