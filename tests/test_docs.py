"""The docs build strictly (no broken references) and the engine page's code runs."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(page: str) -> list[str]:
    text = (ROOT / page).read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("page", ["docs/engine.md", "docs/index.md", "docs/saving.md", "docs/debugging.md",
                                  "README.md"])
def test_code_blocks_run(page):
    namespace: dict = {}
    for block in python_blocks(page):
        if "\n    ...\n" in block:  # an excerpt of a class, not a runnable program
            continue
        exec(compile(block, page, "exec"), namespace)
    if page == "README.md":  # the README's property test is a real test: run it
        namespace["test_softplus"]()


@pytest.mark.skipif(shutil.which("mkdocs") is None and not __import__("os").environ.get("CI"), reason="mkdocs missing")
def test_docs_build_strict(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
