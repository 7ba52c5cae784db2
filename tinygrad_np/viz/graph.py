"""The recorded graph as plain data, and the ways to make a big one smaller.

``build`` turns the tensors reachable from the outputs into nodes (a dict: key -> kind,
label lines, module group, NaN/Inf mark, ...) and edges (src, dst, label). Folding a module
into a box, merging a chain of elementwise ops and truncating all work the same way: map
some nodes onto a new one and ``contract`` the edges.
"""

from __future__ import annotations

from collections import defaultdict, deque

import numpy as np

TENSOR_KINDS = ("param", "input", "intermediate", "output")
_ELEMENTWISE = frozenset("Add Sub Mul Div Pow Maximum Where Neg Exp Log Sqrt Sin Cos Tanh Sigmoid Relu Abs Clip "
                         "Cast Clone".split())  # fmt: skip
_SMALL = 6  # tensors with at most this many elements show their values, larger ones statistics


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
    if isinstance(v, np.ndarray) or (hasattr(v, "shape") and hasattr(v, "dtype") and not isinstance(v, np.generic)):
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


class Value:
    """A box in the picture: a leaf Tensor, or the output of a recorded op. The graph keeps ops, not
    their output Tensors, so an output's values are known only if its Tensor is at hand (a root, or
    named by the caller) or its op saved it for backward."""

    def __init__(self, node=None, tensor=None):
        self.tensor, self.grad_fn = tensor, node if tensor is None else tensor.grad_fn
        if tensor is not None:
            self.shape, self.dtype, self.data = tensor.shape, tensor.dtype, tensor.data
        else:
            self.shape, self.dtype = node.shape, node.dtype
            self.data = node.output if isinstance(node.output, np.ndarray) else None
        self.requires_grad = tensor.requires_grad if tensor is not None else True

    @property
    def key(self) -> int:
        """Leaves by their Tensor, op outputs by their node: the same box however it is reached."""
        return id(self.grad_fn if self.grad_fn is not None else self.tensor)

    def as_tensor(self):
        """A Tensor standing for this value in the graph (for gradients)."""
        if self.tensor is not None:
            return self.tensor
        from ..tensor import Tensor

        return Tensor._wrap(np.empty(0), self.grad_fn)


def reachable(roots, known=()) -> list:
    """Every value reachable from the Tensors ``roots`` through the ops' edges, nearest first
    (iterative BFS). ``known``: other Tensors (named by the caller) whose values can be shown."""
    tensors = {id(t.grad_fn if t.grad_fn is not None else t): t for t in [*known, *roots]}
    seen, order, queue = set(), [], deque(Value(tensor=t) for t in roots)
    while queue:
        v = queue.popleft()
        if v.key in seen:
            continue
        seen.add(v.key)
        order.append(v)
        if v.grad_fn is not None:
            for e in _inputs(v.grad_fn):
                if id(e) in seen:
                    continue
                t = tensors.get(id(e), e if hasattr(e, "grad_fn") else None)
                queue.append(Value(node=e) if t is None else Value(tensor=t))
    return order


def _inputs(node) -> list:
    """The node's inputs that are drawn as boxes: the nodes and Tensors among its edges."""
    return [e for e in node.next if hasattr(e, "grad_fn") or hasattr(e, "seq")]


def known_grads(roots, values, recompute: bool) -> dict[int, np.ndarray]:
    """``.grad`` where there is one; with ``recompute`` the others too, while the graph is still intact."""
    grads = {v.key: v.tensor.grad.data for v in values if v.tensor is not None and v.tensor.grad is not None}
    missing = [v for v in values if v.requires_grad and v.key not in grads]
    if recompute and missing and all(r.requires_grad and r.data.size == 1 for r in roots):
        from ..autograd import grad

        try:
            found = grad(list(roots), [v.as_tensor() for v in missing], retain_graph=True, allow_unused=True)
        except RuntimeError:  # backward() already freed the graph: only retained grads are known
            found = ()
        grads.update({v.key: g.data for v, g in zip(missing, found) if g is not None})
    return grads


# ----------------------------------------------------------------------------- building the picture
def build(roots, values, names, params, modules, show_data, show_grad, grads, backward, highlight=None):
    """Nodes (key -> dict of kind, lines, group, bad, ...) and edges (src, dst, label) of the full graph.
    ``highlight``: see draw_graph; highlighted ops and their output boxes get ``highlight=True``."""
    nodes, edges, keys = {}, [], {}
    root_ids = {id(r.grad_fn if r.grad_fn is not None else r) for r in roots}
    module_of = {id(m): name for name, m in modules.items()}

    def key(k, prefix):
        return keys.setdefault((prefix, k), f"{prefix}{len(keys)}")

    def grad_label(k):
        g = grads.get(k)
        if g is None or g.size == 1:
            return None if g is None else f"grad {_num(g.reshape(-1)[0])}"
        return f"grad {tuple(g.shape)} |g|={_num(np.linalg.norm(g.astype(np.float64)))}"

    data_of = {v.key: v.data for v in values}
    for v in values:
        ctx = v.grad_fn
        if v.key in root_ids:
            kind = "output"
        elif ctx is not None:
            kind = "intermediate"
        else:
            kind = "param" if (v.key in params if modules else v.requires_grad) else "input"
        group = module_of.get(id(getattr(ctx, "module", None))) if ctx is not None else params.get(v.key)
        name = names.get(v.key)
        lines = [name] if name else []
        lines.append(f"{tuple(v.shape) if len(v.shape) else 'scalar'} {v.dtype}")
        if v.data is not None and (show_data or (kind == "input" and v.data.size == 1 and not name)):
            lines += _describe(v.data, "", stats=True)
        g = grads.get(v.key) if show_grad else None
        if g is not None:
            lines += _describe(g, "grad ", stats=False)
        bad = (v.data is not None and _nonfinite(v.data)) or (g is not None and _nonfinite(g) and
                                                               "grad " + _nonfinite(g)) or None
        nodes[key(v.key, "t")] = dict(kind=kind, lines=lines, group=group, bad=bad, name=name, shape=tuple(v.shape))
        if ctx is None:
            continue
        op = key(id(ctx), "op")
        marked = highlight.get(ctx) if highlight else None
        if marked is not None:
            nodes[key(v.key, "t")]["highlight"] = True
        attrs = [f"{k}={_short(a)}" for k, a in ctx.attrs.items() if a is not None and a is not False]
        inputs = [data_of.get(id(e)) for e in _inputs(ctx)]
        known = v.data is not None and all(d is not None for d in inputs)
        origin = _nonfinite(v.data) if known and not any(_nonfinite(d) for d in inputs) else None
        nodes[op] = dict(kind="op", lines=[ctx.name] + attrs[:3], group=group, op=ctx.name,
                         bad=origin and f"{origin} starts here", highlight=marked is not None)  # fmt: skip
        sent = list((marked or {}).get("grad_inputs") or ())
        edges.append((op, key(v.key, "t"), (marked or {}).get("grad_out")))
        for i, e in enumerate(ctx.next):
            if hasattr(e, "grad_fn") or hasattr(e, "seq"):  # a Tensor or a node: a box
                label = sent[i] if i < len(sent) else grad_label(id(e)) if backward and e is not None else None
                edges.append((key(id(e), "t"), op, label))
            elif isinstance(e, (int, float, np.ndarray)) and np.ndim(e) == 0:  # a scalar constant
                nodes[f"{op}_c{i}"] = dict(kind="const", lines=[_num(e)], group=group, bad=None)
                edges.append((f"{op}_c{i}", op, None))
    return nodes, edges


def contract(nodes, edges, rep: dict, extra: dict):
    """Replace each node k by rep[k] (new nodes in ``extra``); an edge that leaves a folded tensor keeps its shape."""
    new = {k: n for k, n in nodes.items() if k not in rep}
    new.update(extra)
    out = {}
    for a, b, label in edges:
        ra, rb = rep.get(a, a), rep.get(b, b)
        if ra == rb:
            continue
        if label is None and ra != a and nodes[a]["kind"] in TENSOR_KINDS:
            label = str(nodes[a]["shape"])
        out[(ra, rb, label)] = None
    return new, list(out)


def depth_of(group: str) -> int:
    return 0 if group == "" else group.count(".") + 1


def parent_of(group: str) -> str | None:
    return None if group == "" else group.rpartition(".")[0]


def fold_modules(nodes, edges, modules, depth: int):
    """Modules ``depth`` levels below the model, and leaf modules above that, become one box each
    holding their ops, parameters and tensors."""
    rep, extra = {}, {}
    has_children = {parent_of(name) for name in modules if name}
    for k, n in nodes.items():
        g = n["group"]
        if g is None:
            continue
        chain = [".".join(g.split(".")[:i]) for i in range(1, depth_of(g) + 1)]
        top = next((m for m in ["", *chain] if depth_of(m) == depth or m not in has_children), None)
        if top is None:
            continue
        box = rep[k] = f"module_{top}"
        if box not in extra:
            label = module_label(top, modules.get(top))
            extra[box] = dict(kind="module", lines=[label], group=parent_of(top), bad=None, ops=0)
        extra[box]["ops"] += n["kind"] == "op"
        extra[box]["bad"] = extra[box]["bad"] or n["bad"]
    for box, n in extra.items():
        module = modules.get(box.partition("_")[2])
        n_params = sum(p.data.size for _, p in module.named_parameters()) if module is not None else 0
        n["lines"].append(f"{n['ops']} op{'s' * (n['ops'] != 1)}" + (f", {n_params:,} params" if n_params else ""))
    return contract(nodes, edges, rep, extra)


def merge_chains(nodes, edges):
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
            k = parent[k] = parent.get(parent[k], parent[k])  # path halving: long chains stay fast
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
    rep.update({c: rep[op] for c, op, _ in edges if op in rep and nodes[c]["kind"] == "const"})  # 2.5 in x * 2.5
    return contract(nodes, edges, rep, extra)


def truncate(nodes, edges, limit: int):
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
    return contract(nodes, edges, rep, {"more": more})
