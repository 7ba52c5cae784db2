"""The docs build strictly (no broken references), in English and Korean, and the pages' code runs.

The Korean edition (docs/PAGE.ko.md beside docs/PAGE.md, README.ko.md beside README.md) has the English
pages' code, outputs and commands, unchanged; its prose is written in Korean.
"""

import contextlib
import io
import os
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
                                  "docs/api.md", "README.md", "docs/engine.ko.md", "docs/index.ko.md", "README.ko.md",
                                  "docs/explain.md"])
def test_code_blocks_run(page):
    """The page's python blocks run in order in one namespace. On the engine guides, a ```text block right after
    one (nothing but a blank line between them) is exactly what it prints."""
    namespace: dict = {}
    text, printed, end = (ROOT / page).read_text(), None, 0
    check_outputs = page in ("docs/engine.md", "docs/engine.ko.md")
    for found in re.finditer(r"^```(python|text)\n(.*?)^```$", text, flags=re.S | re.M):
        kind, block = found.groups()
        if check_outputs and kind == "text" and printed is not None and not text[end:found.start()].strip():
            assert printed.rstrip("\n") == block.rstrip("\n"), f"{page}: a printed output is stale"
        printed, end = None, found.end()
        if kind != "python" or "\n    ...\n" in block:  # an excerpt of a class, not a runnable program
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, page, "exec"), namespace)
        printed = out.getvalue()
    if page.startswith("README"):  # the README's property test is a real test: run it
        namespace["test_softplus"]()


KOREAN_PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.ko.md")) + ["README.ko.md"]
# the terms the seed notebook keeps in English, and the Korean term written beside each at its first use
TERMS = {r"forward\s+pass": "순전파", r"backward\s+pass": "역전파", r"chain\s+rule": "연쇄 법칙",
         r"gradient\s+descent": "경사 하강법", r"gradient(?!\s+(?:descent|checking))": "기울기"}


def english_page(korean: str) -> str:
    return korean.replace(".ko.md", ".md")


def fenced(page: str) -> list[tuple[str, str]]:
    """The python, text and bash blocks of a page, in order."""
    return re.findall(r"^```(python|text|bash)\n(.*?)^```$", (ROOT / page).read_text(), flags=re.S | re.M)


def prose(page: str) -> str:
    """A page without its code, inline code, headings, HTML comments and link targets."""
    text = (ROOT / page).read_text()
    text = re.sub(r"^```.*?^```$|<!--.*?-->", "", text, flags=re.S | re.M)
    text = re.sub(r"^#.*$", "", text, flags=re.M)
    return re.sub(r"`[^`]*`|\]\([^)]*\)", "", text)


def test_the_korean_edition_has_the_expected_pages():
    assert {"docs/index.ko.md", "docs/tutorial.ko.md", "docs/engine.ko.md", "docs/testing.ko.md",
            "docs/visualization.ko.md", "docs/explain.ko.md", "README.ko.md"} <= set(KOREAN_PAGES)
    assert "[한국어](README.ko.md)" in (ROOT / "README.md").read_text()
    for page in KOREAN_PAGES:
        assert (ROOT / english_page(page)).is_file(), f"{page} has no English page beside it"


@pytest.mark.parametrize("page", KOREAN_PAGES)
def test_korean_page_has_the_english_pages_code(page):
    """Same code, same printed outputs, same commands, in the same order: only the prose is translated,
    and a command-line run may ask for the Korean page (``--lang ko`` at its end; nothing else differs)."""
    korean = [(kind, re.sub(r" --lang ko$", "", code, flags=re.M) if kind == "bash" else code)
              for kind, code in fenced(page)]
    assert korean == fenced(english_page(page))


@pytest.mark.parametrize("page", KOREAN_PAGES)
def test_korean_page_writes_the_korean_term_beside_the_english_one_at_first_use(page):
    text = prose(page)
    assert re.search(r"[가-힣]", text), f"{page} is not written in Korean"
    for term, korean in TERMS.items():
        first = re.search(term, text, flags=re.I)
        if first:
            after = text[first.end():first.end() + len(korean) + 1]
            assert after == f"({korean}", f"{page}: first use of {first.group()!r} is not followed by ({korean})"
    if page in ("docs/tutorial.ko.md", "docs/testing.ko.md"):
        assert "수치 미분" in text  # the numerical check, in the seed's words


def test_the_term_check_can_fail():
    text = "Forward pass를 먼저 하고 Forward pass(순전파)는 나중에"
    first = re.search(TERMS[r"forward\s+pass"], text, flags=re.I)
    assert text[first.end():first.end() + 4] != "(순전파"


def test_docs_build_strict(tmp_path):
    """The whole site, English at / and Korean at /ko/, builds with no warning. CI installs mkdocs with the dev
    extra, so there it must run; elsewhere it is skipped only when mkdocs is missing."""
    if shutil.which("mkdocs") is None and not os.environ.get("CI"):
        pytest.skip("mkdocs missing (pip install -e '.[docs]')")
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    english = (site / "tutorial" / "index.html").read_text()
    korean = (site / "ko" / "tutorial" / "index.html").read_text()
    assert '<html lang="en"' in english and '<html lang="ko"' in korean
    assert 'hreflang="ko"' in english and 'hreflang="en"' in korean  # the language switcher, both ways
    assert "순전파" in korean and "순전파" not in english
    assert "Backward pass를 한 단계씩 지켜보기" in korean
    assert "연쇄 법칙" in (site / "ko" / "engine" / "index.html").read_text()  # the Korean engine guide
    assert 'id="conventions"' in (site / "ko" / "engine" / "index.html").read_text()  # linked from the home page
    assert (site / "ko" / "nn" / "index.html").is_file()  # pages without a Korean version fall back to English
