"""The backward pass, one step at a time: ``tinygrad_np.explain(loss)``.

``explain`` runs the same backward pass as ``loss.backward()`` (the engine's own ``run_backward``,
with an observer) and keeps, for every recorded op in the order the engine ran it, the gradient
it received, its local rule and the gradient it sent to each input. Look at the result with
``print`` (a table), in a notebook (``_repr_html_``), as a picture of the graph with one step
highlighted (``draw(k)``), or as one self-contained web page that steps through the pass
(``save_html``), in English or Korean.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np

from .autograd import engine
from .tensor import Tensor

__all__ = ["explain", "Explanation", "Step", "Sent"]

_JUPYTER_NAME = re.compile(r"_+\d*")  # Jupyter's output history (_, __, _12) in locals()
_FEW = 4  # values shown of a wider gradient


# ----------------------------------------------------------------------------- what one step holds
class Sent:
    """The gradient one step sent to one input: ``to`` names the input, ``step`` is the number of
    the step that receives it (None for a leaf or a constant), ``grad`` the array (None: no gradient),
    ``leaf`` whether a tensor's .grad (or a grad() result) receives it."""

    __slots__ = ("to", "step", "grad", "leaf")

    def __init__(self, to: str, step: int | None, grad: np.ndarray | None, leaf: bool = False):
        self.to, self.step, self.grad, self.leaf = to, step, grad, leaf

    def __repr__(self) -> str:
        return f"Sent(to={self.to!r}, step={self.step}, grad={summarize(self.grad)})"


class Step:
    """One recorded op as the backward pass ran it (numbered from 1, in the engine's order): ``op`` (its
    name, e.g. "Mul"), ``call`` (the named call that recorded it, e.g. "mse_loss"), ``module`` (e.g.
    "0: Linear"), ``formula`` (its local rule), ``output`` (what the op made: a name from names=, else
    "OP output"), ``grad_output`` (g, as the rule received it), ``sent`` (one :class:`Sent` per input)
    and ``node`` (the graph node, for drawing)."""

    __slots__ = ("number", "op", "call", "module", "formula", "output", "grad_output", "sent", "node")

    def __init__(self, number, op, call, module, formula, output, grad_output, node=None):
        self.number, self.op, self.call, self.module, self.formula = number, op, call, module, formula
        self.output, self.grad_output, self.sent, self.node = output, grad_output, [], node

    def __repr__(self) -> str:
        return f"<Step {self.number}: {self.op}" + (f" ({self.source})" if self.source else "") + ">"

    @property
    def source(self) -> str:
        """Where the op came from, as the user wrote it: ``"0: Linear › linear"``, ``"mse_loss"``, or ""."""
        return " › ".join(s for s in (self.module, self.call) if s)


def _num(x) -> str:
    text = f"{float(x):.4g}"
    return "0" if text == "-0" else text


def summarize(a: np.ndarray | None, dtype: bool = True) -> str:
    """A gradient in a few characters: its value if it has one element, else its shape, dtype,
    the first few values and its norm."""
    if a is None:
        return "none"
    if a.size == 1:
        return _num(a.reshape(-1)[0])
    flat = a.reshape(-1)
    values = ", ".join(_num(v) for v in flat[:_FEW]) + (", …" if a.size > _FEW else "")
    kind = f" {a.dtype}" if dtype else ""
    return f"{tuple(a.shape)}{kind} [{values}] |g|={_num(np.linalg.norm(a.astype(np.float64)))}"


def _short(a: np.ndarray | None) -> str | None:
    """A gradient as an edge label in the picture: its value, or its shape and norm."""
    if a is None:
        return None
    if a.size == 1:
        return _num(a.reshape(-1)[0])
    return f"{tuple(a.shape)} |g|={_num(np.linalg.norm(a.astype(np.float64)))}"


# ----------------------------------------------------------------------------- the texts of the two languages
_TEXT = {
    "en": {
        "title": "The backward pass of {root}, step by step",
        "intro": "The engine runs the chain rule from {root} back to the inputs, one recorded op at a time, in the "
                 "order below. Each op receives g, the gradient of {root} with respect to what the op made; its "
                 "local rule turns g into one gradient per input, which it sends on. Use the buttons or the ← → "
                 "keys.",
        "indicator": "Step {k} of {n}",
        "prev": "← Previous", "next": "Next →",
        "from": "recorded by {source}",
        "rule": "Local rule", "received": "g received", "sent": "Gradients sent",
        "describe": "{op} receives g = d{root}/d({output}), {shape}. By the chain rule the gradient for each of "
                    "its inputs is g times the local derivative of {op}, which its rule states: {formula}.",
        "to_step": "to step {k} ({op})", "to_leaf": "into {name}'s gradient",
        "constant": "a constant, no gradient",
        "scalar": "a single number", "shape": "shape {shape}",
        "final": "Gradients after the backward pass", "tensor": "tensor", "gradient": "gradient",
        "no_dot": "Graphviz's dot program is not installed, so this page has no pictures of the graph "
                  "(apt-get install graphviz, brew install graphviz, or conda install graphviz).",
        "step": "Step",
    },
    "ko": {
        "title": "{root}의 Backward pass(역전파)를 한 단계씩",
        "intro": "엔진은 {root}에서 입력 쪽으로 거슬러 가며 Chain rule(연쇄 법칙)을 기록된 op 하나씩 아래 순서대로 "
                 "적용한다. 각 op는 자기가 만든 값에 대한 {root}의 gradient(기울기) g를 받고, 자기 local rule(국소 "
                 "규칙)로 g를 입력마다 하나씩의 gradient로 바꾸어 넘겨준다. 버튼이나 ← → 키로 한 단계씩 넘겨 본다.",
        "indicator": "{n}단계 중 {k}단계",
        "prev": "← 이전", "next": "다음 →",
        "from": "기록한 곳: {source}",
        "rule": "Local rule(국소 규칙)", "received": "받은 gradient g", "sent": "보내는 gradient",
        "describe": "이 단계의 op는 {op}. 받은 gradient는 g = d{root}/d({output}), {shape}. Chain rule에 따라 "
                    "입력 하나하나의 gradient는 g에 이 op의 local 미분을 곱한 값이고, {op}의 local rule이 그 식을 "
                    "알려 준다: {formula}.",
        "to_step": "{k}단계({op})로", "to_leaf": "{name}의 gradient로", "constant": "상수라서 gradient 없음",
        "scalar": "숫자 하나", "shape": "모양 {shape}",
        "final": "Backward pass가 끝난 뒤의 gradient", "tensor": "텐서", "gradient": "gradient",
        "no_dot": "Graphviz의 dot 프로그램이 설치되어 있지 않아서 이 페이지에는 그래프 그림이 없다 "
                  "(apt-get install graphviz, brew install graphviz 또는 conda install graphviz).",
        "step": "단계",
    },
}  # fmt: skip


# ----------------------------------------------------------------------------- the explanation
class Explanation:
    """What :func:`explain` saw: ``steps`` (one :class:`Step` per recorded op, in the engine's order),
    ``grads`` (with ``inputs=``: their gradients, as ``tinygrad_np.grad`` returns them) and ``root``
    (the output's name)."""

    def __init__(self, output, steps, grads, names, model, leaves, root):
        self.output, self.steps, self.grads = output, steps, grads
        self.names, self.model, self.root = names, model, root
        self._leaves = leaves  # (name, Tensor) of the leaves that received a gradient, in order

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, k: int) -> Step:
        return self.steps[k]

    def step(self, k: int) -> Step:
        """Step ``k``, numbered from 1 as in the table."""
        if not isinstance(k, int | np.integer) or not 1 <= k <= len(self.steps):
            raise IndexError(f"steps are numbered from 1 to {len(self.steps)} as in the table, got {k!r}")
        return self.steps[k - 1]

    def final_grads(self) -> list[tuple[str, np.ndarray | None]]:
        """(name, gradient) of each leaf the pass reached: its ``.grad`` (or, with ``inputs=``, its result)."""
        if self.grads is not None:
            return [(name, None if g is None else g.data) for (name, _), g in zip(self._leaves, self.grads)]
        return [(name, None if t.grad is None else t.grad.data) for name, t in self._leaves]

    # ------------------------------------------------------------------ text
    def _target(self, sent: Sent, lang: str = "en") -> str:
        text = _TEXT[lang]
        if sent.step is not None:
            return text["to_step"].format(k=sent.step, op=self.steps[sent.step - 1].op)
        if sent.leaf:
            return text["to_leaf"].format(name=sent.to)
        return text["constant"] if sent.to == "constant" else f"{sent.to}: {text['constant']}"

    def __str__(self) -> str:
        dtypes = {s.grad_output.dtype for s in self.steps}
        one_dtype = len(dtypes) == 1
        head = (f"Backward pass from {self.root}: {len(self.steps)} steps in the engine's order"
                + (f"; all gradients {dtypes.pop()}" if one_dtype else ""))
        rows = [("step", "op", "gradients"), ("----", "--", "---------")]
        for s in self.steps:
            left = [s.op] + ([f"({s.source})"] if s.source else [])
            right = [f"g in  {summarize(s.grad_output, not one_dtype)}", f"rule  {s.formula}"]
            for sent in s.sent:
                value = summarize(sent.grad, not one_dtype) if sent.grad is not None else "-"
                right.append(f"out   {value}  -> {self._target(sent)}")
            for i in range(max(len(left), len(right))):
                rows.append((str(s.number) if i == 0 else "", left[i] if i < len(left) else "",
                             right[i] if i < len(right) else ""))
        width = max(len(r[1]) for r in rows)
        lines = [head, ""] + [f"{a:>4}  {b:<{width}}  {c}".rstrip() for a, b, c in rows]
        finals = self.final_grads()
        if finals:
            lines += ["", "gradients of the leaves:" if self.grads is None else "gradients of inputs=:"]
            lines += [f"  {name}: {summarize(g, not one_dtype)}" for name, g in finals]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Explanation of the backward pass from {self.root}: {len(self.steps)} steps>"

    def _repr_html_(self) -> str:
        from html import escape as e
        rows = []
        for s in self.steps:
            sent = "<br>".join(f"{e(summarize(x.grad))} → {e(self._target(x))}" for x in s.sent)
            rows.append(f"<tr><td>{s.number}</td><td><b>{e(s.op)}</b></td><td>{e(s.source)}</td>"
                        f"<td><code>{e(s.formula)}</code></td><td>{e(summarize(s.grad_output))}</td><td>{sent}</td></tr>")
        return (f"<div><p>Backward pass from <b>{e(self.root)}</b>: {len(self.steps)} steps in the engine's order"
                "</p><table><thead><tr><th>step</th><th>op</th><th>from</th><th>local rule</th>"
                "<th>g received</th><th>gradients sent</th></tr></thead><tbody>"
                + "".join(rows) + "</tbody></table></div>")

    # ------------------------------------------------------------------ pictures
    def draw(self, k: int, **draw_kwargs):
        """The graph with step ``k`` (numbered from 1) highlighted: its op, the gradient it received
        and the gradients it sent. Returns a ``graphviz.Digraph`` (options as ``viz.draw_graph``)."""
        from .viz import draw_graph

        s = self.step(k)
        highlight = {s.node: {"grad_out": f"g = {_short(s.grad_output)}",
                              "grad_inputs": [_short(x.grad) for x in s.sent]}}
        options = {"names": self.names, "model": self.model, "show_grad": False, "legend": False,
                   "title": f"step {k} of {len(self.steps)}: {s.op}" + (f" ({s.source})" if s.source else "")}
        options.update(draw_kwargs)
        return draw_graph(self.output, highlight=highlight, **options)

    def save_html(self, path, lang: str = "en", **draw_kwargs) -> str:
        """Write one self-contained page (inline pictures, script and style; no network) that steps
        through the backward pass with Previous/Next buttons and the ← → keys, in English
        (``lang="en"``) or Korean (``"ko"``). Returns the path written. Without Graphviz's ``dot``
        the page has the numbers but no pictures."""
        if lang not in _TEXT:
            raise ValueError(f"lang must be one of {sorted(_TEXT)}, got {lang!r}")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_page(self, lang, draw_kwargs), encoding="utf-8")
        return str(path)


# ----------------------------------------------------------------------------- running the pass
def _names_by_key(names, model) -> dict[int, str]:
    """Names by graph key: a leaf by its own id, any other tensor by the id of the node that made it."""
    out: dict[int, str] = {}
    if names is not None:
        if not hasattr(names, "items"):
            raise TypeError("names= must be a dict mapping name -> Tensor, e.g. names=locals()")
        for name, value in names.items():
            if isinstance(value, Tensor) and not _JUPYTER_NAME.fullmatch(str(name)):
                out.setdefault(id(value.grad_fn if value.grad_fn is not None else value), str(name))
    if model is not None:
        for name, p in model.named_parameters():
            out.setdefault(id(p), name)
    return out


def _module_names(model) -> dict[int, str]:
    if model is None:
        return {}
    return {id(m): f"{name}: {type(m).__name__}" if name else type(m).__name__ for name, m in model.named_modules()}


def explain(output, inputs=None, names=None, model=None, *, gradient=None, retain_graph=False) -> Explanation:
    """Run the backward pass from ``output`` and return an :class:`Explanation` of every step.

    The gradients are those of ``output.backward(gradient, retain_graph)``, bit for bit, and go into
    the same ``.grad`` attributes; with ``inputs=`` (a Tensor or a list) they are returned in
    ``explanation.grads`` as ``tinygrad_np.grad(output, inputs, allow_unused=True)`` returns them,
    and no ``.grad`` is touched. ``names``: a dict like ``locals()`` naming tensors (other values
    are ignored); ``model``: an ``nn.Module`` whose parameter and module names label the steps.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"explain() expects the Tensor to backpropagate from (e.g. the loss), got "
                        f"{type(output).__name__}")
    if not output.requires_grad:
        raise RuntimeError("explain(): the output does not require grad and has no grad_fn, so there is no "
                           "backward pass to explain")
    if model is not None and not hasattr(model, "named_modules"):
        raise TypeError(f"model= must be an nn.Module, got {type(model).__name__}")
    wanted = None
    if inputs is not None:
        wanted = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        for t in wanted:
            if not isinstance(t, Tensor):
                raise TypeError(f"explain(): inputs must be Tensors, got {type(t).__name__}")
            if not t.requires_grad:
                raise RuntimeError("explain(): one of the inputs does not require grad")
    by_key = _names_by_key(names, model)
    seen = []

    def observe(node, g, pairs):  # copies: the arrays may end up in a .grad the user later changes
        sent = []
        for edge, sent_g in pairs:
            reaches = type(edge) is engine.Node or (isinstance(edge, Tensor) and edge._requires_grad)
            if sent_g is not None and reaches:
                sent_g = np.array(engine._fit(node, edge, sent_g), copy=True)
            sent.append((edge, sent_g if reaches else None))
        seen.append((node, np.array(g, copy=True), sent))

    root_grad = output._initial_grad(gradient, False)
    results = engine.run_backward([output], [root_grad], retain_graph, False, inputs=wanted, observe=observe)

    modules = _module_names(model)
    number = {id(node): k for k, (node, _, _) in enumerate(seen, 1)}
    root = by_key.get(id(output.grad_fn), "the output")
    steps, leaves, leaf_ids = [], [], set()

    def leaf_name(t):
        return by_key.get(id(t)) or f"a leaf {tuple(t.shape)}"

    for k, (node, g, sent) in enumerate(seen, 1):
        module = modules.get(id(node.module)) if model is not None else (
            type(node.module).__name__ if node.module is not None else None)
        step = Step(k, node.name, node.call, module, node.formula or "(no formula)",
                    by_key.get(id(node), f"{node.name} output"), g, node=node)
        for edge, sent_g in sent:
            if type(edge) is engine.Node:
                step.sent.append(Sent(by_key.get(id(edge), f"{edge.name} output"), number.get(id(edge)), sent_g))
            elif isinstance(edge, Tensor) and edge._requires_grad:
                step.sent.append(Sent(leaf_name(edge), None, sent_g, leaf=True))
                if id(edge) not in leaf_ids and wanted is None:
                    leaf_ids.add(id(edge))
                    leaves.append((leaf_name(edge), edge))
            else:
                name = by_key.get(id(edge)) if isinstance(edge, Tensor) else None
                step.sent.append(Sent(name or "constant", None, None))
        steps.append(step)
    if wanted is not None:
        leaves = [(by_key.get(id(t.grad_fn or t)) or f"input {i}", t) for i, t in enumerate(wanted)]
        results = tuple(results)
    return Explanation(output, steps, results if wanted is not None else None,
                       {v: t for v, t in (names or {}).items() if isinstance(t, Tensor)} or None, model, leaves, root)


# ----------------------------------------------------------------------------- the web page
_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans KR",sans-serif;margin:0 auto;max-width:1100px;
 padding:1em;color:#212529}
h1{font-size:1.4em}nav{display:flex;gap:1em;align-items:center;margin:1em 0;position:sticky;top:0;
 background:#fff;padding:.5em 0}
button{font-size:1em;padding:.4em 1em;cursor:pointer}button:disabled{cursor:default;opacity:.4}
#indicator{font-weight:bold;min-width:10em;text-align:center}
.step{display:none}.step.current{display:block}
.rule code{background:#fff3cd;padding:.2em .4em;font-size:1.05em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #dee2e6;padding:.3em .6em;text-align:left;
 font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
.graph svg{width:100%;height:auto;max-height:75vh}.note{color:#6c757d}
"""

_SCRIPT = """
(function () {
  var steps = document.querySelectorAll(".step");
  var indicator = document.getElementById("indicator");
  var prev = document.getElementById("prev"), next = document.getElementById("next");
  var template = document.body.getAttribute("data-indicator");
  var current = 0;
  function show(i) {
    if (i < 0 || i >= steps.length) return;
    steps[current].classList.remove("current");
    current = i;
    steps[current].classList.add("current");
    indicator.textContent = template.replace("{k}", current + 1).replace("{n}", steps.length);
    document.body.setAttribute("data-step", current + 1);
    prev.disabled = current === 0;
    next.disabled = current === steps.length - 1;
  }
  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") { show(current + 1); event.preventDefault(); }
    if (event.key === "ArrowLeft") { show(current - 1); event.preventDefault(); }
  });
  show(0);
})();
"""


def _svg(explanation: Explanation, k: int, draw_kwargs) -> str | None:
    if shutil.which("dot") is None:
        return None
    svg = explanation.draw(k, **draw_kwargs).pipe(format="svg").decode("utf-8")
    return svg[svg.index("<svg"):]  # drop the XML prolog and doctype: the SVG sits inside the page


def _page(explanation: Explanation, lang: str, draw_kwargs) -> str:
    from html import escape as e

    text = _TEXT[lang]
    root = explanation.root
    sections = []
    for s in explanation.steps:
        shape = text["scalar"] if s.grad_output.size == 1 else text["shape"].format(shape=tuple(s.grad_output.shape))
        describe = text["describe"].format(op=s.op, root=root, output=s.output, shape=shape, formula=s.formula)
        rows = "".join(f"<tr><td>{e(explanation._target(x, lang))}</td><td>{e(summarize(x.grad))}</td></tr>"
                       for x in s.sent)
        svg = _svg(explanation, s.number, draw_kwargs)
        source = f" <small>{e(text['from'].format(source=s.source))}</small>" if s.source else ""
        sections.append(
            f'<section class="step" id="step-{s.number}"><h2>{text["step"]} {s.number}: {e(s.op)}{source}</h2>'
            f'<p class="describe">{e(describe)}</p>'
            f'<p class="rule">{text["rule"]}: <code>{e(s.formula)}</code></p>'
            + (f'<div class="graph">{svg}</div>' if svg is not None else "")
            + f"<table><tr><th>{text['received']}</th><td>{e(summarize(s.grad_output))}</td></tr></table>"
            f"<table><tr><th colspan=2>{text['sent']}</th></tr>{rows}</table></section>")
    finals = "".join(f"<tr><td>{e(name)}</td><td>{e(summarize(g))}</td></tr>" for name, g in explanation.final_grads())
    no_dot = f'<p class="note">{e(text["no_dot"])}</p>' if shutil.which("dot") is None else ""
    title = text["title"].format(root=root)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(title)}</title>'
        f"<style>{_STYLE}</style></head>\n"
        f'<body data-indicator="{e(text["indicator"])}" data-steps="{len(explanation.steps)}">'
        f"<h1>{e(title)}</h1><p>{e(text['intro'].format(root=root))}</p>{no_dot}"
        f'<nav><button id="prev" type="button">{e(text["prev"])}</button><span id="indicator"></span>'
        f'<button id="next" type="button">{e(text["next"])}</button></nav>\n'
        + "\n".join(sections)
        + f"\n<h2>{e(text['final'])}</h2><table><tr><th>{text['tensor']}</th><th>{text['gradient']}</th></tr>"
        f"{finals}</table>\n<script>{_SCRIPT}</script>\n</body></html>\n"
    )
