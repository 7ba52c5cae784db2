"""Draw the graph a computation recorded, with Graphviz: a picture to debug and to learn with.

``draw_graph(loss)`` walks back from the output through each tensor's ``grad_fn`` node and its
edges (nothing else, so it still works after ``backward()`` freed the saved values) and returns a
``graphviz.Digraph``, which Jupyter shows inline; ``render`` writes it to SVG, PNG or PDF.
Tensors are boxes (parameters blue, inputs grey, outputs green, intermediates white), ops are
yellow ellipses with their attributes, a call that ran several ops (``mean``, ``softmax``,
``F.cross_entropy``) is one darker ellipse with its name and its ops, and NaN/Inf in a value or a
gradient turns a node red. With ``model=`` the ops are grouped into one cluster per module that
ran them; ``depth=`` folds deeper modules into one box each, and a graph over ``max_nodes`` is
folded automatically (by module, else by merging elementwise chains, else truncated), with a
note on the picture.
"""

from .draw import GraphvizNotFoundError, draw_graph, render
from .graph import module_label

__all__ = ["draw_graph", "render", "module_label", "GraphvizNotFoundError"]
