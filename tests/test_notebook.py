"""The tutorials: docs/tutorial.md (English) and docs/tutorial.ko.md (Korean), and the notebooks made from them
(examples/tutorial.ipynb, examples/tutorial_ko.ipynb). Regenerating a page gives the committed text, its
notebook is in step with it, and the notebook runs from top to bottom in a real kernel."""

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEEDS_DOT = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` draws the tutorial's graphs")


def make_tutorial():
    spec = importlib.util.spec_from_file_location("make_tutorial", ROOT / "docs" / "scripts" / "make_tutorial.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LANGUAGES = sorted(make_tutorial().TUTORIALS)


def paths(lang: str) -> tuple[Path, Path]:
    return make_tutorial().TUTORIALS[lang]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_notebook_matches_the_markdown(lang):
    """The notebook is generated from the tutorial page; regenerate it after editing the page."""
    markdown, notebook = paths(lang)
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    cells = [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]
    expected = make_tutorial().notebook_cells(markdown.read_text(encoding="utf-8"), lang)
    assert cells == expected, f"{notebook.name} is stale: run python docs/scripts/make_tutorial.py"
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"), "commit it without outputs"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_tutorial_pictures_exist(lang):
    names = re.findall(r"\]\(images/([^)]+)\)", paths(lang)[0].read_text(encoding="utf-8"))
    assert len(names) >= 5 and any("graph" in n for n in names)
    for name in names:
        text = (ROOT / "docs" / "images" / name).read_text(encoding="utf-8")
        assert "<svg" in text, name


@NEEDS_DOT
@pytest.mark.parametrize("lang", LANGUAGES)
def test_regenerating_the_tutorial_gives_the_committed_text(lang, tmp_path):
    """Every ```text block is exactly what the python block before it prints, on any machine: the tutorial
    rounds what it prints (a float64 difference of 4e-19 must not show). Pictures go to tmp_path."""
    pytest.importorskip("matplotlib")
    mt = make_tutorial()
    text = paths(lang)[0].read_text(encoding="utf-8")
    printed, written = mt.run(text, images=tmp_path)
    new_text, stale = mt.check_outputs(text, printed, update=False)
    assert not stale, "\n\n".join(stale)
    assert new_text == text
    assert sorted(Path(p).name for p in written) == sorted(set(re.findall(r"\]\(images/([^)]+)\)", text)))


def test_the_tutorials_have_the_same_code_and_outputs():
    """The Korean tutorial is the English one's code with Korean prose: same blocks, same pictures, same order."""
    mt = make_tutorial()
    (en, _), (ko, _) = paths("en"), paths("ko")
    blocks = [[(kind, content) for kind, content in mt.parse(page.read_text(encoding="utf-8")) if kind != "markdown"]
              for page in (en, ko)]
    assert blocks[0] == blocks[1]
    pictures = [re.findall(r"\]\(images/([^)]+)\)", page.read_text(encoding="utf-8")) for page in (en, ko)]
    assert pictures[0] == pictures[1]


def test_the_explain_section_is_in_both_tutorials():
    """Both tutorials step through the XOR network's backward pass with explain, write out the chain rule for
    one weight (its printed check "equal to 1e-15: True" is compared with the committed text, so a product that
    differed from .grad would fail the generator and this test),
    and print gradients with hooks."""
    headings = {"en": "Watching the backward pass step by step", "ko": "Backward pass를 한 단계씩 지켜보기"}
    for lang, heading in headings.items():
        text = paths(lang)[0].read_text(encoding="utf-8")
        section = re.split(rf"^## \d+\. {heading}$", text, flags=re.M)[1].split("\n## ")[0]
        assert "TODO" not in section and "tg.explain(xor_loss" in section and "register_hook" in section, lang
        assert "Backward pass from loss: 8 steps" in section and "equal to 1e-15: True" in section, lang
        assert "tutorial_explain_step.svg" in section, lang


def test_markdown_parsing_round_trip():
    mt = make_tutorial()
    text = "intro\n\n```python\nprint(1)\n```\n\n```text\n1\n```\n\n![p](images/a.svg)\n\nsee [x](engine.md)\n"
    parts = mt.parse(text)
    assert [k for k, _ in parts] == ["markdown", "python", "text", "markdown"]
    assert mt.images_after(parts, 1) == ["a.svg"]
    cells = mt.notebook_cells(text)
    assert cells[1:] == [("markdown", "intro"), ("code", "print(1)"), ("markdown", "see [x](../docs/engine.md)")]
    assert mt.notebook_cells(text.replace("engine.md", "testing.md#gradcheck"), "ko")[-1] == \
        ("markdown", "see [x](../docs/testing.ko.md#gradcheck)")  # a Korean notebook links to the Korean guide
    new_text, stale = mt.check_outputs(text, ["2\n"], update=True)
    assert len(stale) == 1 and "```text\n2\n```" in new_text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_notebook_runs(lang, monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel must use its inline backend to show the plots
    nbformat = pytest.importorskip("nbformat", reason="nbformat is needed to run the notebook (dev extra)")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is needed to run the notebook (dev extra)")
    pytest.importorskip("ipykernel", reason="ipykernel is needed to run the notebook (dev extra)")
    pytest.importorskip("matplotlib")

    nb = nbformat.read(paths(lang)[1], as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()  # raises CellExecutionError, with the traceback, if any cell fails

    def text_of(cell):
        return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")

    printed = "\n".join(text_of(c) for c in nb.cells if c.cell_type == "code")
    assert "Traceback" not in printed
    # the learning goals, as the notebook prints them
    assert "dL/dW1 by hand equals backward(): True" in printed
    assert "dL/dW equal: True, dL/db equal: True" in printed and "dL/dx equal: True" in printed  # the seed's layers
    predictions = [float(p) for p in re.findall(r"\] -> ([0-9.]+)  \(target", printed)]
    assert len(predictions) == 4 and all(abs(p - t) < 0.1 for p, t in zip(predictions, [0, 1, 1, 0]))
    assert float(re.search(r"final test accuracy: ([0-9.]+)", printed).group(1)) >= 0.95
    assert "max relative error below 1e-8: True" in printed and "gradient check PASSED" in printed
    assert "is wrong" in printed  # gradcheck caught the detach() bug
    assert "Backward pass from loss: 8 steps" in printed and "equal to 1e-15: True" in printed  # explain
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type in ("display_data", "execute_result") and {"image/png", "image/svg+xml"} & set(o.data)]
    assert len(images) >= (6 if shutil.which("dot") else 3)  # the plots, and the graphs if `dot` can draw them
