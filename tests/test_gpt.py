"""A character-level GPT written as PyTorch code is written (examples/char_gpt.py, which imports
``tinygrad_np as torch``): its structure (weight tying, a LayerNorm without bias, the causal mask as a
buffer), causality, dropout modes, a few AdamW steps with two parameter groups lowering the loss, and
sampling with ``topk`` and ``multinomial``. benchmarks/crosscheck_torch.py runs the same file on
PyTorch and compares logits, loss and every gradient."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import tinygrad_np as tg

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "char_gpt.py"
_spec = importlib.util.spec_from_file_location("char_gpt", EXAMPLE)
gpt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gpt)


@pytest.fixture(autouse=True)
def _one_blas_thread(one_blas_thread):
    yield


def make_model(seed: int = 0, **config):
    tg.manual_seed(seed)
    chars = gpt.Characters(gpt.TEXT)
    return gpt.CharGPT(gpt.Config(vocab_size=len(chars.chars), **config)), chars


def test_the_model_is_pytorch_code():
    """The example reaches tinygrad_np only through PyTorch's three import names (the crosscheck swaps them)."""
    tree = ast.parse(EXAMPLE.read_text())
    imports = [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert imports == ["import argparse", "import math", "from dataclasses import dataclass",
                       "import tinygrad_np as torch", "import tinygrad_np.nn as nn",
                       "import tinygrad_np.nn.functional as F"]


def test_structure_weight_tying_and_state_dict():
    model, chars = make_model()
    cfg = model.cfg
    assert model.head.weight is model.body.tokens.weight  # tied: one Parameter
    names = [name for name, _ in model.named_parameters()]
    assert "body.tokens.weight" in names and "head.weight" not in names  # listed once, under its first name
    state = model.state_dict()
    assert "head.weight" in state and "body.tokens.weight" in state  # ... but saved under both, as PyTorch
    assert "body.blocks.0.attn.mask" in state and "body.blocks.1.attn.mask" in state
    np.testing.assert_array_equal(state["body.blocks.0.attn.mask"][0, 0], np.tril(np.ones((16, 16))))
    assert model.body.norm.bias is None and "body.norm.bias" not in state  # LayerNorm(bias=False)
    assert model.body.blocks[0].norm1.bias is not None
    w = cfg.width
    per_block = 4 * w + (3 * w * w + 3 * w) + (w * w + w) + (4 * w * w + 4 * w) + (4 * w * w + w)
    expected = cfg.vocab_size * w + cfg.context * w + cfg.layers * per_block + w
    assert sum(p.numel() for p in model.parameters()) == expected
    # the residual projections start smaller (std 0.02 / sqrt(2 * layers)), the other matrices at 0.02
    assert model.body.blocks[0].attn.out.weight.data.std() < 0.6 * model.body.blocks[0].attn.qkv.weight.data.std()


def test_attention_is_causal():
    model, _ = make_model()
    model.eval()
    idx = tg.randint(0, model.cfg.vocab_size, (2, 12))
    logits, _ = model(idx)
    changed = idx.clone()
    changed[:, 8] = (idx[:, 8] + 1) % model.cfg.vocab_size
    logits_changed, _ = model(changed)
    np.testing.assert_array_equal(logits.data[:, :8], logits_changed.data[:, :8])  # the past cannot see the future
    assert not np.allclose(logits.data[:, 8:], logits_changed.data[:, 8:])


def test_dropout_is_on_in_training_only():
    model, chars = make_model()
    x, _ = chars.batch(2, 16)
    model.train()
    assert not np.array_equal(model(x)[0].data, model(x)[0].data)
    model.eval()
    np.testing.assert_array_equal(model(x)[0].data, model(x)[0].data)


def test_adamw_with_two_groups_lowers_the_loss():
    model, chars = make_model()
    optimizer = model.configure_optimizer(3e-3, weight_decay=0.1)
    decay, no_decay = optimizer.param_groups
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.dim() >= 2 for p in decay["params"]) and all(p.dim() < 2 for p in no_decay["params"])
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))
    g = tg.Generator().manual_seed(1)
    held_out = [chars.batch(16, 16, g) for _ in range(3)]

    def evaluation_loss():
        model.eval()
        with tg.no_grad():
            return np.mean([model(x, y)[1].item() for x, y in held_out])

    before = evaluation_loss()
    assert abs(before - np.log(model.cfg.vocab_size)) < 0.1  # small initial weights: about uniform predictions
    losses = gpt.train(model, chars, 40, generator=g)
    after = evaluation_loss()
    assert np.isfinite(losses).all()
    assert after < before - 0.5, (before, after)
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.5


def test_sampling_with_topk_and_multinomial():
    model, chars = make_model()
    gpt.train(model, chars, 10)
    model.eval()
    prompt = chars.encode("to be")
    # top_k=1 leaves one candidate: the greedy continuation
    greedy = prompt
    for _ in range(6):
        logits, _ = model(greedy)
        greedy = tg.cat((greedy, logits[:, -1, :].argmax(-1, keepdim=True)), dim=1)
    np.testing.assert_array_equal(model.generate(prompt, 6, top_k=1).data, greedy.data)
    # top_k=3: every new character is one of the 3 most likely at its step; a seeded generator repeats it
    sample = model.generate(prompt, 8, top_k=3, generator=tg.Generator().manual_seed(5))
    assert sample.shape == (1, 13) and sample.dtype == np.int64
    np.testing.assert_array_equal(sample.data[:, :5], prompt.data)
    for t in range(5, 13):
        logits, _ = model(sample[:, :t])
        assert sample.data[0, t] in np.argsort(logits.data[0, -1])[-3:]
    again = model.generate(prompt, 8, top_k=3, generator=tg.Generator().manual_seed(5))
    np.testing.assert_array_equal(again.data, sample.data)
    assert len(chars.decode(sample[0])) == 13


def test_main_runs(capsys):
    out = gpt.main(["--steps", "3"])
    assert len(out["losses"]) == 3 and len(out["sample"]) == 65
    assert "parameters" in capsys.readouterr().out
