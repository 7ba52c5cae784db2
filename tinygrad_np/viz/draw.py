"""Graphviz output: ``draw_graph`` builds a ``graphviz.Digraph``, ``render`` writes a file."""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from pathlib import Path

from ..tensor import Tensor
from .graph import (
    TENSOR_KINDS,
    build,
    depth_of,
    fold_modules,
    known_grads,
    merge_chains,
    module_label,
    parent_of,
    reachable,
    truncate,
)

_STYLE = {
    "param": {"shape": "box", "style": "filled,rounded", "fillcolor": "#cfe2ff"},
    "input": {"shape": "box", "style": "filled", "fillcolor": "#e9ecef"},
    "intermediate": {"shape": "box", "style": "rounded", "color": "#6c757d"},
    "output": {"shape": "box", "style": "filled,bold", "fillcolor": "#d1e7dd", "peripheries": "2"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#fff3cd"},
    "const": {"shape": "plaintext", "fontcolor": "#495057"},
    "module": {"shape": "box3d", "style": "filled", "fillcolor": "#e2d9f3"},
    "more": {"shape": "note", "style": "filled", "fillcolor": "#f8f9fa"},
}
_LEGEND = {"param": "parameter", "input": "input", "op": "op", "intermediate": "intermediate",
           "output": "output", "module": "folded module"}  # fmt: skip
_BAD = {"color": "red", "fontcolor": "red", "penwidth": "2.5", "fillcolor": "#f8d7da", "style": "filled,bold"}
_GRAD_EDGE = {"dir": "back", "color": "#c0392b", "fontcolor": "#c0392b"}
_HIGHLIGHT = {"color": "#d63384", "penwidth": "3"}  # draw_graph(highlight=...): an op, its output, its edges
_JUPYTER_NAME = re.compile(r"_+\d*")  # Jupyter's output history (_, __, _12) in locals()


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed; the message says how to get it."""


def _check_roots(roots) -> None:
    if not roots:
        raise TypeError("draw_graph() needs at least one Tensor, e.g. draw_graph(loss)")
    for r in roots:
        if isinstance(r, Tensor):
            continue
        if hasattr(r, "named_parameters") or hasattr(r, "named_modules"):
            raise TypeError(
                f"draw_graph() draws the graph a computation recorded, not a {type(r).__name__} object: pass the "
                "model's output tensor, e.g. draw_graph(model(x)), and the model as model=... to group ops by module"
            )
        if isinstance(r, tuple | list):
            raise TypeError(f"draw_graph() takes tensors as separate arguments, not a {type(r).__name__}: "
                            "use draw_graph(*outputs)")  # fmt: skip
        raise TypeError(f"draw_graph() expects Tensors, got {type(r).__name__}: pass the Tensor a computation "
                        f"produced, e.g. draw_graph(loss)")


def _tensor_names(names, model) -> dict[int, str]:
    """Names by value key (see graph.Value): a leaf's id, or the id of the op that made the tensor."""
    out: dict[int, str] = {}
    if names is not None:
        try:
            for name, value in names.items() if hasattr(names, "items") else names:
                if isinstance(value, Tensor) and not _JUPYTER_NAME.fullmatch(str(name)):
                    out.setdefault(id(value.grad_fn if value.grad_fn is not None else value), str(name))
        except (TypeError, ValueError):
            raise TypeError("names= must map name -> Tensor, e.g. names=locals() (other values are ignored)") from None
    if model is not None:
        for name, p in model.named_parameters():
            out.setdefault(id(p), name)
    return out


def _named_tensors(names) -> list:
    """The Tensors in ``names`` (checked by _tensor_names)."""
    if names is None:
        return []
    _tensor_names(names, None)
    values = names.values() if hasattr(names, "values") else [v for _, v in names]
    return [v for v in values if isinstance(v, Tensor)]


def _emit(nodes, edges, modules, notes, rankdir, backward, legend, title):
    import graphviz

    n = len(nodes)
    font = 14 if n <= 40 else 11 if n <= 120 else 9  # big graphs: smaller text, tighter spacing
    sep = 0.25 if n <= 40 else 0.15 if n <= 120 else 0.08
    dot = graphviz.Digraph(
        "tinygrad_np",
        graph_attr=dict(rankdir=rankdir, nodesep=str(sep), ranksep=str(2 * sep), fontname="Helvetica",
                        fontsize=str(font + 1), labelloc="t"),
        node_attr=dict(fontname="Helvetica", fontsize=str(font), height="0.3", margin="0.1,0.04"),
        edge_attr=dict(fontname="Helvetica", fontsize=str(font - 2), arrowsize="0.6", color="#495057"),
    )  # fmt: skip

    if title or notes:
        dot.attr(label="\\n".join(filter(None, [title, *notes])))

    def add_node(graph, k, node):
        lines = [s.replace("\\", "\\\\") for s in node["lines"]]
        attrs = dict(_STYLE[node["kind"]])
        if node["bad"]:
            lines.append(node["bad"] + "!")
            attrs.update(_BAD)
        if node.get("highlight"):
            attrs.update(_HIGHLIGHT)
        graph.node(k, label=graphviz.nohtml("\\n".join(lines)), **attrs)

    by_group, groups = defaultdict(list), set()
    for k, node in nodes.items():
        by_group[node["group"]].append(k)
        g = node["group"]
        while g is not None:
            groups.add(g)
            g = parent_of(g)
    children = defaultdict(list)
    order = {name: i for i, name in enumerate(modules)}  # the model's own order (fc1 before fc2)
    for g in sorted(groups, key=lambda g: (order.get(g, len(order)), g)):
        children[parent_of(g)].append(g)

    def add_cluster(graph, g):
        with graph.subgraph(name=f"cluster_{g or '(model)'}") as c:
            shade = ["#f8f9fa", "#eef4fb", "#fdf6ec"][depth_of(g) % 3]
            c.attr(label=module_label(g, modules.get(g)), style="rounded,filled", fillcolor=shade, color="#adb5bd")
            for k in by_group[g]:
                add_node(c, k, nodes[k])
            for child in children[g]:
                add_cluster(c, child)

    for k in by_group[None]:
        add_node(dot, k, nodes[k])
    for g in children[None]:
        add_cluster(dot, g)
    for a, b, label in edges:
        marked = nodes[b].get("highlight") and nodes[b]["kind"] == "op" or nodes[a].get("highlight") and \
            nodes[a]["kind"] == "op"
        grad_edge = label and (marked or backward and nodes[a]["kind"] in TENSOR_KINDS)  # a gradient flows back
        style = {**(_GRAD_EDGE if grad_edge else {}), **(_HIGHLIGHT if marked else {})}
        dot.edge(a, b, **({"label": label} if label else {}), **style)
    if legend:
        kinds = [k for k in _LEGEND if any(node["kind"] == k for node in nodes.values())]
        with dot.subgraph(name="cluster_legend") as c:
            c.attr(label="legend", style="dashed", color="#adb5bd", fillcolor="white")
            for i, k in enumerate(kinds):
                c.node(f"legend_{k}", label=_LEGEND[k], **_STYLE[k])
                if i:
                    c.edge(f"legend_{kinds[i - 1]}", f"legend_{k}", style="invis")
            if any(node["bad"] for node in nodes.values()):
                c.node("legend_bad", label="NaN/Inf!", **{**_STYLE["intermediate"], **_BAD})
    return dot


def draw_graph(*roots, names=None, show_data=False, show_grad=True, model=None, depth=None, rankdir="LR",
               max_nodes=150, backward=False, legend=True, title=None, highlight=None):
    """Draw the graph that produced ``roots`` (one Tensor or several) and return a ``graphviz.Digraph``.

    * ``names``: a dict like ``locals()`` mapping name -> Tensor (other values are ignored) to label tensors;
      with ``model=`` parameters are named ``fc1.weight`` etc. as in ``model.named_parameters()``.
    * ``show_data``: show values of small tensors, mean/std/min/max of larger ones. ``show_grad``: show
      ``.grad`` (values, or the norm) once backward has run. NaN/Inf in either is drawn in red.
    * ``model``: group ops into a cluster per module that ran them. ``depth``: modules ``depth`` levels
      below the model, and leaf modules above that, are drawn as one box each (``depth=0``: the whole
      model is one box).
    * ``max_nodes``: larger graphs are folded (by module depth, else by merging chains of elementwise
      ops, else truncated) and a note on the picture says so.
    * ``backward``: label each tensor -> op edge with the gradient flowing back along it (shape, norm),
      from ``.grad`` (leaves, ``retain_grad()``) or recomputed while the graph is not yet freed.
    * ``rankdir``: "LR" (left to right) or "TB" (top to bottom). ``legend``: add a legend. ``title``: a title.
    * ``highlight``: ``{op: {"grad_out": text, "grad_inputs": [text or None per input]}}`` with recorded ops
      (a tensor's ``grad_fn``) as keys: each is drawn highlighted with its output box and edges, and the texts
      label the edge to its output (the gradient it receives) and the edges from its inputs (the gradients it
      sends back). ``tinygrad_np.explain`` uses it to show one step of the backward pass.

    Jupyter displays the returned graph inline; ``render(graph, "graph.svg")`` writes a file.
    """
    _check_roots(roots)
    if model is not None and not (hasattr(model, "named_modules") and hasattr(model, "named_parameters")):
        raise TypeError(f"model= must be a Module (with named_modules()), got {type(model).__name__}")
    if depth is not None and (not isinstance(depth, int) or depth < 0):
        raise ValueError(f"depth must be a non-negative int, got {depth!r}")
    if max_nodes < 2:
        raise ValueError(f"max_nodes must be at least 2, got {max_nodes}")
    modules, params = {}, {}
    if model is not None:
        for name, m in model.named_modules():
            modules.setdefault(name, m)
        params = {id(p): name.rpartition(".")[0] for name, p in model.named_parameters()}
    values = reachable(roots, _named_tensors(names))
    grads = known_grads(roots, values, recompute=backward) if show_grad or backward else {}
    nodes, edges = build(roots, values, _tensor_names(names, model), params, modules, show_data, show_grad,
                          grads, backward, highlight)  # fmt: skip
    total, notes = len(nodes), []
    if depth is not None:
        nodes, edges = fold_modules(nodes, edges, modules, depth)
    elif modules and total > max_nodes:
        deepest = max((depth_of(n["group"]) for n in nodes.values() if n["group"] is not None), default=0)
        for depth in range(deepest, -1, -1):
            folded = fold_modules(nodes, edges, modules, depth)
            if len(folded[0]) <= max_nodes:
                break
        nodes, edges = folded
        notes.append(f"{total} nodes > max_nodes={max_nodes}: modules at depth {depth} folded into boxes")
    if len(nodes) > max_nodes:
        before = len(nodes)
        nodes, edges = merge_chains(nodes, edges)
        if len(nodes) < before:
            notes.append(f"{before} nodes > max_nodes={max_nodes}: chains of elementwise ops merged")
    if len(nodes) > max_nodes:
        nodes, edges = truncate(nodes, edges, max_nodes)
        notes.append(f"over max_nodes={max_nodes}: only the {max_nodes - 1} nodes nearest the outputs are drawn")
    return _emit(nodes, edges, modules, notes, rankdir, backward, legend, title)


def _missing_dot(graph, path: Path):
    dot_path = path.with_suffix(".dot")
    dot_path.write_text(graph.source, encoding="utf-8")
    raise GraphvizNotFoundError(
        f"cannot render {path}: Graphviz's `dot` program is not on PATH (the pip package `graphviz` is only the "
        "Python interface). Install Graphviz with `apt-get install graphviz` (Debian/Ubuntu), `brew install "
        "graphviz` (macOS), `conda install graphviz`, or from https://graphviz.org/download/. The DOT source was "
        f"written to {dot_path}; render it later with `dot -T{path.suffix.lstrip('.') or 'svg'} {dot_path} -o {path}`."
    )


def render(graph, path, format=None, **draw_kwargs) -> str:
    """Write ``graph`` (a Digraph from ``draw_graph``, or a Tensor to draw with ``draw_kwargs``) to ``path``.

    ``format`` is "svg", "png", "pdf" (or any Graphviz format); by default it comes from the path's
    suffix, else "svg" (and the suffix is added). Returns the path written. Without Graphviz's ``dot``
    program the DOT source is written next to ``path`` and :class:`GraphvizNotFoundError` says how to
    install Graphviz.
    """
    if isinstance(graph, Tensor):
        graph = draw_graph(graph, **draw_kwargs)
    elif draw_kwargs:
        raise TypeError(f"drawing options {sorted(draw_kwargs)} only apply when render() is given a Tensor")
    elif not hasattr(graph, "pipe"):
        _check_roots((graph,))
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".") or "svg").lower()
    if not path.suffix:
        path = path.with_suffix("." + fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    if shutil.which("dot") is None:
        _missing_dot(graph, path)
    import graphviz

    try:
        data = graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        _missing_dot(graph, path)
    path.write_bytes(data)
    return str(path)
