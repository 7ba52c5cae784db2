"""The code on docs/nn.md runs, and what its comments promise holds."""

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "nn.md"


def test_nn_page_code_blocks_run_and_print_what_they_say():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 6
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, str(DOC), "exec"), namespace)
    printed = out.getvalue()
    assert "Tensor([0, 1, 1, 0], dtype=int64)" in printed  # the XOR model learned
    assert "['out.bias'] ['extra.weight']" in printed
    assert "Linear(in_features=784, out_features=256, bias=True)" in printed
    assert "'num_batches_tracked']" in printed
    assert "1.1585" in printed
