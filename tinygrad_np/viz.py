"""Draw the graph a computation recorded, with Graphviz: a picture to debug with.

``draw_graph(loss)`` walks back from the output through each tensor's ``grad_fn`` and its
``parents`` (nothing else, so it still works after ``backward()`` freed the saved values)
and returns a ``graphviz.Digraph``, which Jupyter shows inline; ``render`` writes it to
SVG, PNG or PDF. Tensors are boxes (parameters blue, inputs grey, outputs green,
intermediates white), ops are yellow ellipses with their attributes, and NaN/Inf in a value
or a gradient turns a node red. With ``model=`` the ops are grouped into one cluster per
module that ran them; ``depth=`` folds deeper modules into one box each, and a graph over
``max_nodes`` is folded automatically (by module, else by merging elementwise chains, else
truncated), with a note on the picture.
"""

from __future__ import annotations

import re
import shutil
from collections import defaultdict, deque
from pathlib import Path

import numpy as np

from .tensor import Tensor

__all__ = ["draw_graph", "render", "module_label", "GraphvizNotFoundError"]

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
_TENSOR_KINDS = ("param", "input", "intermediate", "output")
_ELEMENTWISE = frozenset("Add Sub Mul Div Pow Maximum Where Neg Exp Log Sqrt Sin Cos Tanh Sigmoid Relu Abs Clip "
                         "Cast Clone".split())  # fmt: skip
_SMALL = 6  # tensors with at most this many elements show their values, larger ones statistics
_JUPYTER_NAME = re.compile(r"_+\d*")  # Jupyter's output history (_, __, _12) in locals()


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed; the message says how to get it."""


def module_label(name: str, module) -> str:
    """A short label for a module: ``fc1: Linear(784 -> 256)``, ``conv1: Conv2d(1 -> 8, 3x3)``, else its class."""
    cls = type(module).__name__ if module is not None else "module"
    weight = getattr(getattr(module, "weight", None), "shape", None)
    if cls == "Linear":
        n_in = getattr(module, "in_features", weight[1] if weight and len(weight) == 2 else "?")
        n_out = getattr(module, "out_features", weight[0] if weight and len(weight) == 2 else "?")
        text = f"Linear({n_in} -> {n_out})"
    elif cls.startswith("Conv"):
        n_in = getattr(module, "in_channels", weight[1] if weight else "?")
        n_out = getattr(module, "out_channels", weight[0] if weight else "?")
        k = getattr(module, "kernel_size", tuple(weight[2:]) if weight else ())
        k = "x".join(map(str, k if isinstance(k, tuple | list) else (k, k)))
        text = f"{cls}({n_in} -> {n_out}, {k})" if k else f"{cls}({n_in} -> {n_out})"
    else:
        text = cls
    return f"{name}: {text}" if name else text


# ----------------------------------------------------------------------------- small formatting helpers
def _num(x) -> str:
    x = x.item() if isinstance(x, np.ndarray) else x
    return f"{x:.4g}" if isinstance(x, float | np.floating) else str(x)


def _short(v, width: int = 28) -> str:
    """An op attribute in a few characters: arrays (masks, indices) by dtype and shape."""
    if isinstance(v, np.ndarray):
        s = f"{v.dtype}[{', '.join(map(str, v.shape))}]"
    elif isinstance(v, slice):
        s = ":".join("" if x is None else str(x) for x in (v.start, v.stop, v.step)[: 3 if v.step else 2])
    elif v is Ellipsis:
        s = "..."
    elif isinstance(v, tuple | list):
        s = "(" + ", ".join(_short(x, width) for x in v) + ("," if len(v) == 1 else "") + ")"
    else:
        s = _num(v)
    return s if len(s) <= width else s[: width - 1] + "…"


def _nonfinite(a) -> str | None:
    if a.dtype.kind != "f":
        return None
    return "nan" if np.isnan(a).any() else "inf" if np.isinf(a).any() else None


def _describe(a: np.ndarray, prefix: str, stats: bool) -> list[str]:
    """Values of a small array, else its norm (gradients) or mean/std/min/max (data)."""
    if a.size <= _SMALL:
        flat = [_num(x) for x in a.reshape(-1)]
        return [prefix + (flat[0] if a.ndim == 0 else "[" + ", ".join(flat) + "]")]
    if a.dtype.kind not in "biuf":
        return []
    finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
    if finite.size == 0:
        return []
    if not stats:
        return [f"{prefix}norm {_num(np.linalg.norm(finite.astype(np.float64)))}"]
    f = finite.astype(np.float64)
    return [f"{prefix}mean {_num(f.mean())} std {_num(f.std())}", f"min {_num(f.min())} max {_num(f.max())}"]


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
        raise TypeError(f"draw_graph() expects Tensors, got {type(r).__name__}")


def _tensor_names(names, model) -> dict[int, str]:
    out: dict[int, str] = {}
    if names is not None:
        try:
            for name, value in names.items() if hasattr(names, "items") else names:
                if isinstance(value, Tensor) and not _JUPYTER_NAME.fullmatch(str(name)):
                    out.setdefault(id(value), str(name))
        except (TypeError, ValueError):
            raise TypeError("names= must map name -> Tensor, e.g. names=locals() (other values are ignored)") from None
    if model is not None:
        for name, p in model.named_parameters():
            out.setdefault(id(p), name)
    return out


def _reachable(roots) -> list[Tensor]:
    """Every tensor reachable from ``roots`` through ``grad_fn.parents``, nearest first (iterative BFS)."""
    seen, order, queue = set(), [], deque(roots)
    while queue:
        t = queue.popleft()
        if id(t) in seen:
            continue
        seen.add(id(t))
        order.append(t)
        if t.grad_fn is not None:
            queue.extend(p for p in t.grad_fn.parents if p is not None and id(p) not in seen)
    return order


def _known_grads(roots, tensors, recompute: bool) -> dict[int, np.ndarray]:
    """``.grad`` where there is one; with ``recompute`` the others too, while the graph is still intact."""
    grads = {id(t): t.grad.data for t in tensors if t.grad is not None}
    missing = [t for t in tensors if t.requires_grad and id(t) not in grads]
    if recompute and missing and all(r.requires_grad and r.data.size == 1 for r in roots):
        from .autograd import grad

        try:
            found = grad(list(roots), missing, retain_graph=True, allow_unused=True)
        except RuntimeError:  # backward() already freed the graph: only retained grads are known
            found = ()
        grads.update({id(t): g.data for t, g in zip(missing, found) if g is not None})
    return grads


# ----------------------------------------------------------------------------- building the picture
def _build(roots, tensors, names, params, modules, show_data, show_grad, grads, backward):
    """Nodes (key -> dict of kind, lines, group, bad, ...) and edges (src, dst, label) of the full graph."""
    nodes, edges, keys = {}, [], {}
    root_ids = {id(r) for r in roots}
    module_of = {id(m): name for name, m in modules.items()}

    def key(obj, prefix):
        return keys.setdefault(id(obj), f"{prefix}{len(keys)}")

    def grad_label(t):
        g = grads.get(id(t))
        return None if g is None else f"grad {tuple(g.shape)} |g|={_num(np.linalg.norm(g.astype(np.float64)))}"

    for t in tensors:
        ctx = t.grad_fn
        if id(t) in root_ids:
            kind = "output"
        elif ctx is not None:
            kind = "intermediate"
        else:
            kind = "param" if (id(t) in params if modules else t.requires_grad) else "input"
        group = module_of.get(id(getattr(ctx, "module", None))) if ctx is not None else params.get(id(t))
        name = names.get(id(t))
        lines = [name] if name else []
        lines.append(f"{tuple(t.shape) if t.ndim else 'scalar'} {t.dtype}")
        if show_data or (kind == "input" and t.data.size == 1 and not name):
            lines += _describe(t.data, "", stats=True)
        g = grads.get(id(t)) if show_grad else None
        if g is not None:
            lines += _describe(g, "grad ", stats=False)
        bad = _nonfinite(t.data) or (g is not None and _nonfinite(g) and "grad " + _nonfinite(g)) or None
        nodes[key(t, "t")] = dict(kind=kind, lines=lines, group=group, bad=bad, name=name, shape=tuple(t.shape))
        if ctx is None:
            continue
        op = key(ctx, "op")
        attrs = [f"{k}={_short(v)}" for k, v in getattr(ctx, "attrs", {}).items() if v is not None and v is not False]
        parents = [p for p in ctx.parents if p is not None]
        origin = None if any(_nonfinite(p.data) for p in parents) else _nonfinite(t.data)
        nodes[op] = dict(kind="op", lines=[ctx.name] + attrs[:3], group=group, op=ctx.name,
                         bad=origin and f"{origin} starts here")  # fmt: skip
        edges.append((op, key(t, "t"), None))
        args = getattr(ctx, "args", None) or getattr(ctx, "inputs", None) or ()  # for scalar constants only
        for i, p in enumerate(ctx.parents):
            if p is not None:
                edges.append((key(p, "t"), op, grad_label(p) if backward else None))
            elif i < len(args) and np.ndim(args[i]) == 0:
                nodes[f"{op}_c{i}"] = dict(kind="const", lines=[_num(args[i])], group=group, bad=None)
                edges.append((f"{op}_c{i}", op, None))
    return nodes, edges


def _contract(nodes, edges, rep: dict, extra: dict):
    """Replace each node k by rep[k] (new nodes in ``extra``); an edge that leaves a folded tensor keeps its shape."""
    new = {k: n for k, n in nodes.items() if k not in rep}
    new.update(extra)
    out = {}
    for a, b, label in edges:
        ra, rb = rep.get(a, a), rep.get(b, b)
        if ra == rb:
            continue
        if label is None and ra != a and nodes[a]["kind"] in _TENSOR_KINDS:
            label = str(nodes[a]["shape"])
        out[(ra, rb, label)] = None
    return new, list(out)


def _depth(group: str) -> int:
    return 0 if group == "" else group.count(".") + 1


def _parent(group: str) -> str | None:
    return None if group == "" else group.rpartition(".")[0]


def _fold_modules(nodes, edges, modules, depth: int):
    """Modules ``depth`` levels below the model, and leaf modules above that, become one box each
    holding their ops, parameters and tensors."""
    rep, extra = {}, {}
    has_children = {_parent(name) for name in modules if name}
    for k, n in nodes.items():
        g = n["group"]
        if g is None:
            continue
        chain = [".".join(g.split(".")[:i]) for i in range(1, _depth(g) + 1)]
        top = next((m for m in ["", *chain] if _depth(m) == depth or m not in has_children), None)
        if top is None:
            continue
        box = rep[k] = f"module_{top}"
        if box not in extra:
            extra[box] = dict(kind="module", lines=[module_label(top, modules.get(top))], group=_parent(top), bad=None,
                              ops=0)  # fmt: skip
        extra[box]["ops"] += n["kind"] == "op"
        extra[box]["bad"] = extra[box]["bad"] or n["bad"]
    for box, n in extra.items():
        module = modules.get(box.partition("_")[2])
        n_params = sum(p.data.size for _, p in module.named_parameters()) if module is not None else 0
        n["lines"].append(f"{n['ops']} ops" + (f", {n_params:,} params" if n_params else ""))
    return _contract(nodes, edges, rep, extra)


def _merge_chains(nodes, edges):
    """Merge runs of elementwise ops whose in-between tensor has no name and a single use into one op node."""
    uses = defaultdict(int)
    producer = {}
    for a, b, _ in edges:
        uses[a] += 1
        if nodes[a]["kind"] == "op":
            producer[b] = a
    parent = {}

    def find(k):
        while parent.get(k, k) != k:
            k = parent[k]
        return k

    for t, op, _ in edges:
        n, src = nodes[t], producer.get(t)
        if (n["kind"] == "intermediate" and not n["name"] and not n["bad"] and uses[t] == 1 and src is not None
                and nodes[op].get("op") in _ELEMENTWISE and nodes[src].get("op") in _ELEMENTWISE
                and nodes[src]["group"] == nodes[op]["group"]):  # fmt: skip
            root = find(op)
            parent[find(src)] = parent[t] = root
    merged = set(parent) | set(parent.values())
    members = defaultdict(list)
    for k in reversed(list(nodes)):  # nodes are listed outputs first: reversed, each chain reads upstream first
        if k in merged and nodes[k]["kind"] == "op":
            members[find(k)].append(nodes[k]["op"])
    extra = {}
    for root, ops in members.items():
        label = " > ".join(ops) if len(ops) <= 4 else f"{ops[0]} > … > {ops[-1]}"
        extra[f"chain_{root}"] = dict(kind="op", lines=[label, f"({len(ops)} elementwise ops)"],
                                      group=nodes[root]["group"], bad=None, op="chain")  # fmt: skip
    rep = {k: f"chain_{find(k)}" for k in merged}
    return _contract(nodes, edges, rep, extra)


def _truncate(nodes, edges, limit: int):
    """Keep the ``limit - 1`` nodes nearest the outputs; the rest become one '... more' node."""
    into, has_out = defaultdict(list), set()
    for a, b, _ in edges:
        into[b].append(a)
        has_out.add(a)
    keep, queue = {}, deque(k for k in nodes if k not in has_out)
    while queue and len(keep) < limit - 1:
        k = queue.popleft()
        if k not in keep:
            keep[k] = None
            queue.extend(into[k])
    rep = {k: "more" for k in nodes if k not in keep}
    more = dict(kind="more", lines=[f"… {len(rep)} more nodes not shown"], group=None, bad=None)
    return _contract(nodes, edges, rep, {"more": more})


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
        graph.node(k, label=graphviz.nohtml("\\n".join(lines)), **attrs)

    by_group, groups = defaultdict(list), set()
    for k, node in nodes.items():
        by_group[node["group"]].append(k)
        g = node["group"]
        while g is not None:
            groups.add(g)
            g = _parent(g)
    children = defaultdict(list)
    order = {name: i for i, name in enumerate(modules)}  # the model's own order (fc1 before fc2)
    for g in sorted(groups, key=lambda g: (order.get(g, len(order)), g)):
        children[_parent(g)].append(g)

    def add_cluster(graph, g):
        with graph.subgraph(name=f"cluster_{g or '(model)'}") as c:
            shade = ["#f8f9fa", "#eef4fb", "#fdf6ec"][_depth(g) % 3]
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
        grad_edge = backward and label and nodes[a]["kind"] in _TENSOR_KINDS
        dot.edge(a, b, **({"label": label} if label else {}), **(_GRAD_EDGE if grad_edge else {}))
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
               max_nodes=150, backward=False, legend=True, title=None):
    """Draw the graph that produced ``roots`` (one Tensor or several) and return a ``graphviz.Digraph``.

    * ``names``: a dict like ``locals()`` mapping name -> Tensor (other values are ignored) to label tensors;
      with ``model=`` parameters are named ``fc1.weight`` etc. as in ``model.named_parameters()``.
    * ``show_data``: show values of small tensors, mean/std/min/max of larger ones. ``show_grad``: show
      ``.grad`` (values, or the norm) once backward has run. NaN/Inf in either is drawn in red.
    * ``model``: group ops into a cluster per module that ran them. ``depth``: modules ``depth`` levels
      below the model are drawn as one box each (``depth=0``: the whole model is one box).
    * ``max_nodes``: larger graphs are folded (by module depth, else by merging chains of elementwise
      ops, else truncated) and a note on the picture says so.
    * ``backward``: label each tensor -> op edge with the gradient flowing back along it (shape, norm),
      from ``.grad`` (leaves, ``retain_grad()``) or recomputed while the graph is not yet freed.
    * ``rankdir``: "LR" (left to right) or "TB" (top to bottom). ``legend``: add a legend. ``title``: a title.

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
    tensors = _reachable(roots)
    grads = _known_grads(roots, tensors, recompute=backward) if show_grad or backward else {}
    nodes, edges = _build(roots, tensors, _tensor_names(names, model), params, modules, show_data, show_grad,
                          grads, backward)  # fmt: skip
    total, notes = len(nodes), []
    if depth is not None:
        nodes, edges = _fold_modules(nodes, edges, modules, depth)
    elif modules and total > max_nodes:
        deepest = max((_depth(n["group"]) for n in nodes.values() if n["group"] is not None), default=0)
        for depth in range(deepest, -1, -1):
            folded = _fold_modules(nodes, edges, modules, depth)
            if len(folded[0]) <= max_nodes:
                break
        nodes, edges = folded
        notes.append(f"{total} nodes > max_nodes={max_nodes}: modules at depth {depth} folded into boxes")
    if len(nodes) > max_nodes:
        before = len(nodes)
        nodes, edges = _merge_chains(nodes, edges)
        notes.append(f"{before} nodes > max_nodes={max_nodes}: chains of elementwise ops merged")
    if len(nodes) > max_nodes:
        nodes, edges = _truncate(nodes, edges, max_nodes)
        notes.append(f"still over max_nodes={max_nodes}: only the {max_nodes - 1} nodes nearest the outputs drawn")
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
