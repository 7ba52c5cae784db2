"""The backward pass written the plain way, as an oracle for the engine.

``reference_grad`` does what ``tinygrad_np.grad`` does, with none of the engine's economies
(no lone-node frontier, no heap, no skipped checks, nothing freed): collect every node the
outputs reach, sort them by creation number, and run each rule once on the sum of what its
consumers sent, summing broadcast gradients back to each input's shape. Because it adds
gradients in the same order as the engine (consumers from the most recent down, arguments in
order), its results must equal the engine's bit for bit; ``tests/test_engine_reference.py``
checks that on random programs.
"""

from __future__ import annotations

import numpy as np

from ..autograd.engine import Node, sum_to_shape
from ..tensor import Tensor

__all__ = ["reference_grad", "reachable_nodes"]


def reachable_nodes(outputs) -> list:
    """Every node the Tensors ``outputs`` were made through, in creation order (inputs before the ops
    that read them)."""
    nodes, stack = {}, [out.grad_fn for out in outputs if out.grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) not in nodes:
            nodes[id(node)] = node
            stack.extend(edge for edge in node.next if type(edge) is Node)
    return sorted(nodes.values(), key=lambda n: n.seq)


def reference_grad(outputs, inputs, grad_outputs=None):
    """Gradients of ``outputs`` (Tensors) with respect to ``inputs`` (Tensors) as arrays (None where
    an input is not reached); ``grad_outputs`` default to ones. The graph is left as it was."""
    grad_outputs = grad_outputs or [np.ones_like(out.data) for out in outputs]
    sums = {}  # id(node or leaf) -> the gradient summed so far

    def add(target, g):
        g = sum_to_shape(np.asarray(g), target.shape).astype(target.dtype)
        key = id(target)
        sums[key] = g if key not in sums else sums[key] + g

    for out, g in zip(outputs, grad_outputs):
        add(out.grad_fn or out, np.asarray(g, dtype=out.dtype))
    for node in reversed(reachable_nodes(outputs)):
        if id(node) not in sums:
            continue
        grads = node.op.backward(node, sums[id(node)])
        grads = grads if isinstance(grads, tuple) else (grads,)
        for edge, g in zip(node.next, grads):
            if g is not None and (type(edge) is Node or isinstance(edge, Tensor) and edge.requires_grad):
                add(edge, g)
    return [sums.get(id(t.grad_fn or t)) for t in inputs]
