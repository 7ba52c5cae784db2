"""tinygrad_np.explain: the same backward pass as backward(), told one step at a time."""

import re
import shutil

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
from tinygrad_np.autograd import Function
from tinygrad_np.explain import Explanation, summarize

NEEDS_DOT = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` renders the pictures")


def xor_net():
    """The seed's XOR network with the seed's starting weights (np.random.seed(42)), in float64."""
    rng = np.random.RandomState(42)
    w1, w2 = rng.randn(2, 8) * np.sqrt(2 / 2), rng.randn(8, 1) * np.sqrt(2 / 8)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid()).double()
    for layer, w in ((model[0], w1), (model[2], w2)):
        layer.weight.data[...] = w.T
        layer.bias.data[...] = 0
    x = tg.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float64")
    y = tg.tensor([[0], [1], [1], [0]], dtype="float64")
    return model, x, y


def losses():
    """(name, make) pairs: make() builds a fresh graph and returns (loss, leaves, names, model)."""

    def xor():
        model, x, y = xor_net()
        pred = model(x)
        loss = F.mse_loss(pred, y)
        return loss, list(model.parameters()), {"x": x, "y": y, "pred": pred, "loss": loss}, model

    def shared_weight():  # one weight used twice, a broadcast bias, a reduction: gradients are summed
        rng = np.random.default_rng(1)
        w = tg.tensor(rng.standard_normal((3, 3)), requires_grad=True)
        b = tg.tensor(rng.standard_normal(3), requires_grad=True)
        x = tg.tensor(rng.standard_normal((5, 3)), requires_grad=True)
        h = (x @ w + b).tanh()
        loss = ((h @ w) * h).sum() / 4
        return loss, [w, b, x], {"w": w, "b": b, "x": x, "h": h}, None

    def classifier():
        tg.manual_seed(3)
        model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3)).double()
        x = tg.tensor(np.random.default_rng(2).standard_normal((4, 6)))
        loss = F.cross_entropy(model(x), tg.tensor([0, 2, 1, 2]))
        return loss, list(model.parameters()), {"x": x}, model

    return [("xor", xor), ("shared weight", shared_weight), ("classifier", classifier)]


CASES = losses()


@pytest.mark.parametrize("name, make", CASES, ids=[c[0] for c in CASES])
def test_gradients_are_those_of_backward_bit_for_bit(name, make):
    loss, leaves, _, _ = make()
    loss.backward()
    expected = [p.grad.numpy().copy() for p in leaves]
    loss, leaves, names, model = make()
    explanation = tg.explain(loss, names=names, model=model)
    assert isinstance(explanation, Explanation) and len(explanation) > 0
    for p, g in zip(leaves, expected):
        assert p.grad.dtype == g.dtype and np.array_equal(p.grad.numpy(), g)  # the same bits, not just close


@pytest.mark.parametrize("name, make", CASES, ids=[c[0] for c in CASES])
def test_with_inputs_it_is_grad_and_leaves_grad_alone(name, make):
    loss, leaves, _, _ = make()
    expected = tg.grad(loss, leaves)
    loss, leaves, names, model = make()
    explanation = tg.explain(loss, inputs=leaves, names=names, model=model)
    assert all(p.grad is None for p in leaves)
    assert len(explanation.grads) == len(leaves)
    for got, want in zip(explanation.grads, expected):
        assert np.array_equal(got.numpy(), want.numpy()) and got.dtype == want.dtype
    assert [g for _, g in explanation.final_grads()][0] is explanation.grads[0].data


@pytest.mark.parametrize("name, make", CASES, ids=[c[0] for c in CASES])
def test_steps_follow_the_chain_rule(name, make):
    """Every step runs once, after its consumers (decreasing creation order); the gradient it receives
    is the sum of what earlier steps sent to it; each leaf's .grad is the sum of what it was sent."""
    loss, leaves, names, model = make()
    steps = tg.explain(loss, names=names, model=model).steps
    seqs = [s.node.seq for s in steps]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    assert steps[0].node is loss.grad_fn and np.array_equal(steps[0].grad_output, np.ones(()))
    received = {}
    for s in steps:
        if s.number > 1:
            np.testing.assert_allclose(s.grad_output, received.pop(s.number), rtol=1e-13, atol=0)
        assert len(s.sent) == len(s.node.next)
        for sent in s.sent:
            if sent.step is not None:
                assert sent.step > s.number
                received[sent.step] = received.get(sent.step, 0) + sent.grad
    assert not received
    for p in leaves:
        total = sum(x.grad for s in steps for x in s.sent if x.leaf and x.grad is not None and
                    x.to == _name_of(p, names, model))
        np.testing.assert_allclose(p.grad.numpy(), total, rtol=1e-13, atol=0)


def _name_of(p, names, model):
    for n, t in (names or {}).items():
        if t is p:
            return n
    return next(n for n, q in model.named_parameters() if q is p)


def test_steps_say_what_ran_where():
    model, x, y = xor_net()
    pred = model(x)
    loss = F.mse_loss(pred, y)
    explanation = tg.explain(loss, names={"x": x, "y": y, "pred": pred, "loss": loss}, model=model)
    steps = explanation.steps
    assert [s.op for s in steps][-4:] == ["Sigmoid", "LinearFn", "Relu", "LinearFn"]
    assert [s.module for s in steps][-4:] == ["3: Sigmoid", "2: Linear", "1: ReLU", "0: Linear"]
    assert all(s.formula and "∂" in s.formula for s in steps)  # every op states its local rule
    assert steps[-4].output == "pred" and explanation.root == "loss"
    first = steps[-1]
    assert [x.to for x in first.sent] == ["x", "0.weight", "0.bias"]
    assert first.sent[0].grad is None and not first.sent[0].leaf  # x needs no gradient
    assert first.sent[1].leaf and first.sent[1].grad.shape == (8, 2)
    relu = steps[-2]
    assert relu.sent[0].step == first.number and relu.formula == tg.ops.Relu.formula
    to_y = [x for s in steps for x in s.sent if x.to == "y"]
    assert to_y and all(x.grad is None for x in to_y)
    assert [name for name, _ in explanation.final_grads()] == ["2.weight", "2.bias", "0.weight", "0.bias"]


def test_a_hook_changes_what_the_steps_show():
    """The steps show the gradient each rule really used: after a hook replaced it."""
    model, x, y = xor_net()
    hidden = model[1](model[0](x))
    hidden.register_hook(lambda g: g * 0)
    loss = F.mse_loss(model[3](model[2](hidden)), y)
    steps = tg.explain(loss, model=model).steps
    relu = next(s for s in steps if s.op == "Relu")
    assert relu.grad_output.shape == (4, 8) and not relu.grad_output.any()
    assert not model[0].weight.grad.numpy().any()


def test_a_wrong_rule_is_shown_as_it_ran():
    """explain reports what the rules did, not what they should have done: a rule that forgets the
    factor 3 of d(x^3)/dx sends g·x², and the step says so."""

    class WrongCube(Function):
        formula = "∂/∂x = g·x²  (wrong: the factor 3 is missing)"

        @staticmethod
        def forward(ctx, x):
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.inputs
            return g * x**2

    x = tg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    step = tg.explain(WrongCube.apply(x).sum(), names={"x": x}).steps[-1]
    assert step.op == "WrongCube" and "missing" in step.formula
    np.testing.assert_array_equal(step.sent[0].grad, [1.0, 4.0])
    assert not np.array_equal(step.sent[0].grad, 3 * x.detach().numpy() ** 2)


def test_the_table():
    model, x, y = xor_net()
    loss = F.mse_loss(model(x), y)
    text = str(tg.explain(loss, names={"loss": loss, "y": y, "x": x}, model=model))
    assert text.startswith("Backward pass from loss: 8 steps in the engine's order; all gradients float64")
    for k in range(1, 9):
        assert re.search(rf"^ +{k}  \w+", text, flags=re.M), k
    assert "(0: Linear" in text and "rule  ∂/∂x = g where x > 0, else 0" in text  # (a named call may follow)
    assert "-> into 0.weight's gradient" in text and "y: a constant, no gradient" in text
    assert "(8, 2) [" in text and ", …] |g|=" in text  # wide arrays summarised: 4 values and the norm
    assert max(len(line) for line in text.splitlines()) < 120
    html = tg.explain(F.mse_loss(model(x), y), model=model)._repr_html_()
    assert html.count("<tr>") == 9 and "∂/∂W = gᵀ·x" in html


def test_summaries():
    assert summarize(np.array(0.25)) == "0.25" and summarize(np.array([[-0.0]])) == "0"
    assert summarize(None) == "none"
    text = summarize(np.arange(10.0))
    assert text == "(10,) float64 [0, 1, 2, 3, …] |g|=16.88" and summarize(np.arange(3.0), dtype=False) == \
        "(3,) [0, 1, 2] |g|=2.236"


def test_bad_arguments():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="Tensor to backpropagate"):
        tg.explain(np.ones(2))
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.explain(tg.tensor([1.0]).sum())
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        tg.explain(x * 2)
    with pytest.raises(RuntimeError, match="inputs does not require grad"):
        tg.explain((x * 2).sum(), inputs=[tg.tensor([1.0])])
    with pytest.raises(TypeError, match="names="):
        tg.explain((x * 2).sum(), names=[x])
    e = tg.explain((x * 2).sum(), gradient=None, retain_graph=True)
    assert np.array_equal(x.grad.numpy(), [2.0, 2.0])
    with pytest.raises(IndexError, match="numbered from 1 to 2"):
        e.step(0)
    with pytest.raises(ValueError, match="lang must be one of"):
        e.save_html("/dev/null", lang="fr")
    e2 = tg.explain(x * 3, gradient=tg.tensor([1.0, -1.0]))  # a non-scalar output with its gradient
    assert np.array_equal(e2.steps[0].grad_output, [1.0, -1.0])


def test_a_freed_graph_is_refused_as_by_backward():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time"):
        tg.explain(loss)
    x.grad = None
    loss = (x * x).sum()
    tg.explain(loss, retain_graph=True)
    loss.backward()  # retain_graph=True kept it, as for backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


def test_draw_highlights_one_step():
    model, x, y = xor_net()
    loss = F.mse_loss(model(x), y)
    explanation = tg.explain(loss, names={"x": x, "y": y, "loss": loss}, model=model)
    k = next(s.number for s in explanation.steps if s.op == "Relu")
    source = explanation.draw(k).source
    highlighted = [line for line in source.splitlines() if "#d63384" in line]
    ops = [line for line in highlighted if "label=" in line and "->" not in line and "Relu" in line]
    assert len(ops) == 1  # the step's op, once
    assert "step 7 of 8: Relu (1: ReLU" in source
    relu = explanation.step(k)
    assert f"g = (4, 8) |g|={float(np.linalg.norm(relu.grad_output)):.4g}" in source
    assert f"(4, 8) |g|={float(np.linalg.norm(relu.sent[0].grad)):.4g}" in source
    with pytest.raises(IndexError):
        explanation.draw(9)


@NEEDS_DOT
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_page_is_one_self_contained_file(lang, tmp_path):
    model, x, y = xor_net()
    loss = F.mse_loss(model(x), y)
    explanation = tg.explain(loss, names={"x": x, "y": y, "loss": loss}, model=model)
    page = (tmp_path / "p.html")
    assert explanation.save_html(page, lang=lang) == str(page)
    text = page.read_text(encoding="utf-8")
    assert text.count('<section class="step"') == 8 and text.count("<svg") == 8
    assert f'<html lang="{lang}">' in text and 'id="prev"' in text and 'id="next"' in text
    assert "ArrowRight" in text and "ArrowLeft" in text
    # nothing from the network: no external scripts, styles, images or fonts
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", text)
    assert not re.search(r"url\(|@import", text)
    if lang == "ko":
        for term in ("Backward pass(역전파)", "Chain rule(연쇄 법칙)", "gradient(기울기)", "단계", "이전", "다음"):
            assert term in text, term
    else:
        assert "Step {k} of {n}" in text and "chain rule" in text


def test_the_docs_page_shows_what_its_code_prints(capsys):
    """docs/explain.md (and so its Korean twin, which has the same blocks): each ```text block is what the
    python block before it prints."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "explain.md").read_text(encoding="utf-8")
    pairs = re.findall(r"```python\n(.*?)```\n\n```text\n(.*?)```", text, flags=re.S)
    assert len(pairs) == 2
    for code, shown in pairs:
        exec(compile(code, "docs/explain.md", "exec"), {})
        assert capsys.readouterr().out == shown
