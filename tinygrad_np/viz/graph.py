"""The recorded graph as plain data, and the ways to make a big one smaller.

``build`` turns the tensors reachable from the outputs into nodes (a dict: key -> kind,
label lines, module group, named call, NaN/Inf mark, ...) and edges (src, dst, label). Drawing
a named call as one step, folding a module into a box, merging a chain of elementwise ops and
truncating all work the same way: map some nodes onto a new one and ``contract`` the edges.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque

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
    """An op attribute in a few characters: arrays (masks, indices) by dtype and shape; a long tuple
    keeps its first elements and ends in "…" (never cut inside a number or a word)."""
    if isinstance(v, np.ndarray) or (hasattr(v, "shape") and hasattr(v, "dtype") and not isinstance(v, np.generic)):
        return f"{v.dtype}[{', '.join(map(str, v.shape))}]"
    if isinstance(v, slice):
        return ":".join("" if x is None else str(x) for x in (v.start, v.stop, v.step)[: 3 if v.step else 2])
    if v is Ellipsis:
        return "..."
    if isinstance(v, tuple | list):
        parts = [_short(x, width) for x in v]
        s = "(" + ", ".join(parts) + ("," if len(v) == 1 else "") + ")"
        while len(s) > width and len(parts) > 1:
            parts.pop()
            s = "(" + ", ".join(parts) + ", …)"
        return s
    return _num(v)


def wrap(text: str, width: int = 28) -> list[str]:
    """``text`` on lines of at most ``width`` characters, broken after ", " or at spaces only."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


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


def reachable(roots, known=(), call_arguments: bool = False) -> list:
    """Every value reachable from the Tensors ``roots`` through the ops' edges, nearest first
    (iterative BFS). ``known``: other Tensors (named by the caller) whose values can be shown.
    ``call_arguments``: also the data a named call was given (see :func:`call_inputs`)."""
    tensors = {id(t.grad_fn if t.grad_fn is not None else t): t for t in [*known, *roots]}
    seen, order, queue = set(), [], deque(Value(tensor=t) for t in roots)
    while queue:
        v = queue.popleft()
        if v.key in seen:
            continue
        seen.add(v.key)
        order.append(v)
        if v.grad_fn is not None:
            more = call_inputs(v.grad_fn) if call_arguments else []
            for e in _inputs(v.grad_fn) + more:
                if id(e) in seen:
                    continue
                t = tensors.get(id(e), e if hasattr(e, "grad_fn") else None)
                queue.append(Value(node=e) if t is None else Value(tensor=t))
    return order


def call_of(node):
    """The outermost named call that recorded ``node`` (``mean``, ``cross_entropy``, ...) as the
    engine notes it, ``(name, number[, inputs])``, or None."""
    where = getattr(node, "where", None)
    return where[1] if where is not None else None


def call_inputs(node) -> list:
    """The Tensors without a gradient that ``node``'s named call was given (its data inputs), if the
    engine noted them (as weak references) as the call's third item; else []. They let the drawing
    show a call's real input (``images``) instead of the constants the call made from it."""
    call = call_of(node)
    if call is None or len(call) < 3:
        return []
    found = [a if hasattr(a, "grad_fn") else a() for a in call[2]]
    return [t for t in found if t is not None and t.grad_fn is None]


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
def build(roots, values, names, params, modules, show_data, show_grad, grads, backward, highlight=({}, ())):
    """Nodes (key -> dict of kind, lines, group, bad, ...) and edges (src, dst, label) of the full graph.
    ``highlight``: (op node id -> {"grad_out": text, "grad_inputs": [text, ...]}, keys of values): those ops,
    their output boxes and those values get ``highlight=True``, and the texts label the op's edges."""
    highlight_ops, highlight_values = highlight
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
        nodes[key(v.key, "t")] = dict(kind=kind, lines=lines, group=group, bad=bad, name=name, shape=tuple(v.shape),
                                      constant=not v.requires_grad, highlight=v.key in highlight_values)
        if ctx is None:
            continue
        op = key(id(ctx), "op")
        marked = highlight_ops.get(id(ctx))
        if marked is not None:
            nodes[key(v.key, "t")]["highlight"] = True
        attrs = [f"{k}={_short(a, max(12, 29 - len(k)))}" for k, a in ctx.attrs.items()
                 if a is not None and a is not False]
        inputs = [data_of.get(id(e)) for e in _inputs(ctx)]
        known = v.data is not None and all(d is not None for d in inputs)
        origin = _nonfinite(v.data) if known and not any(_nonfinite(d) for d in inputs) else None
        call = call_of(ctx)
        nodes[op] = dict(kind="op", lines=[ctx.name] + attrs[:3], group=group, op=ctx.name, seq=ctx.seq,
                         call=call and call[:2], bad=origin and f"{origin} starts here",
                         highlight=marked is not None)  # fmt: skip
        if call is not None and len(call) > 2:
            nodes[op]["call_inputs"] = [key(id(t), "t") for t in call_inputs(ctx)]
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
    """Replace each node k by rep[k] (new nodes in ``extra``); an edge that leaves a folded tensor keeps its shape.
    A node that stands for a highlighted one is highlighted."""
    new = {k: n for k, n in nodes.items() if k not in rep}
    new.update(extra)
    for k, target in rep.items():
        if nodes[k].get("highlight"):
            new[target]["highlight"] = True
    out = {}
    for a, b, label in edges:
        ra, rb = rep.get(a, a), rep.get(b, b)
        if ra == rb:
            continue
        if label is None and ra != a and nodes[a]["kind"] in TENSOR_KINDS:
            label = str(nodes[a]["shape"])
        out[(ra, rb, label)] = None
    return new, list(out)


def _calls(nodes, edges) -> dict:
    """call -> its members: its ops, the tensors made and read only inside it (not named, not
    outputs), its scalar constants and the constant tensors it made from its data inputs."""
    call_of_op = {k: n["call"] for k, n in nodes.items() if n["kind"] == "op" and n.get("call") is not None}
    readers, near = defaultdict(set), defaultdict(set)  # tensor -> ops reading it; call -> values next to it
    maker = {}
    for a, b, _ in edges:
        if nodes[a]["kind"] != "op":
            readers[a].add(b)
        else:
            maker[b] = a
        for op, value in ((a, b), (b, a)):
            if op in call_of_op:
                near[call_of_op[op]].add(value)
    members = defaultdict(list)
    for k, call in call_of_op.items():
        members[call].append(k)
    for call, keys in members.items():
        given = {t for k in keys for t in nodes[k].get("call_inputs", ())}
        knows_inputs = any("call_inputs" in nodes[k] for k in keys)
        for t in sorted(near[call]):
            n = nodes[t]
            if not readers[t] or n.get("name") or any(call_of_op.get(r) != call for r in readers[t]):
                continue
            # scalars, tensors made here, and (if the engine noted the call's inputs) the constants made from them
            made_here = call_of_op.get(maker.get(t)) == call
            if n["kind"] == "const" or (n["kind"] == "intermediate" and made_here) or (
                    knows_inputs and n.get("constant") and t not in given):
                keys.append(t)
    return members


def _common_group(groups):
    """The innermost module group that holds all of ``groups`` (None: outside every module)."""
    groups = list(groups)
    if any(g is None for g in groups):
        return None
    common = groups[0]
    for g in groups[1:]:
        while not (g == common or g.startswith(common + ".") or common == ""):
            common = parent_of(common)
            if common is None:
                return None
    return common


def collapse_calls(nodes, edges, box: bool = False):
    """Each named call (``mean``, ``softmax``, ``cross_entropy``, ...) becomes one step labelled with
    its name and the ops it ran, holding the tensors made and used only inside it; with ``box`` its
    ops stay and are drawn in a box labelled with the name instead."""
    calls = _calls(nodes, edges)  # numbered in the order drawn (the engine's numbers differ from run to run)
    if box:
        for i, ((name, _), keys) in enumerate(calls.items()):  # a call sits in the module that ran its ops
            group = _common_group(nodes[k]["group"] for k in keys if nodes[k]["kind"] == "op")
            for k in keys:
                nodes[k].update(group=group, box=(name, i))
        return nodes, edges
    rep, extra, inputs = {}, {}, []
    for i, (call, keys) in enumerate(calls.items()):
        ops = sorted((k for k in keys if nodes[k]["kind"] == "op"), key=lambda k: nodes[k]["seq"])
        counts = Counter(nodes[k]["op"] for k in ops)  # in the order they ran
        names = [f"{op} ×{n}" if n > 1 else op for op, n in counts.items()]
        if len(names) > 4:
            names = names[:3] + [f"+{len(names) - 3} more"]
        lines = [call[0], *wrap(", ".join(names))] + (nodes[ops[0]]["lines"][1:] if len(ops) == 1 else [])
        bad = next((nodes[k]["bad"] for k in ops if nodes[k]["bad"]), None)
        key = f"call{i}"
        extra[key] = dict(kind="call" if len(ops) > 1 else "op", lines=lines, op=call[0], bad=bad, n_ops=len(ops),
                          group=_common_group(nodes[k]["group"] for k in ops))  # fmt: skip
        rep.update(dict.fromkeys(keys, key))
        given = {t for k in ops for t in nodes[k].get("call_inputs", ()) if t in nodes}
        inputs += [(t, key, None) for t in sorted(given)]
    return contract(nodes, edges + inputs, rep, extra)


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
        extra[box]["ops"] += n.get("n_ops", 1) if n["kind"] in ("op", "call") else 0
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
