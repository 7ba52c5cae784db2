"""Run the tutorial pages, write their pictures, check their printed outputs, and write their notebooks.

    python docs/scripts/make_tutorial.py                   # pictures + notebooks; fails if an output block is stale
    python docs/scripts/make_tutorial.py --update-outputs  # also rewrite the ```text blocks with what the code prints
    python docs/scripts/make_tutorial.py --notebook-only   # just regenerate the notebooks (no code is run)
    python docs/scripts/make_tutorial.py --lang ko --images /tmp/pictures   # one language; pictures elsewhere

There is one tutorial per language: docs/tutorial.md (English) -> examples/tutorial.ipynb and
docs/tutorial.ko.md (Korean) -> examples/tutorial_ko.ipynb. The Korean page has the same code,
so the same outputs and pictures; only the prose is its own.

The tutorial's ```python blocks run in order in one namespace. A ```text block right after a
python block shows what that block prints. The pictures (``![...](images/...)``) between a
python block and the next one are what that block produced, in order: each figure passed to
``plt.show()``, then the graph if the block ends with an expression that returns one.
In the notebook the code cells produce the pictures and outputs themselves, so the images and
```text blocks are left out of it. Needs matplotlib, nbformat and Graphviz's `dot`.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TUTORIALS = {  # language: (the Markdown page, the notebook made from it)
    "en": (DOCS / "tutorial.md", ROOT / "examples" / "tutorial.ipynb"),
    "ko": (DOCS / "tutorial.ko.md", ROOT / "examples" / "tutorial_ko.ipynb"),
}
MARKDOWN, NOTEBOOK = TUTORIALS["en"]
IMAGES = DOCS / "images"
IMAGE_LINE = re.compile(r"^!\[[^\]]*\]\(images/([^)]+)\)\s*$")
FENCE = re.compile(r"^```(\w*)\s*$")
NOTES = {
    "en": "*This notebook is generated from `docs/{page}` by `docs/scripts/make_tutorial.py`; "
          "edit the Markdown file, not this one.*",
    "ko": "*이 노트북은 `docs/scripts/make_tutorial.py`가 `docs/{page}`에서 만든다. "
          "이 파일이 아니라 Markdown 파일을 고칠 것.*",
}

def parse(text: str) -> list[tuple[str, str]]:
    """Split Markdown into ("markdown" | "python" | "text", content) parts, in order."""
    parts, lines, kind, buf = [], text.splitlines(), "markdown", []
    for line in lines:
        fence = FENCE.match(line)
        if kind == "markdown" and fence and fence.group(1) in ("python", "text"):
            parts.append(("markdown", "\n".join(buf)))
            kind, buf = fence.group(1), []
        elif kind != "markdown" and fence and not fence.group(1):
            parts.append((kind, "\n".join(buf)))
            kind, buf = "markdown", []
        else:
            buf.append(line)
    if kind != "markdown":
        raise ValueError(f"unclosed ```{kind} block in the tutorial")
    parts.append(("markdown", "\n".join(buf)))
    return [(k, c) for k, c in parts if k != "markdown" or c.strip()]


def images_after(parts, i: int) -> list[str]:
    """Picture file names referenced in the Markdown after python part i, up to the next python part."""
    names = []
    for kind, content in parts[i + 1:]:
        if kind == "python":
            break
        if kind == "markdown":
            names += [m.group(1) for line in content.splitlines() if (m := IMAGE_LINE.match(line))]
    return names


def guide_link(match: re.Match, lang: str) -> str:
    """A link to another docs page, as seen from examples/: the page in the notebook's language if there is one."""
    page, anchor = match.group(1), match.group(2) or ""
    localized = page.replace(".md", f".{lang}.md")
    if lang != "en" and (DOCS / localized).exists():
        page = localized
    return f"](../docs/{page}{anchor})"


def notebook_cells(text: str, lang: str = "en") -> list[tuple[str, str]]:
    """(cell type, source) of the notebook made from the tutorial's Markdown."""
    cells = [("markdown", NOTES[lang].format(page=TUTORIALS[lang][0].name))]
    for kind, content in parse(text):
        if kind == "python":
            cells.append(("code", content.strip("\n")))
        elif kind == "markdown":
            lines = [line for line in content.splitlines() if not IMAGE_LINE.match(line)]
            source = "\n".join(lines).strip("\n")
            source = re.sub(r"\]\(([\w-]+\.md)(#[\w-]+)?\)", lambda m: guide_link(m, lang), source)
            if source.strip():
                cells.append(("markdown", source))
    return cells


def write_notebook(text: str, path: Path = NOTEBOOK, lang: str = "en") -> None:
    import nbformat
    from nbformat import v4

    nb = v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, (kind, source) in enumerate(notebook_cells(text, lang)):
        cell = v4.new_code_cell(source) if kind == "code" else v4.new_markdown_cell(source)
        cell["id"] = f"cell-{i:02d}"  # stable ids: regenerating gives the same file
        nb.cells.append(cell)
    nbformat.validate(nb)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def run(text: str, images: Path = IMAGES) -> tuple[list[str], list[str]]:
    """Run every python block; write the pictures; return (what each python block printed, pictures written)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "tutorial"  # stable ids in the SVGs
    parts = parse(text)
    namespace: dict = {"__name__": "__tutorial__"}
    figures: list = []

    def show(*args, **kwargs):  # collect the figure instead of showing it; closed like Jupyter's inline backend
        figures.append(plt.gcf())
        plt.close(figures[-1])

    real_show, plt.show = plt.show, show
    try:
        return run_parts(parts, namespace, figures, images)
    finally:
        plt.show = real_show


def run_parts(parts, namespace: dict, figures: list, images: Path) -> tuple[list[str], list[str]]:
    """Run the python parts in ``namespace``; ``figures`` collects what each one shows."""
    from tinygrad_np.viz import render

    printed, written = [], []
    for i, (kind, source) in enumerate(parts):
        if kind != "python":
            continue
        figures.clear()
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(tree, f"<tutorial block {i}>", "exec"), namespace)
            value = eval(compile(ast.Expression(last.value), f"<tutorial block {i}>", "eval"), namespace) \
                if last is not None else None
        printed.append(out.getvalue())
        produced = list(figures) + ([value] if hasattr(value, "pipe") else [])
        names = images_after(parts, i)
        if len(names) != len(produced):
            raise RuntimeError(f"python block {i} made {len(produced)} picture(s) but {len(names)} follow it: {names}")
        for name, item in zip(names, produced):
            path = images / name
            if hasattr(item, "pipe"):
                render(item, path)
            else:
                item.savefig(path, format=path.suffix.lstrip("."), bbox_inches="tight", metadata={"Date": None})
            written.append(str(path))
    return printed, written


def check_outputs(text: str, printed: list[str], update: bool) -> tuple[str, list[str]]:
    """Compare each ```text block with what the python block before it printed; optionally rewrite it."""
    parts = parse(text)
    stale, new_parts, n = [], [], -1
    for kind, content in parts:
        if kind == "python":
            n += 1
        if kind == "text":
            actual = printed[n].rstrip("\n")
            if actual != content.rstrip("\n"):
                stale.append(f"output of python block {n}:\n--- in the tutorial\n{content}\n--- printed\n{actual}")
                content = actual if update else content
        new_parts.append((kind, content))
    out = []
    for kind, content in new_parts:
        out.append(content if kind == "markdown" else f"```{kind}\n{content}\n```")
    return "\n\n".join(part.strip("\n") for part in out) + "\n", stale


def make(lang: str, update_outputs: bool, notebook_only: bool, images: Path) -> int:
    markdown, notebook = TUTORIALS[lang]
    text = markdown.read_text(encoding="utf-8")
    if not notebook_only:
        printed, written = run(text, images)
        print("wrote " + ", ".join(Path(p).name for p in written))
        new_text, stale = check_outputs(text, printed, update_outputs)
        if stale and not update_outputs:
            print("\n\n".join(stale), file=sys.stderr)
            print(f"{len(stale)} output block(s) of {markdown.name} differ; rerun with --update-outputs",
                  file=sys.stderr)
            return 1
        if new_text != text:
            markdown.write_text(new_text, encoding="utf-8")
            text = new_text
            print(f"updated {len(stale)} output block(s) in {markdown.name}")
    write_notebook(text, notebook, lang)
    print(f"wrote {notebook.relative_to(ROOT)}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-outputs", action="store_true", help="rewrite stale ```text blocks")
    parser.add_argument("--notebook-only", action="store_true", help="only regenerate the notebooks")
    parser.add_argument("--lang", choices=sorted(TUTORIALS), action="append",
                        help="a tutorial's language (repeatable; default: all)")
    parser.add_argument("--images", type=Path, default=IMAGES, help=f"folder for the pictures (default: {IMAGES})")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    failed = 0
    for lang in args.lang or list(TUTORIALS):
        failed |= make(lang, args.update_outputs, args.notebook_only, args.images)
    return failed


if __name__ == "__main__":
    sys.exit(main())
