"""The docs' graph pictures: each is committed as its DOT source (``name.dot``) and the SVG drawn from it.

The DOT source is the picture's truth: the tests regenerate it and compare it with the committed
file, which catches a picture that no longer shows what the code draws. SVG coordinates depend on
the machine's Graphviz and fonts, so the SVG is only ever rendered from the committed DOT file.

    python docs/scripts/dot_pictures.py            # re-render every docs/images/*.svg from its .dot
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

IMAGES = Path(__file__).resolve().parents[1] / "images"


def source(graph) -> str:
    """The graph's DOT source, normalised: no trailing spaces, one newline at the end."""
    return "\n".join(line.rstrip() for line in graph.source.strip("\n").splitlines()) + "\n"


def write(graph, svg: Path) -> list[str]:
    """Write ``svg``'s DOT source beside it (``.dot``), then the SVG drawn from that file. Returns both paths."""
    svg = Path(svg)
    svg.parent.mkdir(parents=True, exist_ok=True)
    dot = svg.with_suffix(".dot")
    dot.write_text(source(graph), encoding="utf-8")
    draw(dot, svg)
    return [str(dot), str(svg)]


def draw(dot: Path, svg: Path) -> None:
    """Render ``dot`` to ``svg`` with Graphviz's ``dot`` program."""
    subprocess.run(["dot", "-Tsvg", str(dot), "-o", str(svg)], check=True)


def labels(dot_source: str) -> list[str]:
    """Every text line the DOT source asks Graphviz to write (node, edge, cluster and graph labels), sorted."""
    found = re.findall(r'label=("(?:[^"\\]|\\.)*"|[^\s\]]+)', dot_source)
    lines = []
    for label in found:
        text = label[1:-1] if label.startswith('"') else label
        text = text.replace('\\"', '"').replace("\\\\", "\0")
        lines += [part.replace("\0", "\\") for part in text.split("\\n") if part.strip()]
    return sorted(lines)


def main() -> int:
    for dot in sorted(IMAGES.glob("*.dot")):
        draw(dot, dot.with_suffix(".svg"))
        print(f"wrote {dot.with_suffix('.svg').relative_to(IMAGES.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
