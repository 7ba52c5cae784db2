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
    assert "{'cls': (5, 3), 'box': (5, 2)}" in printed  # the containers
    assert ("['heads.cls.weight', 'heads.cls.bias', 'heads.box.weight', 'heads.box.bias', 'scales.0', 'scales.1', "
            "'temperature.t']") in printed
    assert "[[[[5.0, 8.0]]]] [[[[1, 6]]]]" in printed  # max-pool indices
    assert "[[[[0.0, 5.0, 0.0, 0.0], [0.0, 0.0, 8.0, 0.0]]]]" in printed  # and unpooling
    assert "(2, 5, 8) (2, 5, 5) ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']" in printed
    assert "(2, 2, 5, 4)" in printed  # scaled_dot_product_attention
