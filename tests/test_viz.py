"""Graph drawing: the DOT source's structure (no `dot` needed), then real rendering with `dot`."""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import autograd
from tinygrad_np.viz import GraphvizNotFoundError, draw_graph, module_label, render

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(
    not HAVE_DOT and not os.environ.get("CI"), reason="Graphviz `dot` not installed (CI installs it)"
)


# ----------------------------------------------------------------------------- helpers
NODE = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[\w:.]+) \[label=("(?:[^"\\]|\\.)*"|\S+)(.*)\]$')


def nodes(g) -> dict:
    """node key -> (label lines, the rest of the attribute text), legend excluded."""
    out = {}
    for line in g.source.splitlines():
        m = NODE.match(line)
        if m and not m.group(1).startswith("legend_"):
            label = m.group(2).strip('"').replace('\\"', '"')
            out[m.group(1).strip('"')] = (label.split("\\n"), m.group(3))
    return out


def find(g, text) -> list:
    """Nodes whose label has a line equal to ``text``."""
    return [(k, lines, rest) for k, (lines, rest) in nodes(g).items() if text in lines]


def clusters(g) -> dict:
    """cluster name -> label"""
    found = re.findall(r'subgraph "?cluster_([^"\s]*)"? \{\n\s*(.*)', g.source)
    return {name: re.search(r'label=("[^"]*"|\S+)', attrs).group(1).strip('"') for name, attrs in found}


def edges(g) -> list:
    return re.findall(r'^\s*("[^"]*"|[\w:.]+) -> ("[^"]*"|[\w:.]+)(?: \[(.*)\])?$', g.source, re.M)


def scalar_expr():
    a = tg.tensor(2.0, requires_grad=True)
    b = tg.tensor(-3.0, requires_grad=True)
    c = tg.tensor(10.0, requires_grad=True)
    e = a * b
    d = e + c.relu()
    f = tg.tensor(-2.0, requires_grad=True)
    L = d * f
    return locals()


class Stub:
    """A minimal stand-in for nn.Module: marks itself as running and lists named modules/parameters."""

    def __init__(self, **children):
        self.children, self.params = children, {}

    def __call__(self, x):
        entry = autograd.enter_module(self)
        try:
            return self.forward(x)
        finally:
            autograd.exit_module(entry)

    def forward(self, x):
        for child in self.children.values():
            x = child(x)
        return x

    def named_modules(self, prefix=""):
        yield prefix, self
        for name, child in self.children.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def named_parameters(self):
        for prefix, m in self.named_modules():
            for name, p in m.params.items():
                yield (f"{prefix}.{name}" if prefix else name), p


class Linear(Stub):
    def __init__(self, n_in, n_out):
        super().__init__()
        rng = np.random.default_rng(0)
        self.params = {"weight": tg.tensor(rng.normal(size=(n_out, n_in)), requires_grad=True),
                       "bias": tg.tensor(np.zeros(n_out), requires_grad=True)}  # fmt: skip
        self.weight = self.params["weight"]

    def forward(self, x):
        return x @ self.params["weight"].T + self.params["bias"]


class Act(Stub):
    def forward(self, x):
        return x.relu()


def stub_mlp():
    return Stub(body=Stub(fc1=Linear(2, 8), act=Act()), fc2=Linear(8, 1))


# ----------------------------------------------------------------------------- structure (no dot needed)
def test_scalar_expression_nodes_labels_and_edges():
    v = scalar_expr()
    v["L"].backward()
    g = draw_graph(v["L"], names=v, show_data=True)
    assert g.__class__.__name__ == "Digraph" and hasattr(g, "_repr_mimebundle_")  # Jupyter shows it inline
    for name, value, grad in [("a", "2", "6"), ("b", "-3", "-4"), ("c", "10", "-2"), ("f", "-2", "4")]:
        ((_, lines, rest),) = find(g, name)
        assert lines == [name, "scalar float32", value, f"grad {grad}"]
        assert "#cfe2ff" in rest  # parameter colour
    ((_, lines, rest),) = find(g, "L")
    assert lines[1:] == ["scalar float32", "-8"] and "peripheries=2" in rest  # the output stands out
    ops = sorted(lines[0] for lines, _ in nodes(g).values() if lines[0] in {"Mul", "Add", "Relu"})
    assert ops == ["Add", "Mul", "Mul", "Relu"]
    assert len(nodes(g)) == 4 + 1 + 3 + 4  # leaves, output, unnamed relu output + e + d, ops
    assert len(edges(g)) == 11 + 3  # 4 ops x (inputs + output) ... + legend's invisible chain
    assert "cluster_legend" in g.source


def test_edges_follow_the_computation():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    g = draw_graph(y, names={"x": x, "y": y}, legend=False)
    ((kx, *_),), ((ky, *_),), ((kop, *_),) = find(g, "x"), find(g, "y"), find(g, "Exp")
    assert {(a, b) for a, b, _ in edges(g)} == {(kx, kop), (kop, ky)}


def test_names_ignore_non_tensors_and_jupyter_history():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    g = draw_graph(y, names={"x": x, "loss": y, "n": 3, "model": object(), "_": x, "_12": y})
    assert find(g, "x") and find(g, "loss") and not find(g, "_") and not find(g, "_12")
    g = draw_graph(y, names=[("inp", x)])  # pairs, e.g. model.named_parameters(), work too
    assert find(g, "inp")


def test_shapes_dtypes_and_summary_statistics():
    x = tg.tensor(np.arange(12.0).reshape(3, 4), dtype="float64")
    w = tg.tensor(np.ones((4, 2)), requires_grad=True)
    out = (x @ w).sum()
    out.backward()
    g = draw_graph(out, names={"x": x, "w": w}, show_data=True)
    ((_, lines, rest),) = find(g, "x")
    assert lines[:2] == ["x", "(3, 4) float64"] and "#e9ecef" in rest  # input colour
    assert lines[2] == "mean 5.5 std 3.452" and lines[3] == "min 0 max 11"
    ((_, lines, _),) = find(g, "w")
    assert lines[1] == "(4, 2) float64" and lines[-1] == "grad norm 47.62"  # column sums of x, twice
    g = draw_graph(out, names={"x": x})  # show_data off: no values
    assert find(g, "x")[0][1] == ["x", "(3, 4) float64"]


def test_small_gradients_shown_as_values_and_show_grad_off():
    w = tg.tensor([1.0, -2.0], requires_grad=True)
    (w * w).sum().backward()
    y = w * 1.0
    g = draw_graph(y, names={"w": w})
    assert find(g, "w")[0][1][-1] == "grad [2, -4]"
    assert find(draw_graph(y, names={"w": w}, show_grad=False), "w")[0][1] == ["w", "(2,) float32"]


def test_op_attributes_are_short_and_arrays_summarised():
    x = tg.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    y = x.sum(axis=1).reshape(4, 2)
    z = x[:, 1:3][np.array([True, False])]
    m = tg.where(x > 3, x, 0.0).transpose(2, 0, 1)
    g = draw_graph(y, z, m)
    assert find(g, "axis=(1,)") and find(g, "shape=(4, 2)")
    ((_, lines, _),) = [n for n in find(g, "Getitem") if n[1] != ["Getitem", "index=(:, 1:3)"]]
    assert lines == ["Getitem", "index=bool[2]"]  # a mask is summarised by dtype and shape
    assert find(g, "index=(:, 1:3)")
    assert find(g, "condition=bool[2, 3, 4]") and find(g, "axes=(2, 0, 1)")
    assert all(len(line) <= 30 for lines, _ in nodes(g).values() for line in lines)
    assert not [lines for lines, _ in nodes(g).values() if any("keepdims" in s for s in lines)]  # False dropped


def test_several_roots_are_all_outputs():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    a, b = x.exp(), x.sin()
    g = draw_graph(a, b, names=locals())
    assert "peripheries=2" in find(g, "a")[0][2] and "peripheries=2" in find(g, "b")[0][2]
    assert len(find(g, "x")) == 1  # a shared input is drawn once


def test_a_leaf_alone_and_repeated_roots():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    g = draw_graph(x, names={"x": x})
    assert list(nodes(g).values()) == [(["x", "(2,) float32"], nodes(g)[next(iter(nodes(g)))][1])]
    y = x.exp()
    assert nodes(draw_graph(y, y, x)).keys() == nodes(draw_graph(y, x)).keys()


def test_scalar_constants_are_drawn():
    x = tg.tensor(3.0, requires_grad=True)
    y = x * 2.5 + 1
    y.backward()  # frees the graph: the constants still show
    g = draw_graph(y)
    assert find(g, "2.5") and find(g, "1")


def test_drawing_after_backward_freed_the_graph():
    v = scalar_expr()
    before = draw_graph(v["L"], names=v, show_grad=False).source
    v["L"].backward()
    assert v["L"].grad_fn.freed
    assert draw_graph(v["L"], names=v, show_grad=False).source == before


def test_nan_and_inf_are_highlighted():
    x = tg.tensor([1.0, -1.0, 0.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = x.log()  # nan, -inf
    z = (y * 2).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        z.backward()
    g = draw_graph(z, names={"x": x, "y": y, "z": z})
    ((_, lines, rest),) = find(g, "y")
    assert lines[-1] == "nan!" and "color=red" in rest
    ((_, lines, rest),) = find(g, "Log")  # where the nan first appears
    assert lines[-1] == "nan starts here!" and "color=red" in rest
    ((_, lines, rest),) = find(g, "Mul")  # its input was already nan: not an origin
    assert "red" not in rest
    ((_, lines, rest),) = find(g, "x")  # finite data, but grad 2/x has an inf
    assert lines[-1] == "grad inf!" and "color=red" in rest
    assert "legend_bad" in g.source
    clean = draw_graph(tg.tensor([1.0], requires_grad=True).exp())
    assert "red" not in clean.source


def test_helpful_errors_for_bad_input():
    model = stub_mlp()
    with pytest.raises(TypeError, match=r"draw_graph\(model\(x\)\).*model="):
        draw_graph(model)
    x = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"draw_graph\(\*outputs\)"):
        draw_graph((x.exp(), x.sin()))
    with pytest.raises(TypeError, match="expects Tensors, got ndarray"):
        draw_graph(np.ones(3))
    with pytest.raises(TypeError, match="at least one Tensor"):
        draw_graph()
    with pytest.raises(TypeError, match="model= must be a Module"):
        draw_graph(x.exp(), model=object())
    with pytest.raises(TypeError, match="names="):
        draw_graph(x.exp(), names=5)
    with pytest.raises(ValueError, match="depth"):
        draw_graph(x.exp(), model=model, depth=-1)


def test_module_label():
    assert module_label("fc1", Linear(784, 256)) == "fc1: Linear(784 -> 256)"
    assert module_label("", Act()) == "Act"

    class Conv2d:
        in_channels, out_channels, kernel_size = 1, 8, (3, 3)

    assert module_label("conv1", Conv2d()) == "conv1: Conv2d(1 -> 8, 3x3)"


def test_grouping_by_module_with_nested_clusters():
    model = stub_mlp()
    x = tg.tensor(np.ones((4, 2)))
    loss = (model(x) ** 2).mean()
    g = draw_graph(loss, names={"x": x, "loss": loss}, model=model)
    src = g.source
    assert clusters(g) == {"(model)": "Stub", "body": "body: Stub", "body.fc1": "body.fc1: Linear(2 -> 8)",
                           "body.act": "body.act: Act", "fc2": "fc2: Linear(8 -> 1)", "legend": "legend"}  # fmt: skip
    # nesting: fc1's cluster opens inside body's, which opens inside the model's, and closes before fc2's
    opened = [m.group(1) for m in re.finditer(r'subgraph "?cluster_([^"\s]*)', src)]
    assert opened[:4] == ["(model)", "body", "body.fc1", "body.act"] and opened.index("fc2") > opened.index("body.fc1")
    depth_of = {m.group(2): len(m.group(1)) for m in re.finditer(r'^(\t+)subgraph "?cluster_([^"\s]*)', src, re.M)}
    assert depth_of == {"(model)": 1, "body": 2, "body.act": 3, "body.fc1": 3, "fc2": 2, "legend": 1}
    assert find(g, "body.fc1.weight") and find(g, "fc2.bias")  # parameter names from the model
    assert "#e9ecef" in find(g, "x")[0][2]  # data input, not a parameter
    # the op that ran in fc1 sits in fc1's cluster; the loss ops sit outside every cluster
    fc1 = src[src.index('"cluster_body.fc1"') : src.index("cluster_fc2")]
    assert "label=Matmul" in fc1 and "body.fc1.weight" in fc1
    outside = src[: src.index("subgraph")]
    assert "label=Pow" in outside and "loss" in outside


FOLDED = {0: ["Stub"], 1: ["body: Stub", "fc2: Linear(8 -> 1)"],
          2: ["body.fc1: Linear(2 -> 8)", "body.act: Act", "fc2: Linear(8 -> 1)"]}  # leaves above depth fold too


@pytest.mark.parametrize("depth, boxes", FOLDED.items())
def test_depth_folds_modules_into_boxes(depth, boxes):
    model = stub_mlp()
    x = tg.tensor(np.ones((4, 2)))
    loss = (model(x) ** 2).mean()
    g = draw_graph(loss, names={"x": x}, model=model, depth=depth)
    found = sorted(lines[0] for lines, rest in nodes(g).values() if "box3d" in rest)
    assert found == sorted(boxes)
    assert not find(g, "Matmul") and not find(g, "fc2.weight")  # folded away
    ((kx, *_),) = find(g, "x")
    box_keys = [k for k, (lines, rest) in nodes(g).items() if "box3d" in rest]
    assert any(a == kx and b.strip('"') in box_keys for a, b, _ in edges(g))  # input edge into a box
    (pow_key,) = [k for k, (lines, _) in nodes(g).items() if lines[0] == "Pow"]
    into_pow = [attrs for a, b, attrs in edges(g) if b == pow_key and a.strip('"') in box_keys]
    assert into_pow == ['label="(4, 1)"']  # the folded module's output edge carries its shape
    if depth == 2:
        assert find(g, "3 ops, 24 params")  # fc1: Permute (.T), Matmul, Add


def test_max_nodes_folds_by_module_automatically():
    model = stub_mlp()
    loss = (model(tg.tensor(np.ones((4, 2)))) ** 2).mean()
    full = draw_graph(loss, model=model)
    g = draw_graph(loss, model=model, max_nodes=12)
    assert len(nodes(g)) <= 12 < len(nodes(full))
    assert "max_nodes=12: modules at depth" in g.source and "folded into boxes" in g.source


def test_max_nodes_merges_elementwise_chains_then_truncates():
    x = tg.tensor(np.ones(3), requires_grad=True)
    y = x
    for _ in range(20):
        y = (y * 1.01 + 0.5).tanh()
    y = y.sum()
    g = draw_graph(y, max_nodes=20)
    assert len(nodes(g)) <= 20 and "chains of elementwise ops merged" in g.source
    (chain,) = [lines for lines, _ in nodes(g).values() if lines[-1] == "(60 elementwise ops)"]
    assert chain[0] == "Mul > … > Tanh"
    assert len(nodes(g)) == 5 and "more nodes" not in g.source  # x, chain (constants folded in), t, Sum, out
    # an elementwise chain broken by non-elementwise ops cannot merge: truncated instead, with a note
    z = x
    for _ in range(30):
        z = z.reshape(3, 1).reshape(3)
    g = draw_graph(z.sum(), max_nodes=25)
    assert len(nodes(g)) <= 25 and "only the 24 nodes nearest the outputs are drawn" in g.source
    assert "merged" not in g.source  # nothing could merge, so no note says so
    (more,) = [lines for lines, rest in nodes(g).values() if "shape=note" in rest]
    assert re.fullmatch(r"… \d+ more nodes not shown", more[0])


def test_big_graphs_get_smaller_fonts():
    x = tg.tensor(np.ones(3), requires_grad=True)
    small = draw_graph(x.exp())
    y = x
    for _ in range(100):
        y = y.reshape(3, 1).reshape(3)
    big = draw_graph(y, max_nodes=1000)
    size = lambda g: int(re.search(r"node \[.*fontsize=(\d+)", g.source).group(1))  # noqa: E731
    assert size(big) < size(small)


def test_backward_view_labels_gradients_on_edges():
    x = tg.tensor(np.ones((2, 3)))
    w = tg.tensor(np.full((3, 1), 0.5), requires_grad=True)
    h = x @ w
    loss = (h * h).sum()
    g = draw_graph(loss, names=locals(), backward=True)  # graph intact: intermediate grads recomputed
    ((kh, *_),) = find(g, "h")
    labels = [attrs for a, b, attrs in edges(g) if a == kh]
    assert labels and all('label="grad (2, 1) |g|=4.243"' in s and "dir=back" in s for s in labels)
    assert w.grad is None  # recomputing leaves .grad alone
    loss.backward()  # frees the graph: only .grad (leaves) remains known
    g = draw_graph(loss, names=locals(), backward=True)
    ((kw, *_),) = find(g, "w")
    assert [attrs for a, b, attrs in edges(g) if a == kw] == ['label="grad (3, 1) |g|=10.39" color="#c0392b" '
                                                              'dir=back fontcolor="#c0392b"']  # fmt: skip


# ----------------------------------------------------------------------------- named calls: one step per call
def _nodes_of(y) -> list:
    """Every op node recorded on the way to ``y``."""
    seen, stack = {}, [y.grad_fn]
    while stack:
        n = stack.pop()
        if n is not None and id(n) not in seen and hasattr(n, "seq"):
            seen[id(n)] = n
            stack += [e for e in n.next if hasattr(e, "seq")]
    return list(seen.values())


def _composite_calls():
    F = pytest.importorskip("tinygrad_np.nn.functional")
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.normal(size=(4, 6)) + 3.0, requires_grad=True)  # positive: rsqrt and norms are smooth
    x2 = tg.tensor(rng.normal(size=(4, 6)), requires_grad=True)  # every input is a leaf: all ops are the call's
    img = tg.tensor(rng.normal(size=(2, 3, 6, 6)), requires_grad=True)
    w = tg.tensor(rng.normal(size=(4, 3, 3, 3)), requires_grad=True)
    labels = np.array([0, 2, 1, 5])
    seq = tg.tensor(rng.normal(size=(2, 5, 4)), requires_grad=True)
    return {
        "mean": x.mean(), "var": x.var(0), "std": x.std(), "softmax": x.softmax(), "log_softmax": x.log_softmax(1),
        "logsumexp": x.logsumexp(1), "norm": x.norm(), "leaky_relu": x.leaky_relu(), "square": x.square(),
        "reciprocal": x.reciprocal(), "rsqrt": x.rsqrt(), "minimum": tg.minimum(x, x2), "amin": x.amin(1),
        "max": x.max(1).values, "min": x.min(), "masked_fill": x.masked_fill(x.data > 3, 0.0),
        "repeat": x.repeat(2, 1), "split": x.split(2)[1], "chunk": x.chunk(3, 1)[0], "unbind": x.unbind(1)[2],
        "gather": x.gather(1, np.zeros((4, 1), np.int64)), "flip": x.flip(0), "sort": x.sort().values,
        "topk": x.topk(2).values, "stack": tg.stack([x, x]),
        "cross_entropy": F.cross_entropy(x, labels), "nll_loss": F.nll_loss(x2, labels),
        "mse_loss": F.mse_loss(x, x.detach() * 0.5), "l1_loss": F.l1_loss(x, x.detach() * 0.5),
        "binary_cross_entropy": F.binary_cross_entropy(x.sigmoid().detach().requires_grad_(), x.data * 0 + 0.5),
        "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits(x, x.data * 0 + 0.5),
        "dropout": F.dropout(x, 0.5), "layer_norm": F.layer_norm(x, (6,)), "gelu": F.gelu(x),
        "batch_norm": F.batch_norm(img, None, None, training=True), "normalize": F.normalize(x),
        "embedding": F.embedding(np.array([1, 0]), x), "conv2d": F.conv2d(img, w), "max_pool2d": F.max_pool2d(img, 2),
        "avg_pool2d": F.avg_pool2d(img, 2), "silu": F.silu(x), "elu": F.elu(x), "softmin": F.softmin(x, 1),
        "scaled_dot_product_attention": F.scaled_dot_product_attention(seq, seq, seq),
        "interpolate": F.interpolate(img, scale_factor=2), "softplus": F.softplus(x, beta=2.0),
    }


def test_composite_ops_are_labelled_by_the_call_the_user_wrote():
    """Every op a composite call records carries the call's name (the outermost one: std's mean is std's)."""
    for name, y in _composite_calls().items():
        recorded = _nodes_of(y)
        assert recorded and {n.call for n in recorded} == {name}, (name, {n.name: n.call for n in recorded})
        assert len({n.where[1] for n in recorded}) == 1, name  # one call, not several of the same name
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert (x * 2).grad_fn.call is None and x.exp().grad_fn.call is None  # single ops carry no call
    a, b = x.mean(), x.mean()
    assert a.grad_fn.where[1] != b.grad_fn.where[1]  # two calls of one function are two steps


def test_a_call_is_drawn_as_one_step_with_the_ops_it_ran():
    x = tg.tensor(np.ones((2, 3)))
    w = tg.tensor(np.full((3, 1), 0.5), requires_grad=True)
    loss = (x @ w).mean()
    g = draw_graph(loss, names={"loss": loss, "x": x, "w": w}, legend=False)
    ((kmean, lines, rest),) = find(g, "mean")
    assert lines == ["mean", "Sum, Mul"] and "call" not in rest  # a node, styled as a call of several ops
    assert "filled,bold" in rest
    assert not find(g, "Sum") and not find(g, "Mul") and not find(g, "0.1667")  # no ops or 1/n inside it
    ((kloss, *_),), ((kop, *_),) = find(g, "loss"), find(g, "Matmul")
    (kh,) = [k for k, (lines, _) in nodes(g).items() if lines == ["(2, 1) float64"]]  # made outside the call
    assert {(a, b) for a, b, _ in edges(g)} >= {(kop, kh), (kh, kmean), (kmean, kloss)}
    assert len(nodes(g)) == 6  # x, w, Matmul, its output, mean, loss

    boxed = draw_graph(loss, names={"loss": loss}, calls="box", legend=False)
    assert clusters(boxed) == {"call_0": "mean"}
    box = boxed.source[boxed.source.index("subgraph"):]
    assert "label=Sum" in box and "label=Mul" in box and "Matmul" not in box
    raw = draw_graph(loss, names={"loss": loss}, calls="ops", legend=False)
    assert find(raw, "Sum") and find(raw, "Mul") and not find(raw, "mean") and "subgraph" not in raw.source
    with pytest.raises(ValueError, match="calls must be one of"):
        draw_graph(loss, calls="boxes")


def test_a_calls_named_output_and_its_several_outputs_stay():
    x = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    probs = x.softmax()
    top, bottom = (probs * 2).split(1)
    out = top.sum() + bottom.sum()
    g = draw_graph(out, names={"x": x, "probs": probs}, legend=False)
    ((ksoft, lines, _),), ((kprobs, *_),) = find(g, "softmax"), find(g, "probs")
    assert lines == ["softmax", "Sub, Exp, Sum, Div"]
    assert (ksoft, kprobs) in {(a, b) for a, b, _ in edges(g)}
    ((ksplit, lines, rest),) = find(g, "split")
    assert lines == ["split", "Getitem ×2"]
    assert len([b for a, b, _ in edges(g) if a == ksplit]) == 2  # one edge to each piece


def test_a_call_drawn_as_one_step_inside_its_module():
    nn = pytest.importorskip("tinygrad_np.nn")
    F = pytest.importorskip("tinygrad_np.nn.functional")
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.GELU() if hasattr(nn, "GELU") else nn.ReLU())
    images = tg.randn(2, 1, 5, 5)
    loss = F.mse_loss(model(images), tg.zeros(2, 2, 3, 3))
    g = draw_graph(loss, model=model, names={"images": images})
    src = g.source
    conv = src[src.index("cluster_0 {"):src.index("cluster_1 {")]
    ((kconv, lines, rest),) = find(g, "conv2d")
    assert f"\t\t{kconv} [" in conv and "Matmul" in lines[1]  # conv2d is one step in Conv2d's cluster
    assert find(g, "mse_loss") and "call of several ops" in src  # and the legend says what that style is
    folded = draw_graph(loss, model=model, depth=1)
    ops_in_conv = len([n for n in _nodes_of(loss) if n.module is model[0]])
    assert find(folded, f"{ops_in_conv} ops, 20 params")  # a folded module still counts every op


def test_a_calls_data_input_is_drawn_instead_of_what_the_call_made_from_it():
    """A named call keeps its data inputs (Tensors that need no gradient), so the drawing shows the
    input the user passed (``images``) instead of the constant the call made from it (the im2col matrix)."""
    images = tg.ones(2, 1, 4, 4)
    w = tg.ones(3, 4, requires_grad=True)

    @autograd.named_call("unfold_and_mix")
    def unfold_and_mix(x, weight):
        cols = x.reshape(2, 4, 4)  # no gradient needed: not recorded, a new constant tensor
        return weight @ cols

    loss = unfold_and_mix(images, w).sum()
    g = draw_graph(loss, names={"images": images}, legend=False)
    ((kcall, *_),), ((kimg, lines, _),) = find(g, "unfold_and_mix"), find(g, "images")
    assert lines == ["images", "(2, 1, 4, 4) float32"]
    assert (kimg, kcall) in {(a, b) for a, b, _ in edges(g)}
    assert not find(g, "(2, 4, 4) float32")  # the constant made inside the call is not drawn
    raw = draw_graph(loss, calls="ops")  # op by op, the constant the op was given is drawn
    assert find(raw, "(2, 4, 4) float32") and not find(raw, "(2, 1, 4, 4) float32")
    del images
    assert find(draw_graph(loss, legend=False), "(2, 1, 4, 4) float32")  # the graph keeps the call's input


def test_highlight_a_step_or_a_tensor():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    loss = h.mean()
    g = draw_graph(loss, names=locals(), highlight=h.grad_fn, legend=False, backward=True)
    ((kexp, _, rest),), ((kh, _, hrest),) = find(g, "Exp"), find(g, "h")
    assert "penwidth=3" in rest and "penwidth=3" in hrest and "penwidth=3" not in find(g, "mean")[0][2]
    marked = {(a, b) for a, b, attrs in edges(g) if "#d63384" in attrs}
    assert marked == {(find(g, "x")[0][0], kexp), (kexp, kh)}  # the op's edges, in and out
    (into_exp,) = [attrs for a, b, attrs in edges(g) if b == kexp]  # the gradient the step sends to x
    assert 'label="grad (2,) |g|=3.937"' in into_exp
    sum_node = loss.grad_fn.next[0]  # Sum, inside mean: the step that holds it lights up
    assert "penwidth=3" in find(draw_graph(loss, highlight=[sum_node]), "mean")[0][2]
    g = draw_graph(loss, names=locals(), highlight=[h, x])
    assert "penwidth=3" in find(g, "h")[0][2] and "penwidth=3" in find(g, "x")[0][2]
    assert "penwidth=3" not in find(g, "loss")[0][2] and "penwidth=3" not in find(g, "Exp")[0][2]
    boxed = draw_graph(loss, calls="box", highlight={sum_node: {"grad_out": "g = 0.5", "grad_inputs": ["sent"]}})
    assert "penwidth=3" in find(boxed, "Sum")[0][2] and "penwidth=3" not in find(boxed, "Mul")[0][2]
    assert {attrs.split(" ")[0] for a, b, attrs in edges(boxed) if "#d63384" in attrs} == {'label="g', 'label=sent'}
    with pytest.raises(TypeError, match="highlight="):
        draw_graph(loss, highlight="Exp")


def test_labels_are_never_cut_inside_a_word_or_number():
    x = tg.tensor(np.ones((1,) * 12), requires_grad=True)
    y = x.reshape((1,) * 11 + (1,)).permute(*reversed(range(12))).sum()
    lines = [line for ls, _ in nodes(draw_graph(y)).values() for line in ls]
    shortened = [line for line in lines if "…" in line]
    assert shortened and all(re.search(r"\(\d+(, \d+)*, …\)$", line) for line in shortened), shortened
    assert all(len(line) <= 30 for line in lines if "=" in line)  # attributes are short; shapes stay whole
    from tinygrad_np.viz.graph import wrap

    assert wrap("BinaryCrossEntropyFn, Sum, Mul ×2, Where", 20) == ["BinaryCrossEntropyFn,", "Sum, Mul ×2, Where"]


# ----------------------------------------------------------------------------- rendering with the real `dot`
def svg_texts(path) -> list:
    root = ET.parse(path).getroot()  # valid XML or this raises
    assert root.tag.endswith("svg")
    return ["".join(t.itertext()) for t in root.iter() if t.tag.endswith("text")]


@needs_dot
def test_render_svg_png_pdf(tmp_path):
    v = scalar_expr()
    v["L"].backward()
    g = draw_graph(v["L"], names=v, show_data=True, title="micrograd-style expression")
    out = render(g, tmp_path / "expr.svg")
    assert out == str(tmp_path / "expr.svg")
    texts = svg_texts(out)
    for label in ["a", "grad 6", "Mul", "Relu", "scalar float32", "micrograd-style expression", "legend"]:
        assert label in texts
    png = Path(render(g, tmp_path / "expr", format="png"))
    assert png.name == "expr.png" and png.stat().st_size > 1000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = Path(render(g, tmp_path / "sub" / "expr.pdf"))  # missing folders are created
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert not list(tmp_path.glob("*.dot"))  # nothing but the requested files


@needs_dot
def test_render_a_tensor_with_drawing_options(tmp_path):
    model = stub_mlp()
    x = tg.tensor(np.ones((4, 2)))
    out = render(model(x), tmp_path / "mlp.svg", model=model, depth=1, names={"x": x})
    texts = svg_texts(out)
    assert "fc2: Linear(8 -> 1)" in texts and "body: Stub" in texts and "x" in texts
    with pytest.raises(TypeError, match="only apply when render"):
        render(draw_graph(model(x)), tmp_path / "g.svg", depth=1)
    with pytest.raises(TypeError, match="model="):
        render(model, tmp_path / "g.svg")


@pytest.mark.parametrize("how", ["which", "path"])
def test_missing_dot_writes_source_and_explains(tmp_path, monkeypatch, how):
    if how == "which":
        monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    else:
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    g = draw_graph(x.exp(), names={"x": x})
    with pytest.raises(GraphvizNotFoundError) as info:
        render(g, tmp_path / "out" / "graph.png")
    msg = str(info.value)
    for hint in ["apt-get install graphviz", "brew install graphviz", "conda install graphviz",
                 "https://graphviz.org/download/", str(tmp_path / "out" / "graph.dot")]:  # fmt: skip
        assert hint in msg
    assert isinstance(info.value, RuntimeError)
    assert (tmp_path / "out" / "graph.dot").read_text() == g.source
    assert not (tmp_path / "out" / "graph.png").exists()


def test_graphviz_is_imported_lazily():
    code = "import sys, tinygrad_np, tinygrad_np.viz; assert 'graphviz' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# ----------------------------------------------------------------------------- with tinygrad_np.nn
def test_nn_mlp_clusters_and_parameter_names():
    nn = pytest.importorskip("tinygrad_np.nn")
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    x = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    loss = ((model(x) - tg.tensor([[0.0], [1.0], [1.0], [0.0]])) ** 2).mean()
    loss.backward()
    g = draw_graph(loss, names={"x": x, "loss": loss}, model=model)
    expected = {"0: Linear(2 -> 8)", "1: ReLU", "2: Linear(8 -> 1)", "3: Sigmoid", "Sequential"}
    assert expected <= set(clusters(g).values())
    for name in ["0.weight", "0.bias", "2.weight", "2.bias"]:
        ((_, lines, rest),) = find(g, name)
        assert "#cfe2ff" in rest and lines[-1].startswith("grad ")
    folded = draw_graph(loss, model=model, depth=1)
    boxes = sorted(lines[0] for lines, rest in nodes(folded).values() if "box3d" in rest)
    assert boxes == ["0: Linear(2 -> 8)", "1: ReLU", "2: Linear(8 -> 1)", "3: Sigmoid"]
    assert find(folded, "1 op") and find(folded, "1 op, 24 params")


def test_nn_cnn_is_grouped_and_auto_folded():
    nn = pytest.importorskip("tinygrad_np.nn")
    F = pytest.importorskip("tinygrad_np.nn.functional")
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 3 * 3, 10))
    loss = F.cross_entropy(model(tg.randn(2, 1, 8, 8)), tg.tensor([1, 2]))
    g = draw_graph(loss, model=model)
    assert {"0: Conv2d(1 -> 4, 3x3)", "2: MaxPool2d", "4: Linear(36 -> 10)"} <= set(clusters(g).values())
    small = draw_graph(loss, model=model, max_nodes=12)
    assert len(nodes(small)) <= 12 and "folded into boxes" in small.source
    assert find(small, "0: Conv2d(1 -> 4, 3x3)")


def test_backward_view_scalar_gradients_are_values():
    v = scalar_expr()
    g = draw_graph(v["L"], names=v, backward=True)
    ((ka, *_),) = find(g, "a")
    assert [attrs.split(" color")[0] for a, b, attrs in edges(g) if a == ka] == ['label="grad 6"']


# ----------------------------------------------------------------------------- the example and the docs pictures
@needs_dot
def test_example_visualize_fast(tmp_path):
    pytest.importorskip("sklearn")
    run = subprocess.run([sys.executable, str(ROOT / "examples" / "visualize.py"), "--fast", "--out", str(tmp_path)],
                         capture_output=True, text=True, cwd=tmp_path, env=ENV)  # fmt: skip
    assert run.returncode == 0, run.stderr
    expected = {"xor_mlp": "0: Linear(2 -> 8)", "xor_mlp_backward": "2.weight",
                "digits_cnn": "0: Conv2d(1 -> 8, 3x3)", "digits_cnn_layers": "4: Linear(72 -> 10)"}  # fmt: skip
    for name, label in expected.items():
        texts = svg_texts(tmp_path / f"{name}.svg")
        assert label in texts, (name, texts[:20])
    assert any(t.startswith("grad") for t in svg_texts(tmp_path / "xor_mlp.svg"))


def dot_pictures():
    spec = importlib.util.spec_from_file_location("dot_pictures", ROOT / "docs" / "scripts" / "dot_pictures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_dot
def test_docs_pictures_are_what_the_code_draws_today(tmp_path):
    """The script regenerates every picture of the drawing guide: its DOT source must equal the committed one
    (regenerate with `python docs/scripts/make_viz_pictures.py` after changing the drawing, and commit both)."""
    script = ROOT / "docs" / "scripts" / "make_viz_pictures.py"
    run = subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], capture_output=True, text=True, env=ENV)
    assert run.returncode == 0, run.stderr
    written = sorted(p.name for p in tmp_path.glob("*.svg"))
    assert written == sorted(p.name for p in (ROOT / "docs" / "images").glob("viz_*.svg"))  # docs use them all
    assert written == sorted(p.with_suffix(".svg").name for p in (ROOT / "docs" / "images").glob("viz_*.dot"))
    stale = [name for name in written if (tmp_path / name).with_suffix(".dot").read_text() !=
             (ROOT / "docs" / "images" / name).with_suffix(".dot").read_text()]  # fmt: skip
    assert not stale, f"stale pictures {stale}: run python docs/scripts/make_viz_pictures.py"
    assert "nan starts here!" in svg_texts(tmp_path / "viz_nan.svg")
    for lang in ("md", "ko.md"):
        page = (ROOT / "docs" / f"visualization.{lang}").read_text()
        for name in written:
            assert f"images/{name}" in page


def test_committed_graph_pictures_are_drawn_from_their_committed_dot_source():
    """Each graph picture in docs/images is the SVG of the .dot beside it: the same text in the same amounts
    (coordinates depend on the machine's Graphviz, so only the DOT source is compared exactly)."""
    dots = sorted((ROOT / "docs" / "images").glob("*.dot"))
    assert len(dots) >= 9
    labels = dot_pictures().labels
    for dot in dots:
        svg = dot.with_suffix(".svg")
        assert svg.is_file(), f"{dot.name} has no picture: run python docs/scripts/dot_pictures.py"
        assert sorted(t for t in svg_texts(svg) if t.strip()) == labels(dot.read_text()), (
            f"{svg.name} is not drawn from {dot.name}: run python docs/scripts/dot_pictures.py")


def test_the_picture_check_can_fail(tmp_path):
    labels = dot_pictures().labels
    source = 'digraph { a [label="mean\\nSum, Mul"] b [label=x] a -> b [label="grad 2"] }'
    assert labels(source) == ["Sum, Mul", "grad 2", "mean", "x"]
    assert labels(source.replace("Mul", "Div")) != labels(source)
