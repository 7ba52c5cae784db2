"""Regenerate the pictures of docs/visualization.md (needs Graphviz's `dot`).

    python docs/scripts/make_viz_pictures.py            # writes docs/images/viz_*.dot and the .svg drawn from each
    python docs/scripts/make_viz_pictures.py --out DIR
"""

import argparse
import sys
from pathlib import Path

import numpy as np

import tinygrad_np as tg
import tinygrad_np.nn as nn
import tinygrad_np.nn.functional as F
import tinygrad_np.optim as optim
from tinygrad_np.viz import draw_graph

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dot_pictures  # noqa: E402

IMAGES = dot_pictures.IMAGES


def expression():
    """A micrograd-style scalar expression, after backward: values and gradients on every leaf."""
    a = tg.tensor(2.0, requires_grad=True)
    b = tg.tensor(-3.0, requires_grad=True)
    c = tg.tensor(10.0, requires_grad=True)
    f = tg.tensor(-2.0, requires_grad=True)
    e = a * b
    d = e + c.relu()
    L = d * f
    backward_view = draw_graph(L, names=locals(), backward=True, title="the gradient along each edge")
    L.backward()
    return {"expression": draw_graph(L, names=locals(), show_data=True), "expression_backward": backward_view}


def calls():
    """Calls that run several ops (softmax, mean): one step each, or their ops in a box."""
    logits = tg.tensor([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]], requires_grad=True)
    target = tg.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    probs = logits.softmax(dim=1)
    loss = -(probs.log() * target).sum(1).mean()
    return {"calls": draw_graph(loss, names=locals(), rankdir="TB"),
            "calls_box": draw_graph(loss, names=locals(), calls="box", rankdir="TB")}


def xor_mlp():
    """The XOR MLP (2-8-1) after one SGD step, drawn with its parameter names and gradients."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
    x = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = tg.tensor([[0.0], [1.0], [1.0], [0.0]])
    opt = optim.SGD(model.parameters(), lr=0.5)
    for step in range(2):  # one training step, then the forward/backward that is drawn
        opt.zero_grad()
        pred = model(x)
        loss = F.binary_cross_entropy(pred, y)
        loss.backward()
        if step == 0:
            opt.step()
    names = {"x": x, "y": y, "pred": pred, "loss": loss}
    return {"xor_mlp": draw_graph(loss, names=names, model=model, show_data=True, rankdir="TB")}


class Net(nn.Module):
    """A small CNN for 8x8 digits, in two nested blocks so the grouping has levels."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(4 * 3 * 3, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def cnn():
    """The CNN grouped by module, then folded to its two blocks with depth=1."""
    tg.manual_seed(0)
    model = Net()
    images = tg.tensor(np.random.default_rng(0).random((8, 1, 8, 8)), dtype="float32")
    logits = model(images)
    loss = F.cross_entropy(logits, tg.tensor(np.arange(8)))
    loss.backward()
    names = {"images": images, "logits": logits, "loss": loss}
    return {
        "cnn": draw_graph(loss, names=names, model=model, rankdir="TB"),
        "cnn_depth1": draw_graph(loss, names=names, model=model, depth=1, rankdir="TB"),
    }


def nan_hunt():
    """A NaN made by sqrt of a negative number: the tensor and the op that made it are red."""
    x = tg.tensor([4.0, 1.0, -1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = x.sqrt()
        loss = (y * 2).sum()
    return {"nan": draw_graph(loss, names=locals(), show_data=True)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES, help="folder for the pictures (default docs/images)")
    args = parser.parse_args(argv)
    written = []
    for make in (expression, calls, xor_mlp, cnn, nan_hunt):
        for name, graph in make().items():
            written += dot_pictures.write(graph, args.out / f"viz_{name}.svg")
    print("\n".join(written))
    return written


if __name__ == "__main__":
    main()
