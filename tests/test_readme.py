"""The README's two set-up commands stay true: CI runs exactly the README's test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = bash_blocks(readme.split("## Set-up on a fresh machine")[1].split("\n## ")[0])
    assert len(blocks) == 2, "the set-up section has exactly two commands: the demo and the tests"
    demo, tests = blocks
    assert "tinygrad-np demo" in demo
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert tests in ci_lines


def test_demo_command_is_installed_by_pyproject():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'tinygrad-np = "tinygrad_np.cli:main"' in pyproject


def test_readme_says_how_to_open_the_tutorial_notebook():
    """The README's notebook command names an extra that installs JupyterLab and a notebook that exists."""
    tomllib = __import__("pytest").importorskip("tomllib")
    readme = (ROOT / "README.md").read_text()
    (command,) = bash_blocks(readme.split("## The tutorial notebook")[1].split("\n## ")[0])
    extra, notebook = re.fullmatch(r'pip install -e "\.\[(\w+)\]" && jupyter lab (\S+\.ipynb)', command).groups()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(req.startswith("jupyterlab") for req in extras[extra])
    assert "tinygrad_np[train]" in extras[extra]  # the tutorial plots with matplotlib
    assert (ROOT / notebook).is_file()


def test_korean_readme_has_the_same_speed_table():
    """README.ko.md repeats the README's speed table: its numbers must follow the English one's."""

    def ratios(name: str, heading: str) -> list[str]:
        section = (ROOT / name).read_text().split(heading)[1].split("\n## ")[0]
        return re.findall(r"\| ([0-9.]+x)", section)

    english = ratios("README.md", "## Speed")
    assert len(english) >= 12 and ratios("README.ko.md", "## 속도") == english


def test_two_commands_from_the_readme_to_the_backward_pass_in_the_browser():
    """One install and one command: the README's explain command installs only what the command needs
    (explain needs no extra) and its arguments are the CLI's; the Korean README's opens the Korean page."""
    from tinygrad_np import cli

    for readme, heading, lang in (("README.md", "## Watch the backward pass, step by step", "--lang ko"),
                                  ("README.ko.md", "## Backward pass를 한 단계씩 보기", "--lang ko")):
        section = (ROOT / readme).read_text().split(heading)[1].split("\n## ")[0]
        (command,) = bash_blocks(section)
        install, run = command.split(" && ")
        assert install == "pip install -e ."
        argv = run.split()
        assert argv[:2] == ["tinygrad-np", "explain"]
        args = cli.make_parser().parse_args(argv[1:])
        assert args.func is cli.explain and args.open and args.model == "xor"
        assert args.lang == ("ko" if readme == "README.ko.md" else "en")
        assert lang in section  # the other language is one option away
