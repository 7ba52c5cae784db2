"""Keeping freed memory for the next training step (glibc only).

A training step allocates its activations and gradients and frees them at the end of backward.
With glibc's default settings the freed blocks (a few MiB each for a small CNN) go back to the
operating system, and the next step's allocations fault every page in again: 3,000 page faults
and about half the step's time for the CNN benchmark. The first backward pass therefore raises
two glibc thresholds, once per process: blocks up to 32 MiB come from the heap instead of their
own mmap, and up to 256 MiB of free heap is kept instead of trimmed. Memory a program frees is
then reused rather than returned (its resident size stays at its peak). It changes nothing if
``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` is set (your settings win), and nothing
with ``TINYGRAD_NP_MALLOC=default``; see docs/performance.md.
"""

from __future__ import annotations

import os
import sys

MMAP_THRESHOLD = 32 * 2**20  # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD = 256 * 2**20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)

applied = None  # None: not tried yet; then True or False


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds (once); True if they were raised."""
    global applied
    if applied is None:
        applied = False
        if _wanted():
            try:
                import ctypes

                libc = ctypes.CDLL("libc.so.6")
                applied = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                               and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
            except (OSError, AttributeError):  # not glibc
                applied = False
    return applied


def _wanted() -> bool:
    env = os.environ
    return (sys.platform.startswith("linux") and env.get("TINYGRAD_NP_MALLOC", "") != "default"
            and "MALLOC_MMAP_THRESHOLD_" not in env and "MALLOC_TRIM_THRESHOLD_" not in env)
