"""Run docs/tutorial.md, write its pictures, check its printed outputs, and write examples/tutorial.ipynb.

    python docs/scripts/make_tutorial.py                   # pictures + notebook; fails if an output block is stale
    python docs/scripts/make_tutorial.py --update-outputs  # also rewrite the ```text blocks with what the code prints
    python docs/scripts/make_tutorial.py --notebook-only   # just regenerate the notebook (no code is run)

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
MARKDOWN = ROOT / "docs" / "tutorial.md"
NOTEBOOK = ROOT / "examples" / "tutorial.ipynb"
IMAGES = ROOT / "docs" / "images"
IMAGE_LINE = re.compile(r"^!\[[^\]]*\]\(images/([^)]+)\)\s*$")
FENCE = re.compile(r"^```(\w*)\s*$")
NOTE = ("*This notebook is generated from `docs/tutorial.md` by `docs/scripts/make_tutorial.py`; "
        "edit the Markdown file, not this one.*")


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


def notebook_cells(text: str) -> list[tuple[str, str]]:
    """(cell type, source) of the notebook made from the tutorial's Markdown."""
    cells = [("markdown", NOTE)]
    for kind, content in parse(text):
        if kind == "python":
            cells.append(("code", content.strip("\n")))
        elif kind == "markdown":
            lines = [line for line in content.splitlines() if not IMAGE_LINE.match(line)]
            source = "\n".join(lines).strip("\n")
            source = re.sub(r"\]\(([\w-]+\.md)\)", r"](../docs/\1)", source)  # guide links, seen from examples/
            if source.strip():
                cells.append(("markdown", source))
    return cells


def write_notebook(text: str, path: Path = NOTEBOOK) -> None:
    import nbformat
    from nbformat import v4

    nb = v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, (kind, source) in enumerate(notebook_cells(text)):
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

    from tinygrad_np.viz import render

    matplotlib.rcParams["svg.hashsalt"] = "tutorial"  # stable ids in the SVGs
    parts = parse(text)
    namespace: dict = {"__name__": "__tutorial__"}
    figures: list = []

    def show(*args, **kwargs):  # collect the figure instead of showing it; closed like Jupyter's inline backend
        figures.append(plt.gcf())
        plt.close(figures[-1])

    plt.show = show
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-outputs", action="store_true", help="rewrite stale ```text blocks")
    parser.add_argument("--notebook-only", action="store_true", help="only regenerate the notebook")
    args = parser.parse_args(argv)
    text = MARKDOWN.read_text(encoding="utf-8")
    if not args.notebook_only:
        sys.path.insert(0, str(ROOT))
        printed, written = run(text)
        print("wrote " + ", ".join(Path(p).name for p in written))
        new_text, stale = check_outputs(text, printed, args.update_outputs)
        if stale and not args.update_outputs:
            print("\n\n".join(stale), file=sys.stderr)
            print(f"{len(stale)} output block(s) differ; rerun with --update-outputs", file=sys.stderr)
            return 1
        if new_text != text:
            MARKDOWN.write_text(new_text, encoding="utf-8")
            text = new_text
            print(f"updated {len(stale)} output block(s) in {MARKDOWN.name}")
    write_notebook(text)
    print(f"wrote {NOTEBOOK.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
