"""``tinygrad_np.autograd.functional``: derivatives of whole functions, as ``torch.autograd.functional``.

``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp`` and ``vhp`` take a function ``func`` of
Tensors and the point ``inputs`` (a Tensor or a tuple of Tensors) and return derivatives with
PyTorch's signatures and return conventions: a Tensor where PyTorch gives a Tensor (one input, one
output), tuples where it gives tuples. They run on the engine's ``grad``; forward-mode products
(``jvp``, ``hvp``, ``jacobian(strategy="forward-mode")``) use the exact double-backward trick: the
vector-Jacobian product u -> Jᵀu is linear in u, so differentiating it with respect to u in the
direction v gives Jv. Every rule is differentiable, so this is exact, not a finite difference.

``create_graph=True`` keeps the results in the graph (differentiable again, with respect to the
inputs you passed); otherwise they are plain Tensors. ``strict=True`` raises where an output does
not depend on an input instead of giving zeros. ``vectorize`` is accepted for compatibility (there
is no vmap here): the results are the same, computed one row at a time.
"""

from __future__ import annotations

import numpy as np

from . import engine

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ----------------------------------------------------------------------------- shared steps
def _as_tuple(value, what: str, fn: str) -> tuple[bool, tuple]:
    """(whether ``value`` was a tuple, its Tensors as a tuple); a list counts as a tuple."""
    is_tuple = isinstance(value, (tuple, list))
    values = tuple(value) if is_tuple else (value,)
    for i, v in enumerate(values):
        if not isinstance(v, engine.Tensor):
            where = f"the value at index {i} has type" if is_tuple else "got"
            raise TypeError(f"{fn}(): {what} must be a Tensor or a tuple of Tensors, but {where} "
                            f"{type(v).__name__}; wrap arrays with tinygrad_np.tensor(...)")
    return is_tuple, values


def _prepare(inputs: tuple, create_graph: bool, fn: str) -> tuple:
    """The inputs ``func`` sees: fresh leaves that require grad (sharing the data), or, under
    ``create_graph`` for an input that requires grad, a copy in the graph, so that the results can be
    differentiated with respect to the input you passed."""
    prepared = []
    for i, t in enumerate(inputs):
        if t.dtype.kind != "f":
            raise TypeError(f"{fn}(): input {i} has dtype {t.dtype}, but only floating-point tensors have "
                            f"derivatives; convert it with .float() or .double()")
        if create_graph and t.requires_grad:
            prepared.append(t.clone())
        else:
            prepared.append(engine.Tensor._wrap(t.data, None).requires_grad_())
    return tuple(prepared)


def _finish(values, create_graph: bool, is_tuple: bool):
    """Results as the caller gets them: outside the graph unless ``create_graph``; a tuple only if asked."""
    if not create_graph:
        values = tuple(None if v is None else engine.Tensor._wrap(v.data, None) for v in values)
    return tuple(values) if is_tuple else values[0]


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None) -> tuple:
    """engine.grad over the outputs that are in the graph (the others contribute nothing); None for an
    input no output depends on, and for an input given as None."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    wanted = [i for i, t in enumerate(inputs) if t is not None]
    result = [None] * len(inputs)
    if pairs and wanted:
        outs, gs = zip(*pairs)
        found = engine.grad(list(outs), [inputs[i] for i in wanted], list(gs), retain_graph=retain_graph,
                            create_graph=create_graph, allow_unused=True)
        for i, g in zip(wanted, found):
            result[i] = g
    return tuple(result)


def _zeros_like(t, requires_grad=False):
    z = engine.Tensor._wrap(np.zeros(t.shape, t.dtype), None)
    return z.requires_grad_() if requires_grad else z


def _fill_in_zeros(grads, refs, strict: bool, fn: str, independent: str) -> tuple:
    """Zeros (shaped like ``refs[i]``) where a gradient is None; with ``strict`` that is an error."""
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(f"{fn}(): {independent.format(i=i)}, which strict=True does not allow; pass "
                                   f"strict=False to get zeros for it")
            g = _zeros_like(ref)
        out.append(g)
    return tuple(out)


def _check_in_graph(values, what: str, strict: bool, fn: str) -> None:
    if strict:
        for i, v in enumerate(values):
            if v is None or not v.requires_grad:
                problem = (f"the output is independent of input {i}" if v is None else
                           f"{what} {i} does not depend on the inputs in a differentiable way")
                raise RuntimeError(f"{fn}(): {problem}, which strict=True does not allow; pass strict=False to get "
                                   f"zeros")


def _check_v(v, refs, is_refs_tuple: bool, what: str, fn: str) -> tuple:
    """``v`` as a tuple of Tensors shaped like ``refs``; None is ones, allowed when ``refs`` is one element."""
    if v is None:
        if len(refs) != 1 or refs[0].numel() != 1:
            raise RuntimeError(f"{fn}(): v can be None only when the {what} is a single Tensor with a single element; "
                               f"pass v shaped like the {what}")
        return (engine.Tensor._wrap(np.ones(refs[0].shape, refs[0].dtype), None),)
    is_tuple, v = _as_tuple(v, "v", fn)
    if len(v) != len(refs):
        raise RuntimeError(f"{fn}(): v has {len(v)} Tensors but the {what} has {len(refs)}; pass one per {what} "
                           f"Tensor")
    for i, (a, b) in enumerate(zip(v, refs)):
        if a.shape != b.shape:
            label = f"v[{i}]" if is_tuple or is_refs_tuple else "v"
            raise RuntimeError(f"{fn}(): {label} has shape {a.shape} but the {what} {i} has shape {b.shape}; "
                               f"v must be shaped like the {what}")
    return v


def _single_scalar_output(func, fn: str):
    """``func``, checked to return one Tensor of one element (the functions hessian, hvp and vhp take)."""
    def checked(*args):
        out = func(*args)
        if not isinstance(out, engine.Tensor):
            raise RuntimeError(f"{fn}(): the function should return a single Tensor, got {type(out).__name__}")
        if out.numel() != 1:
            raise RuntimeError(f"{fn}(): the Tensor returned by the function should have a single element, it has "
                               f"shape {out.shape}; reduce it (e.g. .sum()) or use jacobian()")
        return out

    return checked


def _postprocess(result, is_outer_tuple: bool, is_inner_tuple: bool):
    """A nested result ``[outer][inner]`` as PyTorch returns it: tuples only where the caller passed tuples."""
    if not is_outer_tuple:
        result = result[0]
        return result if is_inner_tuple else result[0]
    return tuple(r if is_inner_tuple else r[0] for r in result)


# ----------------------------------------------------------------------------- products
def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ J)``: the vector-Jacobian product, one result per input.

    ``v`` is shaped like the outputs; it may be None when the output is a single element."""
    with engine.enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, "vjp")
        is_out_tuple, outputs = _as_tuple(func(*inputs), "the outputs of the function", "vjp")
        _check_in_graph(outputs, "output", strict, "vjp")
        v = _check_v(v, outputs, is_out_tuple, "output", "vjp")
        grads = _grad(outputs, inputs, v, create_graph)
        result = _fill_in_zeros(grads, inputs, strict, "vjp", "the output is independent of input {i}")
    return _finish(outputs, create_graph, is_out_tuple), _finish(result, create_graph, is_in_tuple)


def _forward_trick(outputs, inputs):
    """The first half of the double-backward trick: u -> Jᵀu with u a leaf (zeros), recorded."""
    us = tuple(_zeros_like(out, requires_grad=True) if out.requires_grad else None for out in outputs)
    return us, _grad(outputs, inputs, us, create_graph=True)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``: the Jacobian-vector product, one result per output.

    ``v`` is shaped like the inputs; it may be None when the input is a single element."""
    with engine.enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, "jvp")
        v = _check_v(v, inputs, is_in_tuple, "input", "jvp")
        is_out_tuple, outputs = _as_tuple(func(*inputs), "the outputs of the function", "jvp")
        _check_in_graph(outputs, "output", strict, "jvp")
        us, jt_u = _forward_trick(outputs, inputs)
        _check_in_graph(jt_u, "the gradient for input", strict, "jvp")
        grads = _grad(jt_u, us, v, create_graph)
        result = _fill_in_zeros(grads, outputs, strict, "jvp", "output {i} is independent of the inputs")
    return _finish(outputs, create_graph, is_out_tuple), _finish(result, create_graph, is_out_tuple)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ H)`` for a function with a single-element output: one result per input."""
    return _second_order(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)`` for a function with a single-element output: one result per input.

    The same as ``vhp`` where the Hessian is symmetric (twice continuously differentiable
    functions); computed exactly with the double-backward trick, which costs one backward more."""
    return _second_order(func, inputs, v, create_graph, strict, "hvp")


def _second_order(func, inputs, v, create_graph, strict, fn):
    with engine.enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", fn)
        inputs = _prepare(inputs, create_graph, fn)
        v = _check_v(v, inputs, is_in_tuple, "input", fn)
        out = _single_scalar_output(func, fn)(*inputs)
        _check_in_graph((out,), "output", strict, fn)
        grads = _grad((out,), inputs, create_graph=True)
        _check_in_graph(grads, "the gradient for input", strict, fn)
        if fn == "vhp":  # vᵀH: differentiate the gradient once more, along v
            result = _grad(grads, inputs, v, create_graph)
        else:  # Hv: the double-backward trick on u -> Hᵀu
            us = tuple(_zeros_like(t, requires_grad=True) for t in inputs)
            result = _grad(_grad(grads, inputs, us, create_graph=True), us, v, create_graph)
        result = _fill_in_zeros(result, inputs, strict, fn, "the gradient is independent of input {i}")
    return _finish((out,), create_graph, False), _finish(result, create_graph, is_in_tuple)


# ----------------------------------------------------------------------------- full matrices
def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: entry ``[i][j]`` has shape ``outputs[i].shape + inputs[j].shape``.

    One input and one output give a Tensor; tuples give tuples (outer: outputs, inner: inputs).
    ``strategy="reverse-mode"`` computes it a row at a time (one backward per output element),
    ``"forward-mode"`` a column at a time (one double-backward per input element): choose the
    one with fewer elements."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"jacobian(): strategy must be 'forward-mode' or 'reverse-mode', got {strategy!r}")
    with engine.enable_grad():
        is_in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, "jacobian")
        is_out_tuple, outputs = _as_tuple(func(*inputs), "the outputs of the function", "jacobian")
        _check_in_graph(outputs, "output", strict, "jacobian")
        if strategy == "reverse-mode":
            blocks = [_rows(out, i, inputs, create_graph, strict) for i, out in enumerate(outputs)]
        else:
            columns = _columns(outputs, inputs, create_graph, strict)
            blocks = [[columns[j][i] for j in range(len(inputs))] for i in range(len(outputs))]
        blocks = [_finish(row, create_graph, True) for row in blocks]
    return _postprocess(blocks, is_out_tuple, is_in_tuple)


def _rows(out, i, inputs, create_graph, strict) -> list:
    """d(out)/d(inputs[j]) for every j, one backward per element of ``out``."""
    per_input = [[] for _ in inputs]
    for k in range(out.numel()):
        onehot = np.zeros(out.numel(), out.dtype)
        onehot[k] = 1
        grads = _grad((out,), inputs, (onehot.reshape(out.shape),), create_graph, retain_graph=True)
        for j, g in enumerate(grads):
            if g is None and strict:
                raise RuntimeError(f"jacobian(): output {i} is independent of input {j}, which strict=True does not "
                                   f"allow; pass strict=False to get zeros for it")
            per_input[j].append(g)
    return [_assemble(rows, out.shape, t.shape, t.dtype, create_graph) for rows, t in zip(per_input, inputs)]


def _columns(outputs, inputs, create_graph, strict) -> list:
    """``[j][i]``: d(outputs[i])/d(inputs[j]), one double-backward per element of inputs[j]."""
    us, jt_u = _forward_trick(outputs, inputs)
    result = []
    for j, t in enumerate(inputs):
        per_output = [[] for _ in outputs]
        for k in range(t.numel()):
            onehot = np.zeros(t.numel(), t.dtype)
            onehot[k] = 1
            v = [_zeros_like(x) for x in inputs]
            v[j] = engine.Tensor._wrap(onehot.reshape(t.shape), None)
            grads = _grad(jt_u, us, v, create_graph, retain_graph=True)
            for i, g in enumerate(grads):
                if g is None and strict:
                    raise RuntimeError(f"jacobian(): output {i} is independent of input {j}, which strict=True "
                                       f"does not allow; pass strict=False to get zeros for it")
                per_output[i].append(g)
        blocks = [_assemble(cols, t.shape, out.shape, out.dtype, create_graph)
                  for cols, out in zip(per_output, outputs)]
        # stacked along the input's axes first: move them behind the output's
        result.append([b.permute(*range(t.ndim, b.ndim), *range(t.ndim)) if b.ndim else b for b in blocks])
    return result


def _assemble(pieces, lead: tuple, shape: tuple, dtype, create_graph: bool):
    """Stack ``pieces`` (one per element of ``lead``, each of ``shape``; None for zeros) into ``lead + shape``."""
    if not create_graph:
        array = np.zeros((len(pieces),) + tuple(shape), dtype)
        for k, g in enumerate(pieces):
            if g is not None:
                array[k] = g.data
        return engine.Tensor._wrap(array.reshape(tuple(lead) + tuple(shape)), None)
    from ..tensor import stack

    zeros = engine.Tensor._wrap(np.zeros(shape, dtype), None)
    parts = [zeros if g is None else g for g in pieces]
    if not parts:
        return engine.Tensor._wrap(np.zeros(tuple(lead) + tuple(shape), dtype), None)
    return stack(parts).reshape(tuple(lead) + tuple(shape))


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of ``func`` (a single-element output) at ``inputs``: the Jacobian of its gradient.

    One input gives a Tensor of shape ``inputs.shape + inputs.shape``; a tuple of inputs gives a
    tuple of tuples, entry ``[i][j]`` of shape ``inputs[i].shape + inputs[j].shape``."""
    is_in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    scalar = _single_scalar_output(func, "hessian")

    def gradient(*args):  # (args: the leaves the outer jacobian made)
        return _fill_in_zeros(_grad((scalar(*args),), args, create_graph=True), args, False, "hessian", "")

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                      strategy=outer_jacobian_strategy)
    return _postprocess(result, is_in_tuple, is_in_tuple)
