"""examples/tutorial.ipynb: in step with docs/tutorial.md, and it runs from top to bottom in a real kernel."""

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "tutorial.ipynb"
MARKDOWN = ROOT / "docs" / "tutorial.md"


def make_tutorial():
    spec = importlib.util.spec_from_file_location("make_tutorial", ROOT / "docs" / "scripts" / "make_tutorial.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebook_matches_the_markdown():
    """The notebook is generated from docs/tutorial.md; regenerate it after editing the tutorial."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    cells = [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]
    expected = make_tutorial().notebook_cells(MARKDOWN.read_text(encoding="utf-8"))
    assert cells == expected, "examples/tutorial.ipynb is stale: run python docs/scripts/make_tutorial.py"
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), "commit it without outputs"


def test_tutorial_pictures_exist():
    names = re.findall(r"\]\(images/([^)]+)\)", MARKDOWN.read_text(encoding="utf-8"))
    assert len(names) >= 5 and any("graph" in n for n in names)
    for name in names:
        text = (ROOT / "docs" / "images" / name).read_text(encoding="utf-8")
        assert "<svg" in text, name


def test_markdown_parsing_round_trip():
    mt = make_tutorial()
    text = "intro\n\n```python\nprint(1)\n```\n\n```text\n1\n```\n\n![p](images/a.svg)\n\nsee [x](engine.md)\n"
    parts = mt.parse(text)
    assert [k for k, _ in parts] == ["markdown", "python", "text", "markdown"]
    assert mt.images_after(parts, 1) == ["a.svg"]
    cells = mt.notebook_cells(text)
    assert cells[1:] == [("markdown", "intro"), ("code", "print(1)"), ("markdown", "see [x](../docs/engine.md)")]
    new_text, stale = mt.check_outputs(text, ["2\n"], update=True)
    assert len(stale) == 1 and "```text\n2\n```" in new_text


def test_notebook_runs(monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel must use its inline backend to show the plots
    nbformat = pytest.importorskip("nbformat", reason="nbformat is needed to run the notebook (dev extra)")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is needed to run the notebook (dev extra)")
    pytest.importorskip("ipykernel", reason="ipykernel is needed to run the notebook (dev extra)")
    pytest.importorskip("matplotlib")

    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()  # raises CellExecutionError, with the traceback, if any cell fails

    def text_of(cell):
        return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")

    printed = "\n".join(text_of(c) for c in nb.cells if c.cell_type == "code")
    assert "Traceback" not in printed
    # the learning goals, as the notebook prints them
    assert re.search(r"largest difference, W1: [0-9.e-]+", printed)
    predictions = [float(p) for p in re.findall(r"\] -> ([0-9.]+)  \(target", printed)]
    assert len(predictions) == 4 and all(abs(p - t) < 0.1 for p, t in zip(predictions, [0, 1, 1, 0]))
    assert float(re.search(r"final test accuracy: ([0-9.]+)", printed).group(1)) >= 0.95
    assert float(re.search(r"max relative error: ([0-9.e+-]+)", printed).group(1)) < 1e-5
    assert "is wrong" in printed  # gradcheck caught the detach() bug
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type in ("display_data", "execute_result") and {"image/png", "image/svg+xml"} & set(o.data)]
    assert len(images) >= (6 if shutil.which("dot") else 3)  # the plots, and the graphs if `dot` can draw them
